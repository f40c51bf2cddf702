import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * Views of a stream or a bucket for the aws-cdk-lib constructs that grant through them: event sources and
 * the Firehose destination call `stream.grantRead()` / `bucket.grantReadWrite()` themselves, with more
 * actions than their caller needs and no option to narrow them. A view is the same resource (same ARN, name,
 * node) whose grant method grants only the listed actions; everything else is the resource itself.
 */
function withGrant<T extends object>(target: T, method: keyof T & string, grant: (grantee: iam.IGrantable) => iam.Grant): T {
  return new Proxy(target, {
    get: (t, property, receiver) => (property === method ? grant : Reflect.get(t, property, receiver)),
  });
}

/**
 * What a shared-throughput (polling) reader of a stream calls: Lambda's event source mapping (Lambda
 * developer guide, "Process Amazon Kinesis Data Streams records with Lambda") and Firehose with a Kinesis
 * source. Not kinesis:SubscribeToShard or kinesis:DescribeStreamConsumer (enhanced fan-out only, granted on
 * the registered consumer when a consumer opts in) nor kinesis:ListStreams (no reader lists streams).
 */
export const POLLING_READ_ACTIONS = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
] as const;

/** `stream` whose grantRead() grants POLLING_READ_ACTIONS on the stream (and decrypt, for a customer managed key). */
export function pollingReaderView(stream: kinesis.IStream): kinesis.IStream {
  return withGrant(stream, 'grantRead', (grantee) => {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: [...POLLING_READ_ACTIONS], resourceArns: [stream.streamArn] });
    stream.encryptionKey?.grantDecrypt(grantee);
    return grant;
  });
}

/**
 * What Firehose needs to deliver to an S3 bucket, without s3:DeleteObject* (the archive is the replay source
 * of truth: its writer must not be able to remove it) and without reads: on the objects PutObject and
 * AbortMultipartUpload (large objects go up in parts); on the bucket GetBucketLocation, ListBucket and
 * ListBucketMultipartUploads. AWS's sample policy for a Firehose role also lists s3:GetObject; an S3
 * destination only writes, so it is left out.
 */
export const FIREHOSE_DELIVERY_OBJECT_ACTIONS = ['s3:AbortMultipartUpload', 's3:PutObject'] as const;
export const FIREHOSE_DELIVERY_BUCKET_ACTIONS = ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'] as const;

/** `bucket` whose grantReadWrite() (what the Firehose L2 S3 destination calls) grants delivery only. */
export function firehoseDeliveryView(bucket: s3.IBucket): s3.IBucket {
  return withGrant(bucket, 'grantReadWrite', (grantee) => {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: [...FIREHOSE_DELIVERY_OBJECT_ACTIONS],
      resourceArns: [bucket.arnForObjects('*')],
    }).combine(iam.Grant.addToPrincipal({ grantee, actions: [...FIREHOSE_DELIVERY_BUCKET_ACTIONS], resourceArns: [bucket.bucketArn] }));
    bucket.encryptionKey?.grantEncrypt(grantee); // only for a KMS-encrypted bucket (ours are SSE-S3)
    return grant;
  });
}
