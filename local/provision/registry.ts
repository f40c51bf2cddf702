// The registry: resource type → the module that creates it on an emulator. A type the local cloud learns to run
// is one new file here and one line below; analyze.ts reads the list of types from this table.
import type { ResourceProvisioner } from './context';
import { provisionTable } from './dynamodb-table';
import { provisionMapping } from './event-source-mapping';
import { provisionDeliveryStream } from './firehose-delivery-stream';
import { provisionStream } from './kinesis-stream';
import { provisionFunction } from './lambda-function';
import { provisionBucket } from './s3-bucket';
import { provisionQueue } from './sqs-queue';
import { provisionStreamConsumer } from './stream-consumer';

export const PROVISIONERS: Readonly<Record<string, ResourceProvisioner>> = {
  'AWS::SQS::Queue': provisionQueue,
  'AWS::Kinesis::Stream': provisionStream,
  'AWS::Kinesis::StreamConsumer': provisionStreamConsumer,
  'AWS::S3::Bucket': provisionBucket,
  'AWS::Lambda::Function': provisionFunction,
  'AWS::Lambda::EventSourceMapping': provisionMapping,
  'AWS::KinesisFirehose::DeliveryStream': provisionDeliveryStream,
  'AWS::DynamoDB::Table': provisionTable,
};

/** Whether the local cloud creates this type on an emulator. */
export function isEmulated(type: string): boolean {
  return Object.hasOwn(PROVISIONERS, type);
}
