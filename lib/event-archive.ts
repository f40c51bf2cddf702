import { type Duration, type RemovalPolicy, type Size, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { EVENT_ARCHIVE_DEFAULTS as D } from './event-archive-defaults';
import { firehoseDeliveryView } from './narrow-grants';
import { objectsOfBucket } from './nag-helpers';

export interface EventArchiveProps {
  /** The stream Firehose reads; pass EventStream.pollingReader so its role gets polling reads only. */
  readonly stream: kinesis.IStream;
  readonly bucket: s3.IBucket;
  readonly bufferingInterval: Duration;
  readonly bufferingSize: Size;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * History: a Firehose delivery stream that copies every event from the stream to S3 as GZIP NDJSON. Its role
 * may write to the archive, never delete from or read it (firehoseDeliveryView): the archive is what a replay
 * trusts.
 */
export class EventArchive extends Construct {
  readonly deliveryStream: firehose.DeliveryStream;
  readonly logGroup: logs.LogGroup;
  readonly bufferingInterval: Duration;

  constructor(scope: Construct, id: string, props: EventArchiveProps) {
    super(scope, id);
    this.bufferingInterval = props.bufferingInterval;
    this.logGroup = new logs.LogGroup(this, 'DeliveryLogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      source: new firehose.KinesisStreamSource(props.stream),
      destination: new firehose.S3Bucket(firehoseDeliveryView(props.bucket), {
        dataOutputPrefix: D.dataOutputPrefix.value,
        errorOutputPrefix: D.errorOutputPrefix.value,
        compression: D.compression.value,
        bufferingInterval: props.bufferingInterval,
        bufferingSize: props.bufferingSize,
        processors: [D.recordDelimiter.value],
        loggingConfig: new firehose.EnableLogging(this.logGroup),
      }),
    });
    NagSuppressions.addResourceSuppressions(
      this.deliveryStream,
      [
        {
          id: 'AwsSolutions-KDF1',
          reason:
            'Firehose rejects server-side encryption on a delivery stream whose source is a Kinesis data stream; ' +
            'the source stream is KMS-encrypted and the destination bucket is SSE-S3, so data is encrypted at rest throughout.',
        },
        {
          id: 'AwsSolutions-IAM5',
          appliesTo: objectsOfBucket(props.bucket),
          reason:
            'Firehose writes objects under keys it generates (date prefixes + random suffix), so s3:PutObject and ' +
            's3:AbortMultipartUpload must cover every key of the archive bucket, and only that bucket; no delete, no read.',
        },
      ],
      true, // the policies sit on the roles the L2 creates under the delivery stream
    );
    // The Firehose L2 always adds its region → CIDR mapping; only VPC destinations (Redshift, Splunk) read it.
    Validations.of(Stack.of(this)).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason: 'Unused awscdkawskinesisfirehoseCidrBlocks mapping added by the Firehose L2; an S3 destination never needs it.',
    });
  }

  /** Age of the oldest record not yet delivered to S3 (seconds), the maximum over each `period`. */
  metricDataFreshness(period: Duration): cloudwatch.Metric {
    return this.deliveryStream.metric('DeliveryToS3.DataFreshness', { statistic: 'Maximum', period });
  }
}
