/**
 * Reads the invocation records Lambda writes to an S3 on-failure destination of a Kinesis event source
 * mapping (AWS Lambda Developer Guide, "Retain discarded batch records for a Kinesis Data Streams event
 * source in Lambda", example Amazon S3 invocation record):
 *
 *   { requestContext: { requestId, functionArn, condition, approximateInvokeCount },
 *     responseContext: { statusCode, executedVersion, functionError }, version: "1.0", timestamp,
 *     KinesisBatchInfo: { shardId, startSequenceNumber, endSequenceNumber, approximateArrivalOfFirstRecord,
 *                         approximateArrivalOfLastRecord, batchSize, streamArn },
 *     payload: "<the whole invocation event as an escaped JSON string>" }
 *
 * Object keys: aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>.
 * Tolerant: `payload` may also be the event object itself (what the local stand-in has written), and unknown
 * fields are ignored. Only what redrive needs is required: the function ARN and the records.
 */
import type { KinesisStreamRecord } from 'aws-lambda';

export const FAILURE_OBJECT_PREFIX = 'aws/lambda/';
export const REDRIVEN_PREFIX = 'redriven/';

export interface FailureRecord {
  readonly functionArn: string;
  /** the function name inside the ARN (qualifier dropped) */
  readonly functionName: string;
  readonly condition?: string;
  readonly shardId?: string;
  readonly streamArn?: string;
  readonly timestamp?: string;
  readonly records: readonly KinesisStreamRecord[];
}

export type FailureRecordResult = { readonly ok: true; readonly record: FailureRecord } | { readonly ok: false; readonly reason: string };

/** `arn:aws:lambda:region:account:function:name[:qualifier]` → name; a bare name is returned as is. */
export function functionNameOf(arnOrName: string): string {
  const m = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(:.*)?$/.exec(arnOrName);
  return m ? m[1]! : arnOrName;
}

export function parseFailureRecord(text: string): FailureRecordResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (!isObject(doc)) return { ok: false, reason: 'not a JSON object' };
  const ctx = doc['requestContext'];
  const functionArn = isObject(ctx) ? ctx['functionArn'] : undefined;
  if (typeof functionArn !== 'string' || functionArn === '') return { ok: false, reason: 'requestContext.functionArn: missing' };
  let payload = doc['payload'];
  if (payload === undefined) {
    return {
      ok: false,
      reason: 'payload: missing (only S3 destinations carry the records; an SQS/SNS record needs the records fetched from the stream)',
    };
  }
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch (error) {
      return { ok: false, reason: `payload: not a JSON string: ${(error as Error).message}` };
    }
  }
  const records = isObject(payload) ? payload['Records'] : undefined;
  if (!Array.isArray(records)) return { ok: false, reason: 'payload.Records: expected an array' };
  for (const [i, r] of records.entries()) {
    const k = isObject(r) ? r['kinesis'] : undefined;
    if (!isObject(k) || typeof k['data'] !== 'string' || typeof k['sequenceNumber'] !== 'string' || typeof k['partitionKey'] !== 'string') {
      return { ok: false, reason: `payload.Records[${i}]: not a Kinesis record (kinesis.data / sequenceNumber / partitionKey)` };
    }
  }
  const info = isObject(doc['KinesisBatchInfo']) ? doc['KinesisBatchInfo'] : {};
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const record: FailureRecord = {
    functionArn,
    functionName: functionNameOf(functionArn),
    records: records as KinesisStreamRecord[],
    ...opt('condition', isObject(ctx) ? str(ctx['condition']) : undefined),
    ...opt('shardId', str(info['shardId'])),
    ...opt('streamArn', str(info['streamArn'])),
    ...opt('timestamp', str(doc['timestamp'])),
  };
  return { ok: true, record };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const opt = <K extends string>(k: K, v: string | undefined): { [P in K]?: string } =>
  v === undefined ? {} : ({ [k]: v } as { [P in K]?: string });
