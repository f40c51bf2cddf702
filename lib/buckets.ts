import type { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { BUCKETS_DEFAULTS as D } from './buckets-defaults';

export interface BucketsProps {
  readonly removalPolicy: RemovalPolicy;
  /** Empty the buckets on stack deletion (only meaningful with RemovalPolicy.DESTROY). */
  readonly autoDeleteObjects: boolean;
  /** Server access logs of the archive and failure buckets into an access-log bucket (STAGE_DEFAULTS.serverAccessLogs). */
  readonly serverAccessLogs: boolean;
}

/**
 * The archive bucket (Firehose), the failure bucket (stream on-failure destination) and, when the stage logs
 * server access, their access-log bucket.
 */
export class Buckets extends Construct {
  readonly accessLogBucket?: s3.Bucket;
  readonly archiveBucket: s3.Bucket;
  readonly failureBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: BucketsProps) {
    super(scope, id);
    const common: s3.BucketProps = {
      encryption: D.encryption.value,
      blockPublicAccess: D.blockPublicAccess.value,
      enforceSSL: D.enforceSSL.value,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
    };
    const abortIncompleteMultipartUploadAfter = D.abortIncompleteMultipartUploadAfter.value;

    // Not in dev: S3 delivers server access logs late (best effort, minutes to hours), so logs of the
    // auto-delete that empties the archive and failure buckets arrive after the access-log bucket was emptied,
    // and `cdk destroy` fails with BucketNotEmpty (aws/aws-cdk#16332). No ordering or deletion policy avoids
    // a late write; not having the bucket does.
    const accessLogBucket = props.serverAccessLogs
      ? new s3.Bucket(this, 'AccessLogBucket', {
          ...common,
          // Server access logs can only be delivered to a bucket with SSE-S3 and owner-enforced objects.
          objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
          lifecycleRules: [{ expiration: D.accessLogExpiration.value, abortIncompleteMultipartUploadAfter }],
        })
      : undefined;
    this.accessLogBucket = accessLogBucket;
    if (accessLogBucket) {
      NagSuppressions.addResourceSuppressions(accessLogBucket, [
        {
          id: 'AwsSolutions-S1',
          reason: 'This is the server access log bucket itself; logging it into itself would create a log loop.',
        },
      ]);
    }
    const accessLogs = (prefix: string): Partial<s3.BucketProps> =>
      accessLogBucket ? { serverAccessLogsBucket: accessLogBucket, serverAccessLogsPrefix: prefix } : {};

    this.archiveBucket = new s3.Bucket(this, 'ArchiveBucket', {
      ...common,
      versioned: D.versioned.value,
      ...accessLogs('archive/'),
      lifecycleRules: [
        {
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: D.archiveInfrequentAccessAfter.value },
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: D.archiveGlacierInstantRetrievalAfter.value,
            },
          ],
          noncurrentVersionExpiration: D.archiveNoncurrentVersionExpiration.value,
          abortIncompleteMultipartUploadAfter,
        },
      ],
    });

    this.failureBucket = new s3.Bucket(this, 'FailureBucket', {
      ...common,
      versioned: D.versioned.value,
      ...accessLogs('failures/'),
      lifecycleRules: [
        {
          expiration: D.failureExpiration.value,
          noncurrentVersionExpiration: D.failureNoncurrentVersionExpiration.value,
          abortIncompleteMultipartUploadAfter,
        },
      ],
    });
    if (!accessLogBucket) {
      for (const bucket of [this.archiveBucket, this.failureBucket]) {
        NagSuppressions.addResourceSuppressions(bucket, [
          {
            id: 'AwsSolutions-S1',
            reason:
              'Only a stage with serverAccessLogs off (dev) omits them: its data is disposable, and logs delivered after the ' +
              'auto-delete emptied the log bucket make `cdk destroy` fail with BucketNotEmpty (aws/aws-cdk#16332). Prod logs access.',
          },
        ]);
      }
    }
  }
}
