// Reading and preparing emulator state the way every suite does it: a stream created and awaited ACTIVE, a
// bucket's keys and objects, a queue's depth. Each takes the SDK client it needs, so it serves any suite's clients.
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { queueDepth as localQueueDepth } from '../../local/status';
import { listObjects } from '../../tools/ops/s3-objects';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { waitFor } from './wait';

/** Creates a provisioned stream and returns once it is ACTIVE. */
export async function createActiveStream(kinesis: KinesisClient, name: string, shardCount: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  await waitFor(
    `stream ${name} active`,
    async () =>
      (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE',
    { timeoutMs: 10_000, intervalMs: 25 },
  );
}

/** Every key in the bucket (under `prefix`), all pages, sorted. */
export async function listKeys(s3: S3Client, bucket: string, prefix?: string): Promise<string[]> {
  return (await listObjects(s3, bucket, prefix)).map((o) => o.key);
}

export async function getObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/** Messages in the queue: visible, in flight and delayed. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { visible, inFlight, delayed } = await localQueueDepth(sqs, queueUrl);
  return visible + inFlight + delayed;
}
