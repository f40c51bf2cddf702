import type { KinesisStreamBatchResponse, KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { kinesisRecordFor } from '../../../tools/ops/consumer-delivery';
import { LambdaConsumerInvoker } from '../../../tools/ops/consumer-invoker';
import { parseFailureRecord } from '../../../tools/ops/failure-records';
import { redriveEvents } from '../../../tools/ops/redrive-events';
import { createOpsClients } from '../../../tools/ops/resolve-stage';
import { createBucket, envelopesIn, orderPlaced, putRawObject, startCloud, startFakeLambda, type Cloud } from './harness';
import { useForFile } from '../../support/hooks';
import { listKeys } from '../../support/aws';

let cloud: Cloud;
useForFile(startCloud, (started) => {
  cloud = started;
});

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/events';
const arnOf = (fn: string): string => `arn:aws:lambda:us-east-1:000000000000:function:${fn}`;

function records(n: number, seqBase: number): KinesisStreamRecord[] {
  const shape = { shardId: 'shardId-000000000001', eventSourceArn: STREAM_ARN, region: 'us-east-1' };
  return Array.from({ length: n }, (_, i) =>
    kinesisRecordFor(orderPlaced(`o-${seqBase + i}`, new Date('2026-05-01T10:00:00Z')), String(seqBase + i).padStart(56, '4'), shape),
  );
}

/** The documented S3 invocation record; `payload` is the invocation event as an escaped JSON string. */
function documentedRecord(functionArn: string, recs: KinesisStreamRecord[], payloadAsString = true): string {
  const event = { Records: recs };
  return JSON.stringify({
    requestContext: {
      requestId: 'c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5',
      functionArn,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 4,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-05-01T10:38:06.021Z',
    KinesisBatchInfo: {
      shardId: 'shardId-000000000001',
      startSequenceNumber: recs[0]!.kinesis.sequenceNumber,
      endSequenceNumber: recs.at(-1)!.kinesis.sequenceNumber,
      approximateArrivalOfFirstRecord: '2026-05-01T10:38:04.835Z',
      approximateArrivalOfLastRecord: '2026-05-01T10:38:05.580Z',
      batchSize: recs.length,
      streamArn: STREAM_ARN,
    },
    payload: payloadAsString ? JSON.stringify(event) : event,
  });
}

const failureKey = (esm: string, n: number): string =>
  `aws/lambda/${esm}/shardId-000000000001/2026/05/01/2026-05-01T10.38.0${n}-0f0e0d0c-0000-4000-8000-00000000000${n}`;

describe('failure record reader', () => {
  it('reads the documented S3 shape (payload as an escaped JSON string) and the object form', () => {
    const recs = records(2, 1);
    for (const asString of [true, false]) {
      const parsed = parseFailureRecord(documentedRecord(`${arnOf('payments-fn')}:$LATEST`, recs, asString));
      expect(parsed).toEqual({
        ok: true,
        record: {
          functionArn: `${arnOf('payments-fn')}:$LATEST`,
          functionName: 'payments-fn',
          condition: 'RetryAttemptsExhausted',
          shardId: 'shardId-000000000001',
          streamArn: STREAM_ARN,
          timestamp: '2026-05-01T10:38:06.021Z',
          records: recs,
        },
      });
    }
  });

  it('names what is missing: an SQS-style record without payload, bad JSON, records that are not Kinesis records', () => {
    const noPayload = JSON.parse(documentedRecord(arnOf('x'), records(1, 1))) as Record<string, unknown>;
    delete noPayload['payload'];
    expect(parseFailureRecord(JSON.stringify(noPayload))).toEqual({ ok: false, reason: expect.stringMatching(/^payload: missing/) });
    expect(parseFailureRecord('{')).toEqual({ ok: false, reason: expect.stringMatching(/^not JSON/) });
    expect(parseFailureRecord(JSON.stringify({ requestContext: { functionArn: 'f' }, payload: { Records: [{ body: 'sqs?' }] } }))).toEqual({
      ok: false,
      reason: expect.stringMatching(/Records\[0\]: not a Kinesis record/),
    });
  });
});

describe('redrive events --consumer (failure bucket → one consumer through a fake Lambda Invoke endpoint)', () => {
  // biome-ignore lint/suspicious/noConfusingVoidType: a fixture handler may return nothing, as a Lambda handler may
  async function setup(handlers: Record<string, () => Promise<KinesisStreamBatchResponse | void>>) {
    const lambda = await startFakeLambda(handlers);
    const bucket = await createBucket(cloud);
    const env = cloud.env({
      failureBucket: bucket,
      endpoints: { ...cloud.emulators.endpoints, lambda: lambda.url },
      functions: [
        { name: 'notifications', role: 'consumer', arn: arnOf('QueueAndStream-Dev-Compute-NotificationsFn') },
        { name: 'payments', role: 'consumer', arn: arnOf('QueueAndStream-Dev-Compute-PaymentsFn') },
      ],
    });
    const clients = createOpsClients(env);
    const invoker = new LambdaConsumerInvoker(env, () => clients.lambda());
    return {
      lambda,
      bucket,
      env,
      invoker,
      stop: async () => {
        clients.destroy();
        await lambda.stop();
      },
    };
  }

  it("re-delivers that consumer's discarded records once, moves the objects to redriven/, and a second run does nothing", async () => {
    const ok = async (): Promise<KinesisStreamBatchResponse> => ({ batchItemFailures: [] });
    const s = await setup({
      [arnOf('QueueAndStream-Dev-Compute-NotificationsFn')]: ok,
      [arnOf('QueueAndStream-Dev-Compute-PaymentsFn')]: ok,
    });
    try {
      const mine = [records(3, 10), records(2, 20)];
      const theirs = records(4, 30);
      await putRawObject(
        cloud,
        s.bucket,
        failureKey('esm-notif', 1),
        documentedRecord(arnOf('QueueAndStream-Dev-Compute-NotificationsFn'), mine[0]!),
      );
      await putRawObject(
        cloud,
        s.bucket,
        failureKey('esm-notif', 2),
        documentedRecord(arnOf('QueueAndStream-Dev-Compute-NotificationsFn'), mine[1]!, false),
      );
      await putRawObject(
        cloud,
        s.bucket,
        failureKey('esm-pay', 3),
        documentedRecord(arnOf('QueueAndStream-Dev-Compute-PaymentsFn'), theirs),
      );
      await putRawObject(cloud, s.bucket, failureKey('esm-x', 4), 'garbage');

      const dry = await redriveEvents({ env: s.env, s3: cloud.clients.s3, invoker: s.invoker, consumer: 'notifications', dryRun: true });
      expect(dry).toMatchObject({ objects: 2, records: 5, redelivered: 0, moved: 0, byType: { OrderPlaced: 5 } });
      expect(s.lambda.calls.size).toBe(0);

      const first = await redriveEvents({ env: s.env, s3: cloud.clients.s3, invoker: s.invoker, consumer: 'notifications' });
      expect(first).toMatchObject({ objects: 2, records: 5, redelivered: 5, failed: 0, moved: 2 });
      expect(first.unreadable).toEqual([{ key: failureKey('esm-x', 4), reason: expect.stringMatching(/^not JSON/) }]);
      const seen = s.lambda.calls.get(arnOf('QueueAndStream-Dev-Compute-NotificationsFn'))!;
      expect(seen.flatMap((e) => e.Records.map((r) => r.kinesis.sequenceNumber))).toEqual(mine.flat().map((r) => r.kinesis.sequenceNumber));
      expect(envelopesIn(seen).every((e) => e.replay === undefined)).toBe(true); // the same bytes, not a replay
      expect(s.lambda.calls.get(arnOf('QueueAndStream-Dev-Compute-PaymentsFn'))).toBeUndefined();
      expect(await listKeys(cloud.clients.s3, s.bucket, 'redriven/')).toEqual([
        `redriven/${failureKey('esm-notif', 1)}`,
        `redriven/${failureKey('esm-notif', 2)}`,
      ]);
      expect(await listKeys(cloud.clients.s3, s.bucket, 'aws/')).toEqual([failureKey('esm-pay', 3), failureKey('esm-x', 4)]);

      const second = await redriveEvents({ env: s.env, s3: cloud.clients.s3, invoker: s.invoker, consumer: 'notifications' });
      expect(second).toMatchObject({ objects: 0, redelivered: 0, moved: 0 });
      expect(s.lambda.calls.get(arnOf('QueueAndStream-Dev-Compute-NotificationsFn'))).toHaveLength(seen.length);
    } finally {
      await s.stop();
    }
  });

  it('redrives a shard in stream order even when the random key suffixes sort the other way', async () => {
    const ok = async (): Promise<KinesisStreamBatchResponse> => ({ batchItemFailures: [] });
    const s = await setup({ [arnOf('QueueAndStream-Dev-Compute-PaymentsFn')]: ok });
    try {
      const [earlier, later] = [records(2, 50), records(2, 60)];
      // the same second: only the UUID differs, and it sorts the later batch first
      await putRawObject(
        cloud,
        s.bucket,
        failureKey('esm-pay', 7),
        documentedRecord(arnOf('QueueAndStream-Dev-Compute-PaymentsFn'), earlier),
      );
      await putRawObject(
        cloud,
        s.bucket,
        failureKey('esm-pay', 6),
        documentedRecord(arnOf('QueueAndStream-Dev-Compute-PaymentsFn'), later),
      );
      await redriveEvents({ env: s.env, s3: cloud.clients.s3, invoker: s.invoker, consumer: 'payments' });
      const seen = s.lambda.calls.get(arnOf('QueueAndStream-Dev-Compute-PaymentsFn'))!;
      expect(seen.flatMap((e) => e.Records.map((r) => r.kinesis.sequenceNumber))).toEqual(
        [...earlier, ...later].map((r) => r.kinesis.sequenceNumber),
      );
    } finally {
      await s.stop();
    }
  });

  it('leaves an object in place when a record stays undeliverable, so the next run tries again', async () => {
    const s = await setup({
      [arnOf('QueueAndStream-Dev-Compute-PaymentsFn')]: async () => {
        throw new Error('still broken');
      },
    });
    try {
      await putRawObject(
        cloud,
        s.bucket,
        failureKey('esm-pay', 1),
        documentedRecord(arnOf('QueueAndStream-Dev-Compute-PaymentsFn'), records(2, 40)),
      );
      const summary = await redriveEvents({
        env: s.env,
        s3: cloud.clients.s3,
        invoker: s.invoker,
        consumer: 'payments',
        maxRetries: 1,
        consumerSleep: async () => {},
      });
      expect(summary).toMatchObject({ redelivered: 0, failed: 2, moved: 0 });
      expect(summary.failures[0]!.reason).toMatch(/still broken/);
      expect(await listKeys(cloud.clients.s3, s.bucket)).toEqual([failureKey('esm-pay', 1)]);
    } finally {
      await s.stop();
    }
  });
});
