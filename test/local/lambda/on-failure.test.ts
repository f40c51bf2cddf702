// The invocation record the local cloud writes for a discarded Kinesis batch, field by field against AWS's
// documented S3 example (local/lambda/on-failure.ts cites it), and read back by the redrive tool.
import { describe, expect, it } from 'vitest';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  decodeInvocationRecord,
  invocationRecord,
  sendToOnFailure,
  type DiscardedBatch,
  type OnFailureClients,
} from '../../../local/lambda/on-failure';
import { parseFailureRecord } from '../../../tools/ops/failure-records';

const streamArn = 'arn:aws:kinesis:us-east-1:000000000000:stream/events';
const functionArn = 'arn:aws:lambda:us-east-1:000000000000:function:notifications';

function record(seq: string, arrivalSeconds: number, data: object): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'order-1',
      sequenceNumber: seq,
      data: Buffer.from(JSON.stringify(data)).toString('base64'),
      approximateArrivalTimestamp: arrivalSeconds,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000001:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/notifications-role',
    awsRegion: 'us-east-1',
    eventSourceARN: streamArn,
  };
}

const records = [
  record('49601189658422359378836298521827638475320189012309704722', 1573691884.835, { id: 'a', type: 'OrderPlaced' }),
  record('49601189658422359378836298522902373528957594348623495186', 1573691885.58, { id: 'b', type: 'OrderPlaced' }),
];

const batch = (o: Partial<DiscardedBatch>): DiscardedBatch => ({
  functionArn,
  streamArn,
  shardId: 'shardId-000000000001',
  records,
  condition: 'RetryAttemptsExhausted',
  invokeCount: 4,
  lastRequestId: 'c9b8fa9f-5a7f-4d3e-af9c-0c604cde93a5',
  ...o,
});

const at = new Date('2019-11-14T00:38:06.021Z');

describe('on-failure invocation record', () => {
  it('matches the documented example field for field after a function that threw', () => {
    const r = invocationRecord(batch({ functionError: 'Unhandled' }), at);
    expect(r).toEqual({
      requestContext: {
        requestId: 'c9b8fa9f-5a7f-4d3e-af9c-0c604cde93a5',
        functionArn,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 4,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2019-11-14T00:38:06.021Z',
      KinesisBatchInfo: {
        shardId: 'shardId-000000000001',
        startSequenceNumber: '49601189658422359378836298521827638475320189012309704722',
        endSequenceNumber: '49601189658422359378836298522902373528957594348623495186',
        approximateArrivalOfFirstRecord: '2019-11-14T00:38:04.835Z',
        approximateArrivalOfLastRecord: '2019-11-14T00:38:05.580Z',
        batchSize: 2,
        streamArn,
      },
    });
    // the documented key order
    expect(Object.keys(r)).toEqual(['requestContext', 'responseContext', 'version', 'timestamp', 'KinesisBatchInfo']);
  });

  it('writes functionError as JSON null, not absent, when the function returned a (partial) batch response', () => {
    const text = JSON.stringify(invocationRecord(batch({}), at));
    expect(text).toContain('"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":null}');
  });

  it('has no responseContext for RecordAgeExceeded, whether or not the batch was invoked before', () => {
    for (const invokeCount of [0, 3]) {
      const r = invocationRecord(batch({ condition: 'RecordAgeExceeded', invokeCount, functionError: 'Unhandled' }), at);
      expect(r.requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: invokeCount });
      expect('responseContext' in r).toBe(false);
    }
  });

  it('S3: the payload is the invocation event as an escaped JSON string, and the redrive tool reads every variant back', async () => {
    const puts: Array<{ Bucket?: string; Key?: string; Body?: unknown }> = [];
    const clients = {
      s3: { send: async (c: PutObjectCommand) => void puts.push(c.input) },
      sqs: { send: async () => undefined },
    } as unknown as OnFailureClients;
    const dest = { kind: 's3' as const, arn: 'arn:aws:s3:::failures', bucketName: 'failures' };
    for (const b of [batch({ functionError: 'Unhandled' }), batch({}), batch({ condition: 'RecordAgeExceeded', invokeCount: 0 })]) {
      await sendToOnFailure(dest, '0b7c2d3e-1f4a-5b6c-8d7e-9f0a1b2c3d4e', b, clients);
    }
    expect(puts).toHaveLength(3);
    const conditions: string[] = [];
    for (const p of puts) {
      expect(p.Key).toMatch(
        /^aws\/lambda\/0b7c2d3e-1f4a-5b6c-8d7e-9f0a1b2c3d4e\/shardId-000000000001\/\d{4}\/\d{2}\/\d{2}\/\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}-[0-9a-f-]{36}$/,
      );
      const raw = JSON.parse(String(p.Body)) as { payload: unknown; timestamp: string };
      expect(typeof raw.payload).toBe('string');
      expect(JSON.parse(raw.payload as string)).toEqual({ Records: records });
      expect(raw.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(decodeInvocationRecord(String(p.Body)).payload).toEqual({ Records: records });
      const parsed = parseFailureRecord(String(p.Body));
      if (!parsed.ok) throw new Error(parsed.reason);
      expect(parsed.record).toMatchObject({
        functionArn,
        functionName: 'notifications',
        shardId: 'shardId-000000000001',
        streamArn,
        records,
      });
      conditions.push(parsed.record.condition!);
    }
    expect(conditions).toEqual(['RetryAttemptsExhausted', 'RetryAttemptsExhausted', 'RecordAgeExceeded']);
  });

  it('SQS: the same record without the payload (only S3 destinations carry the records)', async () => {
    const sent: Array<{ QueueUrl?: string; MessageBody?: string }> = [];
    const clients = {
      s3: { send: async () => undefined },
      sqs: { send: async (c: SendMessageCommand) => void sent.push(c.input) },
    } as unknown as OnFailureClients;
    await sendToOnFailure(
      { kind: 'sqs', arn: 'arn:aws:sqs:us-east-1:000000000000:dlq', queueUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/dlq' },
      'u',
      batch({}),
      clients,
    );
    const body = JSON.parse(sent[0]!.MessageBody!) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['requestContext', 'responseContext', 'version', 'timestamp', 'KinesisBatchInfo']);
    expect(body.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST', functionError: null });
  });
});
