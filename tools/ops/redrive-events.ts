/**
 * redrive events --consumer <name>: the batches a consumer's event source mapping discarded into the failure
 * bucket → that consumer only (direct invocation, like replay --target consumer:<name>), then each fully
 * delivered object is moved under `redriven/` (CopyObject + DeleteObject) so a second run skips it.
 *
 * The records are re-delivered exactly as Lambda recorded them (same data, sequence numbers, source ARN):
 * a redrive is the same delivery once more, not a replay, so no replay marker is added — the consumer's
 * idempotency on the envelope id makes a repeat harmless. An object with any record still undeliverable stays
 * where it is; the next run re-delivers all of it (records that did go through are repeated: idempotent).
 */
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import type { KinesisStreamRecord } from 'aws-lambda';
import { parseEvent } from '../../lambdas/shared/envelope';
import { listObjects, type S3Sender } from './s3-objects';
import { deliverToConsumer } from './consumer-delivery';
import type { ConsumerInvoker, ConsumerTarget } from './consumer-invoker';
import { FAILURE_OBJECT_PREFIX, functionNameOf, parseFailureRecord, REDRIVEN_PREFIX, type FailureRecord } from './failure-records';
import type { ProgressSink } from './progress';
import { awsError, need, type OpsEnvironment } from './resolve-stage';

export interface RedriveEventsOptions {
  readonly env: OpsEnvironment;
  readonly s3: S3Sender;
  readonly invoker: ConsumerInvoker;
  readonly consumer: string;
  readonly dryRun?: boolean;
  readonly batchSize?: number;
  readonly maxRetries?: number;
  readonly consumerSleep?: (retry: number) => Promise<void>;
  readonly progress?: ProgressSink;
}

export interface RedriveEventsSummary {
  readonly consumer: string;
  readonly functionName: string;
  readonly dryRun: boolean;
  /** failure objects of this consumer found (other consumers' objects are not counted) */
  objects: number;
  records: number;
  redelivered: number;
  failed: number;
  /** objects moved to redriven/ */
  moved: number;
  readonly byType: Record<string, number>;
  /** objects that could not be read as invocation records (left in place) */
  readonly unreadable: { key: string; reason: string }[];
  readonly failures: { key: string; sequenceNumber: string; reason: string }[];
}

/** The summary as text, as `npm run redrive -- events` and the console print it (`counts` writes the by-type table). */
export function redriveEventsLines(s: RedriveEventsSummary, envLabel: string, counts: (c: Record<string, number>) => string): string[] {
  return [
    `${s.dryRun ? 'dry run: ' : ''}redrive events → ${s.consumer} (${s.functionName}) on ${envLabel}: ${s.objects} object(s), ${s.records} record(s)` +
      (s.dryRun ? '' : `; redelivered ${s.redelivered}, failed ${s.failed}, moved to redriven/ ${s.moved}`),
    '  by type:',
    counts(s.byType),
    ...s.unreadable.map((u) => `  skipped ${u.key}: ${u.reason}`),
    ...s.failures.slice(0, 20).map((f) => `  failed ${f.key} seq ${f.sequenceNumber}: ${f.reason}`),
  ];
}

