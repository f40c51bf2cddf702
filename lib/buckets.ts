import { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { BUCKETS_DEFAULTS as D } from './buckets-defaults';

export interface BucketsProps {
  readonly removalPolicy: RemovalPolicy;
  /** Empty the buckets on stack deletion (only meaningful with RemovalPolicy.DESTROY). */
  readonly autoDeleteObjects: boolean;
}

/** The archive bucket (Firehose), the failure bucket (stream on-failure destination) and their access-log bucket. */
export class Buckets extends Construct {
  readonly accessLogBucket: s3.Bucket;
  readonly archiveBucket: s3.Bucket;
  readonly failureBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: BucketsProps) {
    super(scope, id);
    const common: s3.BucketProps = {
      encryption: D.encryption.value,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: D.enforceSSL.value,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
    };
    const abortIncompleteMultipartUploadAfter = D.abortIncompleteMultipartUploadAfter.value;

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      ...common,
      // Server access logs can only be delivered to a bucket with SSE-S3 and owner-enforced objects.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: D.accessLogExpiration.value, abortIncompleteMultipartUploadAfter }],
    });
    NagSuppressions.addResourceSuppressions(this.accessLogBucket, [
      {
        id: 'AwsSolutions-S1',
        reason: 'This is the server access log bucket itself; logging it into itself would create a log loop.',
      },
    ]);

    this.archiveBucket = new s3.Bucket(this, 'ArchiveBucket', {
      ...common,
      versioned: D.versioned.value,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'archive/',
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
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'failures/',
      lifecycleRules: [
        {
          expiration: D.failureExpiration.value,
          noncurrentVersionExpiration: D.failureNoncurrentVersionExpiration.value,
          abortIncompleteMultipartUploadAfter,
        },
      ],
    });
  }
}
