import { createHash, randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { OnFailureDestination } from '../types';

// Invocation records for discarded stream batches, as AWS writes them. The documented S3 example
// (AWS Lambda Developer Guide, "Retain discarded batch records for a Kinesis Data Streams event source in
// Lambda", https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html):
//
//   { "requestContext": { "requestId": "c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5",
//                         "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
//                         "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 1 },
//     "responseContext": { "statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled" },
//     "version": "1.0", "timestamp": "2019-11-14T00:38:06.021Z",
//     "KinesisBatchInfo": { "shardId": "shardId-000000000001",
//                           "startSequenceNumber": "49601189658422359378836298521827638475320189012309704722",
//                           "endSequenceNumber": "49601189658422359378836298522902373528957594348623495186",
//                           "approximateArrivalOfFirstRecord": "2019-11-14T00:38:04.835Z",
//                           "approximateArrivalOfLastRecord": "2019-11-14T00:38:05.580Z",
//                           "batchSize": 500, "streamArn": "arn:aws:kinesis:us-east-2:123456789012:stream/mystream" },
//     "payload": "<Whole Event>" }   // only in S3: the invocation event as an escaped JSON string
//
// under aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>. What the example does not
// show, and AWS writes:
// - condition is RetryAttemptsExhausted or RecordAgeExceeded (MaximumRecordAgeInSeconds);
// - responseContext.functionError is "Unhandled" only when the last invocation threw (an error, a timeout, a
//   crashed runtime); when the function returned (a partial batch response) it is JSON null, not absent;
// - a RecordAgeExceeded record has no responseContext at all;
// - timestamps are ISO 8601 UTC with milliseconds; sequence numbers are strings; batchSize is a number.

export type DiscardCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

export interface KinesisInvocationRecord {
  requestContext: { requestId: string; functionArn: string; condition: DiscardCondition; approximateInvokeCount: number };
  /** absent for RecordAgeExceeded */
  responseContext?: { statusCode: number; executedVersion: string; functionError: 'Unhandled' | null };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
  /** S3 destinations only: the event the function was (or would have been) invoked with */
  payload?: { Records: KinesisStreamRecord[] };
}

/** Reads an S3 invocation record with its payload decoded (AWS writes the payload as an escaped JSON string). */
export function decodeInvocationRecord(text: string): KinesisInvocationRecord {
  const doc = JSON.parse(text) as Omit<KinesisInvocationRecord, 'payload'> & { payload?: string | { Records: KinesisStreamRecord[] } };
  const { payload: raw, ...rest } = doc;
  const payload = typeof raw === 'string' ? (JSON.parse(raw) as { Records: KinesisStreamRecord[] }) : raw;
  return { ...rest, ...(payload ? { payload } : {}) };
}

export interface DiscardedBatch {
  functionArn: string;
  streamArn: string;
  shardId: string;
  records: KinesisStreamRecord[];
  condition: DiscardCondition;
  /** invocations of this batch so far (0 when it expired before any) */
  invokeCount: number;
  lastRequestId?: string;
  /** "Unhandled" when the last invocation threw, timed out or crashed; undefined when it returned a response */
  functionError?: string;
}

/** Lambda names S3 objects by the event source mapping's UUID: derive a stable one from the logical id. */
export function eventSourceMappingUuid(logicalId: string): string {
  const h = createHash('sha1').update(`queue-and-stream/local/esm/${logicalId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export function invocationRecord(batch: DiscardedBatch, now = new Date()): KinesisInvocationRecord {
  const first = batch.records[0]!;
  const last = batch.records[batch.records.length - 1]!;
  const iso = (seconds: number): string => new Date(Math.round(seconds * 1000)).toISOString();
  return {
    requestContext: {
      requestId: batch.lastRequestId ?? randomUUID(),
      functionArn: batch.functionArn,
      condition: batch.condition,
      approximateInvokeCount: batch.invokeCount,
    },
    // a batch given up on for its age carries no response context; one given up on after its retries carries the
    // last invocation's: "Unhandled" if it threw, null if it returned
    ...(batch.condition === 'RecordAgeExceeded' || batch.invokeCount === 0
      ? {}
      : {
          responseContext: {
            statusCode: 200,
            executedVersion: '$LATEST',
            functionError: batch.functionError ? ('Unhandled' as const) : null,
          },
        }),
    version: '1.0',
    timestamp: now.toISOString(),
    KinesisBatchInfo: {
      shardId: batch.shardId,
      startSequenceNumber: first.kinesis.sequenceNumber,
      endSequenceNumber: last.kinesis.sequenceNumber,
      approximateArrivalOfFirstRecord: iso(first.kinesis.approximateArrivalTimestamp),
      approximateArrivalOfLastRecord: iso(last.kinesis.approximateArrivalTimestamp),
      batchSize: batch.records.length,
      streamArn: batch.streamArn,
    },
  };
}

function s3FailureKey(esmUuid: string, shardId: string, now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const [y, m, d] = [now.getUTCFullYear(), p(now.getUTCMonth() + 1), p(now.getUTCDate())];
  return `aws/lambda/${esmUuid}/${shardId}/${y}/${m}/${d}/${y}-${m}-${d}T${p(now.getUTCHours())}.${p(now.getUTCMinutes())}.${p(now.getUTCSeconds())}-${randomUUID()}`;
}

export interface OnFailureClients {
  s3: S3Client;
  sqs: SQSClient;
}

/** Sends one discarded batch to the mapping's destination; resolves to where it went (undefined: dropped). */
export async function sendToOnFailure(
  destination: OnFailureDestination | undefined,
  esmUuid: string,
  batch: DiscardedBatch,
  clients: OnFailureClients,
): Promise<string | undefined> {
  if (!destination) return undefined;
  const now = new Date();
  const record = invocationRecord(batch, now);
  switch (destination.kind) {
    case 's3': {
      const key = s3FailureKey(esmUuid, batch.shardId, now);
      // As documented for S3 destinations: the payload is the invocation event as an escaped JSON string.
      const body = JSON.stringify({ ...record, payload: JSON.stringify({ Records: batch.records }) });
      await clients.s3.send(
        new PutObjectCommand({ Bucket: destination.bucketName, Key: key, Body: body, ContentType: 'application/json' }),
      );
      return `s3://${destination.bucketName}/${key}`;
    }
    case 'sqs':
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: destination.queueUrl, MessageBody: JSON.stringify(record) }));
      return destination.queueUrl;
    case 'sns':
      throw new Error(`on-failure destination ${destination.arn}: SNS is not emulated locally`);
  }
}