export async function redriveEvents(o: RedriveEventsOptions): Promise<RedriveEventsSummary> {
  const bucket = need(o.env.failureBucket, 'failure bucket', o.env);
  const target = await o.invoker.resolve(o.consumer, o.batchSize === undefined ? {} : { batchSize: o.batchSize });
  const summary: RedriveEventsSummary = {
    consumer: o.consumer,
    functionName: target.functionName,
    dryRun: o.dryRun ?? false,
    objects: 0,
    records: 0,
    redelivered: 0,
    failed: 0,
    moved: 0,
    byType: {},
    unreadable: [],
    failures: [],
  };
  const keys = await listFailureObjects(o.s3, bucket);
  o.progress?.start(keys.length, o.dryRun ? `failure objects for ${o.consumer}` : `redriving to ${o.consumer}`, {
    unit: 'failure objects',
    words: { matched: 'records', sent: 'redelivered' },
  });
  // Read first, then deliver in stream order: keys end in a random UUID, so two objects of one shard written in
  // the same second would otherwise be redriven in random order and could reverse per-key order.
  const loaded: { key: string; record: FailureRecord }[] = [];
  for (const key of keys) {
    const parsed = parseFailureRecord(await getText(o.s3, bucket, key));
    if (!parsed.ok) {
      summary.unreadable.push({ key, reason: parsed.reason });
      o.progress?.log(`skipped ${key}: ${parsed.reason}`);
      continue;
    }
    if (belongsTo(parsed.record, target)) loaded.push({ key, record: parsed.record });
  }
  loaded.sort(byStreamPosition);
  let done = keys.length - loaded.length;
  for (const { key, record } of loaded) {
    done++;
    const parsed = { record };
    summary.objects++;
    summary.records += parsed.record.records.length;
    for (const r of parsed.record.records) {
      const event = parseEvent(Buffer.from(r.kinesis.data, 'base64'), { maxBytes: 10 * 1024 * 1024 });
      const type = event.ok ? event.envelope.type : `(invalid: ${event.reason})`;
      summary.byType[type] = (summary.byType[type] ?? 0) + 1;
    }
    if (o.dryRun) {
      o.progress?.object(done, { matched: summary.records });
      continue;
    }
    const outcomes = await deliverToConsumer(parsed.record.records as KinesisStreamRecord[], {
      invoker: o.invoker,
      target,
      ...(o.maxRetries === undefined ? {} : { maxRetries: o.maxRetries }),
      ...(o.consumerSleep ? { sleep: o.consumerSleep } : {}),
    });
    let allDelivered = true;
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) summary.redelivered++;
      else {
        allDelivered = false;
        summary.failed++;
        summary.failures.push({
          key,
          sequenceNumber: parsed.record.records[i]!.kinesis.sequenceNumber,
          reason: outcome.message ?? 'undeliverable',
        });
      }
    });
    if (allDelivered) {
      await moveObject(o.s3, bucket, key, `${REDRIVEN_PREFIX}${key}`);
      summary.moved++;
    }
    o.progress?.object(done, { sent: summary.redelivered, failed: summary.failed });
  }
  o.progress?.stop();
  return summary;
}

/** Shard, then the first record's sequence number (numeric: sequence numbers are decimal strings of varying length). */
function byStreamPosition(a: { record: FailureRecord }, b: { record: FailureRecord }): number {
  const shard = (a.record.shardId ?? '').localeCompare(b.record.shardId ?? '');
  if (shard !== 0) return shard;
  const seq = (r: FailureRecord): bigint => BigInt(r.records[0]?.kinesis.sequenceNumber ?? '0');
  const [x, y] = [seq(a.record), seq(b.record)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The consumer's objects: its function ARN, or its function name (a bare or differently qualified ARN). */
function belongsTo(record: FailureRecord, target: ConsumerTarget): boolean {
  if (target.functionArn && functionNameOf(target.functionArn) === record.functionName) return true;
  return record.functionName === functionNameOf(target.functionName) || record.functionName === target.name;
}

/** Everything under aws/lambda/ (the documented key layout); redriven/ is a different prefix and never listed. */
async function listFailureObjects(s3: S3Sender, bucket: string): Promise<string[]> {
  try {
    return (await listObjects(s3, bucket, FAILURE_OBJECT_PREFIX)).map((o) => o.key);
  } catch (error) {
    throw awsError(error, `listing the failure bucket ${bucket}`);
  }
}

async function getText(s3: S3Sender, bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return out.Body!.transformToString('utf8');
}

/** Copy first, delete only after the copy succeeded: the object always exists under one of the two keys. */
async function moveObject(s3: S3Sender, bucket: string, from: string, to: string): Promise<void> {
  await s3.send(
    new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: `${bucket}/${encodeURIComponent(from).replace(/%2F/g, '/')}` }),
  );
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: from }));
}
