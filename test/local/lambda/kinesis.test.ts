import { describe, expect, it, onTestFinished } from 'vitest';
import type { KinesisStreamRecord } from 'aws-lambda';
import { createClock } from '../../../local/clock';
import { createLogSink } from '../../../local/lambda/log-sink';
import { decodeInvocationRecord, eventSourceMappingUuid, type KinesisInvocationRecord } from '../../../local/lambda/on-failure';
import type { LambdaService } from '../../../local/lambda/service';
import type { InvocationReport, LocalFunction, LocalKinesisMapping, LocalStream } from '../../../local/types';
import {
  createBucket,
  createStream,
  emptyTopology,
  fixtureFunction,
  putEvents,
  readLines,
  startEmulators,
  type Emulators,
} from './harness';
import { useForFile } from '../../support/hooks';
import { serviceEachTest } from './hooks';
import { getObject, listKeys } from '../../support/aws';
import { tempFile } from '../../support/temp';
import { startRecordingProxy } from '../../support/recording-proxy';
import { eventually, sleep, waitFor } from '../../support/wait';

let e: Emulators;
let n = 0;
useForFile(startEmulators, (started) => {
  e = started;
});
const startService = serviceEachTest();

function mapping(fn: LocalFunction, stream: LocalStream, overrides: Partial<LocalKinesisMapping> = {}): LocalKinesisMapping {
  return {
    logicalId: `${fn.name}Mapping`,
    functionLogicalId: fn.logicalId,
    stream,
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    startingPosition: 'TRIM_HORIZON',
    bisectBatchOnFunctionError: false,
    maximumRetryAttempts: 2,
    maximumRecordAgeInSeconds: -1,
    parallelizationFactor: 1,
    reportBatchItemFailures: true,
    enabled: true,
    ...overrides,
  };
}

async function start(
  fns: LocalFunction[],
  mappings: LocalKinesisMapping[],
  timeScale = 0.01,
  maxBuffered?: number,
  endpoints = e.endpoints,
): Promise<LambdaService> {
  return startService(emptyTopology(endpoints, { functions: fns, kinesisMappings: mappings }), {
    clock: createClock(timeScale),
    logSink: createLogSink(),
    kinesisPollIntervalMs: 50,
    ...(maxBuffered !== undefined ? { kinesisMaxBufferedRecords: maxBuffered } : {}),
  });
}

const seen = (reports: readonly InvocationReport[], id: string): number => reports.filter((r) => r.recordIds.includes(id)).length;
const okIds = (reports: readonly InvocationReport[]): string[] =>
  reports.flatMap((r) =>
    r.outcome === 'ok' ? r.recordIds : r.outcome === 'partial' ? r.recordIds.filter((id) => !r.failedIds.includes(id)) : [],
  );
const decode = (r: KinesisStreamRecord): { id: string } => JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8'));

async function failureObjects(bucket: string): Promise<Array<{ key: string; body: KinesisInvocationRecord }>> {
  const keys = await listKeys(e.s3, bucket);
  return Promise.all(
    keys.map(async (key) => ({ key, body: decodeInvocationRecord((await getObject(e.s3, bucket, key)).toString('utf8')) })),
  );
}

describe('Kinesis event source mapping', () => {
  it('delivers every record once, in order per partition key, with parallelization factor 2 over 2 shards', async () => {
    const stream = await createStream(e, `order-${++n}`, 2);
    const log = tempFile('records.jsonl');
    const fn = fixtureFunction(`order${n}`, 'scripted', { environment: { RECORD_LOG: log } });
    const s = await start([fn], [mapping(fn, stream, { batchSize: 7, parallelizationFactor: 2 })]);
    const events = Array.from({ length: 200 }, (_, i) => ({
      id: `k${i % 10}-${String(Math.floor(i / 10)).padStart(3, '0')}`,
      pk: `key-${i % 10}`,
    }));
    await putEvents(e, stream, events);
    await waitFor('200 records', () => okIds(s.reports).length === 200, { timeoutMs: 30_000 });
    const lines = readLines<{ id: string; pk: string; batch: number }>(log);
    expect(lines.map((l) => l.id).sort()).toEqual(events.map((ev) => ev.id).sort());
    for (let k = 0; k < 10; k++) {
      const ids = lines.filter((l) => l.pk === `key-${k}`).map((l) => l.id);
      expect(ids).toEqual([...ids].sort());
      expect(ids).toHaveLength(20);
    }
    expect(Math.max(...lines.map((l) => l.batch))).toBeLessThanOrEqual(7);
    expect(s.stats().consumerLag[fn.name]).toEqual({ behindRecords: 0, millisBehind: 0 });
  });

  it('with ReportBatchItemFailures checkpoints before the lowest failed record and retries from there', async () => {
    const stream = await createStream(e, `rbif-${++n}`);
    const fn = fixtureFunction(`rbif${n}`, 'scripted');
    const s = await start([fn], [mapping(fn, stream, { batchSize: 10, maximumBatchingWindowSeconds: 5, maximumRetryAttempts: 2 })], 0.1);
    await putEvents(
      e,
      stream,
      Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, pk: 'one', action: i === 5 ? 'fail' : 'ok' })),
    );
    await waitFor('the failing part to be discarded', () => s.mappingStats()[`${fn.name}Mapping`]!.discardedRecords === 5, {
      timeoutMs: 30_000,
    });
    for (let i = 0; i < 5; i++) expect(seen(s.reports, `r${i}`)).toBe(1); // checkpointed after the first invocation
    for (let i = 5; i < 10; i++) expect(seen(s.reports, `r${i}`)).toBe(3); // 1 attempt + 2 retries, from r5 on
    expect(s.reports.map((r) => r.outcome)).toEqual(['partial', 'partial', 'partial']);
    // the shard moves on past the discarded records
    await putEvents(e, stream, [{ id: 'next', pk: 'one' }]);
    await waitFor('the next record', () => okIds(s.reports).includes('next'), { timeoutMs: 20_000 });
  });

  it('bisects a failing batch down to the poison record without consuming retries; only it goes to the on-failure destination', async () => {
    const stream = await createStream(e, `bisect-${++n}`);
    const bucket = `failures-bisect-${n}`;
    await createBucket(e, bucket);
    const fn = fixtureFunction(`bisect${n}`, 'scripted');
    const m = mapping(fn, stream, {
      batchSize: 8,
      maximumBatchingWindowSeconds: 1,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 0, // bisecting must not need retries
      reportBatchItemFailures: false,
      onFailure: { kind: 's3', arn: `arn:aws:s3:::${bucket}`, bucketName: bucket },
    });
    const s = await start([fn], [m], 0.01);
    await putEvents(
      e,
      stream,
      Array.from({ length: 8 }, (_, i) => ({ id: `b${i}`, pk: 'one', action: i === 3 ? 'throw' : 'ok' })),
    );
    const objects = await eventually(
      'an on-failure object',
      () => failureObjects(bucket),
      (o) => o.length > 0,
      { timeoutMs: 30_000 },
    );
    expect(objects).toHaveLength(1);
    expect(objects[0]!.body.KinesisBatchInfo.batchSize).toBe(1);
    expect(objects[0]!.body.payload!.Records.map(decode).map((d) => d.id)).toEqual(['b3']);
    await waitFor('the 7 good records', () => okIds(s.reports).length === 7, { timeoutMs: 20_000 });
    expect(okIds(s.reports).sort()).toEqual(['b0', 'b1', 'b2', 'b4', 'b5', 'b6', 'b7']);
    expect(s.stats().onFailureRecords[fn.name]).toBe(1);
  });

  it('after the retries sends the batch, with its payload, to S3 in the documented format, and the shard moves on', async () => {
    const stream = await createStream(e, `retry-${++n}`);
    const bucket = `failures-retry-${n}`;
    await createBucket(e, bucket);
    const fn = fixtureFunction(`retry${n}`, 'scripted');
    const m = mapping(fn, stream, {
      batchSize: 3,
      maximumBatchingWindowSeconds: 1,
      maximumRetryAttempts: 2,
      reportBatchItemFailures: false,
      onFailure: { kind: 's3', arn: `arn:aws:s3:::${bucket}`, bucketName: bucket },
    });
    const s = await start([fn], [m], 0.01);
    await putEvents(e, stream, [
      { id: 'p0', pk: 'a' },
      { id: 'p1', pk: 'a', action: 'throw' },
      { id: 'p2', pk: 'a' },
    ]);
    const [object] = await eventually(
      'an on-failure object',
      () => failureObjects(bucket),
      (o) => o.length > 0,
      { timeoutMs: 30_000 },
    );
    const uuid = eventSourceMappingUuid(m.logicalId);
    expect(object!.key).toMatch(
      new RegExp(
        `^aws/lambda/${uuid}/shardId-000000000000/\\d{4}/\\d{2}/\\d{2}/\\d{4}-\\d{2}-\\d{2}T\\d{2}\\.\\d{2}\\.\\d{2}-[0-9a-f-]{36}$`,
      ),
    );
    const body = object!.body;
    const raw = JSON.parse((await getObject(e.s3, bucket, object!.key)).toString('utf8')) as { payload: unknown };
    expect(typeof raw.payload, 'the payload is an escaped JSON string, as AWS documents').toBe('string');
    expect(body.requestContext).toMatchObject({ functionArn: fn.arn, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 });
    expect(body.responseContext).toMatchObject({ statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    expect(body.version).toBe('1.0');
    expect(body.KinesisBatchInfo).toMatchObject({ shardId: 'shardId-000000000000', batchSize: 3, streamArn: stream.arn });
    expect(body.payload!.Records.map(decode).map((d) => d.id)).toEqual(['p0', 'p1', 'p2']);
    expect(body.KinesisBatchInfo.startSequenceNumber).toBe(body.payload!.Records[0]!.kinesis.sequenceNumber);
    expect(body.KinesisBatchInfo.endSequenceNumber).toBe(body.payload!.Records[2]!.kinesis.sequenceNumber);
    expect(seen(s.reports, 'p1')).toBe(3);
    await putEvents(e, stream, [{ id: 'later', pk: 'a' }]);
    await waitFor('the shard to move on', () => okIds(s.reports).includes('later'), { timeoutMs: 20_000 });
  });

  it('writes functionError null when the function returned its failures (a partial or invalid batch response), "Unhandled" only when it threw', async () => {
    const stream = await createStream(e, `returned-${++n}`);
    const bucket = `failures-returned-${n}`;
    await createBucket(e, bucket);
    const onFailure = { kind: 's3' as const, arn: `arn:aws:s3:::${bucket}`, bucketName: bucket };
    const partial = fixtureFunction(`partial${n}`, 'scripted');
    const invalid = fixtureFunction(`invalid${n}`, 'scripted');
    const threw = fixtureFunction(`threw${n}`, 'scripted');
    const s = await start(
      [partial, invalid, threw],
      [
        mapping(partial, stream, { maximumRetryAttempts: 1, onFailure }),
        mapping(invalid, stream, { maximumRetryAttempts: 1, onFailure }),
        mapping(threw, stream, { maximumRetryAttempts: 1, onFailure }),
      ],
    );
    // each function sees the same record and acts on the action named after it
    await putEvents(e, stream, [{ id: 'x', pk: 'a', action: 'by-function' }]);
    const objects = await eventually(
      'three on-failure objects',
      () => failureObjects(bucket),
      (o) => o.length === 3,
      { timeoutMs: 30_000 },
    );
    const byFn = Object.fromEntries(objects.map((o) => [o.body.requestContext.functionArn, o]));
    for (const fn of [partial, invalid, threw]) {
      const o = byFn[fn.arn]!;
      expect(o.body.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 });
      const raw = JSON.parse((await getObject(e.s3, bucket, o.key)).toString('utf8')) as { responseContext: Record<string, unknown> };
      // the key is there in every case: JSON null when the function returned, "Unhandled" when it threw
      expect(raw.responseContext).toEqual({
        statusCode: 200,
        executedVersion: '$LATEST',
        functionError: fn === threw ? 'Unhandled' : null,
      });
    }
    expect(s.reports.filter((r) => r.functionName === partial.name).map((r) => r.outcome)).toEqual(['partial', 'partial']);
    expect(s.reports.filter((r) => r.functionName === invalid.name).map((r) => r.outcome)).toEqual(['error', 'error']);
    expect(s.reports.filter((r) => r.functionName === threw.name).map((r) => r.outcome)).toEqual(['error', 'error']);
  });

  it('discards records older than the maximum record age (scaled), even with infinite retries', async () => {
    const stream = await createStream(e, `age-${++n}`);
    const bucket = `failures-age-${n}`;
    await createBucket(e, bucket);
    const fn = fixtureFunction(`age${n}`, 'scripted');
    const m = mapping(fn, stream, {
      batchSize: 1,
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: 60, // × 0.01 = 0.6 s
      reportBatchItemFailures: false,
      onFailure: { kind: 's3', arn: `arn:aws:s3:::${bucket}`, bucketName: bucket },
    });
    const s = await start([fn], [m], 0.01);
    await putEvents(e, stream, [{ id: 'old', pk: 'a', action: 'throw' }]);
    const [object] = await eventually(
      'an on-failure object',
      () => failureObjects(bucket),
      (o) => o.length > 0,
      { timeoutMs: 30_000 },
    );
    expect(object!.body.requestContext.condition).toBe('RecordAgeExceeded');
    // AWS writes no responseContext for a batch given up on for its age, even after invocations
    expect(Object.keys(JSON.parse((await getObject(e.s3, bucket, object!.key)).toString('utf8')))).toEqual([
      'requestContext',
      'version',
      'timestamp',
      'KinesisBatchInfo',
      'payload',
    ]);
    expect(object!.body.payload!.Records.map(decode).map((d) => d.id)).toEqual(['old']);
    expect(seen(s.reports, 'old')).toBeGreaterThan(1);
    // (records queued behind a blocked one age too: publish the next one after the discard)
    await putEvents(e, stream, [{ id: 'young', pk: 'a' }]);
    await waitFor('the next record', () => okIds(s.reports).includes('young'), { timeoutMs: 20_000 });
  });

  it('applies a finite maximum record age at the first read (a backlog is skipped unread); -1 never expires a record', async () => {
    const stream = await createStream(e, `backlog-${++n}`);
    const bucket = `failures-backlog-${n}`;
    await createBucket(e, bucket);
    const forever = fixtureFunction(`forever${n}`, 'scripted');
    const hourly = fixtureFunction(`hourly${n}`, 'scripted');
    const onFailure = { kind: 's3' as const, arn: `arn:aws:s3:::${bucket}`, bucketName: bucket };
    const s = await start(
      [forever, hourly],
      [
        mapping(forever, stream, { maximumRecordAgeInSeconds: -1, onFailure }),
        mapping(hourly, stream, { maximumRecordAgeInSeconds: 60, onFailure }), // × 0.01 = 0.6 s
      ],
      0.01,
    );
    // both consumers are down (an outage, a new mapping at TRIM_HORIZON) while a good record ages past 60 s scaled
    s.pause(forever.name);
    s.pause(hourly.name);
    await putEvents(e, stream, [{ id: 'late', pk: 'a' }]);
    await sleep(1_500); // the subject: the record ages past 0.6 s (60 s scaled) while nobody reads it
    s.resume(forever.name);
    s.resume(hourly.name);
    await waitFor('the -1 consumer to process it', () => okIds(s.reports.filter((r) => r.functionName === forever.name)).includes('late'), {
      timeoutMs: 20_000,
    });
    const [object] = await eventually(
      'the finite-age consumer to discard it',
      () => failureObjects(bucket),
      (o) => o.length > 0,
      { timeoutMs: 20_000 },
    );
    expect(object!.body.requestContext).toMatchObject({
      functionArn: hourly.arn,
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
    });
    expect(
      seen(
        s.reports.filter((r) => r.functionName === hourly.name),
        'late',
      ),
    ).toBe(0); // never invoked with it
    expect(s.mappingStats()[`${forever.name}Mapping`]!.discardedRecords).toBe(0);
  });

  it('pausing one consumer leaves the others current; resumed, it catches up from its own position', async () => {
    const stream = await createStream(e, `fanout-${++n}`, 2);
    const a = fixtureFunction(`consumerA${n}`, 'scripted');
    const b = fixtureFunction(`consumerB${n}`, 'scripted');
    const s = await start([a, b], [mapping(a, stream), mapping(b, stream)]);
    await putEvents(e, stream, [{ id: 'before', pk: 'x' }]);
    await waitFor('both consumers current', () => s.reports.filter((r) => r.recordIds.includes('before')).length === 2, {
      timeoutMs: 20_000,
    });
    s.pause(a.name);
    const events = Array.from({ length: 30 }, (_, i) => ({ id: `ev${i}`, pk: `pk${i % 4}` }));
    await putEvents(e, stream, events);
    await waitFor('consumer B current', () => okIds(s.reports.filter((r) => r.functionName === b.name)).length === 31, {
      timeoutMs: 20_000,
    });
    await waitFor('consumer A lag 30', () => s.stats().consumerLag[a.name]!.behindRecords === 30, { timeoutMs: 20_000 });
    expect(s.stats().consumerLag[b.name]!.behindRecords).toBe(0);
    expect(s.stats().consumerLag[a.name]!.millisBehind).toBeGreaterThan(0);
    expect(s.reports.filter((r) => r.functionName === a.name && r.recordIds.some((id) => id.startsWith('ev')))).toHaveLength(0);
    s.resume(a.name);
    await waitFor('consumer A caught up', () => okIds(s.reports.filter((r) => r.functionName === a.name)).length === 31, {
      timeoutMs: 20_000,
    });
    const aIds = okIds(s.reports.filter((r) => r.functionName === a.name));
    expect(new Set(aIds).size).toBe(31); // from its own position: nothing twice, nothing skipped
    expect(s.stats().consumerLag[a.name]!.behindRecords).toBe(0);
  });

  it('counts lag beyond its read buffer while paused and re-reads those records on resume, each once', async () => {
    const stream = await createStream(e, `overflow-${++n}`);
    const fn = fixtureFunction(`overflow${n}`, 'scripted');
    const m = mapping(fn, stream, { batchSize: 5 });
    const s = await start([fn], [m], 0.01, 10);
    s.pause(m.logicalId); // by mapping id this time
    const events = Array.from({ length: 60 }, (_, i) => ({ id: `o${i}`, pk: 'a' }));
    await putEvents(e, stream, events);
    await waitFor('lag 60 with a buffer of 10', () => s.stats().consumerLag[fn.name]!.behindRecords === 60, { timeoutMs: 20_000 });
    s.resume(m.logicalId);
    await waitFor('all 60 delivered', () => okIds(s.reports).length === 60, { timeoutMs: 20_000 });
    expect(okIds(s.reports)).toEqual(events.map((ev) => ev.id)); // once each, in order
    expect(s.stats().consumerLag[fn.name]!.behindRecords).toBe(0);
  });

  it('skips and checkpoints records that do not match the filter criteria', async () => {
    const stream = await createStream(e, `filter-${++n}`);
    const fn = fixtureFunction(`kfilter${n}`, 'scripted');
    const m = mapping(fn, stream, { filterCriteria: { Filters: [{ Pattern: JSON.stringify({ data: { id: [{ prefix: 'keep' }] } }) }] } });
    const s = await start([fn], [m]);
    await putEvents(e, stream, [
      { id: 'keep-1', pk: 'a' },
      { id: 'drop-1', pk: 'a' },
      { id: 'keep-2', pk: 'a' },
      { id: 'drop-2', pk: 'a' },
    ]);
    await waitFor('filtered', () => s.mappingStats()[m.logicalId]!.filteredOut === 2 && okIds(s.reports).length === 2, {
      timeoutMs: 20_000,
    });
    expect(okIds(s.reports).sort()).toEqual(['keep-1', 'keep-2']);
    expect(s.stats().consumerLag[fn.name]!.behindRecords).toBe(0);
  });

  it('starts at LATEST: records already in the stream are not delivered', async () => {
    const stream = await createStream(e, `latest-${++n}`);
    await putEvents(e, stream, [{ id: 'old', pk: 'a' }]);
    const fn = fixtureFunction(`latest${n}`, 'scripted');
    // the service reaches Kinesis through a proxy that tells when its LATEST iterator was handed out: only a record
    // put after that is one the mapping must deliver
    const proxy = await startRecordingProxy(e.endpoints.kinesis);
    onTestFinished(() => proxy.stop()); // after afterEach has stopped the service
    const s = await start([fn], [mapping(fn, stream, { startingPosition: 'LATEST' })], undefined, undefined, {
      ...e.endpoints,
      kinesis: proxy.url,
    });
    await waitFor('the poller to hold its LATEST iterator', () => proxy.answered('GetShardIterator') >= stream.shardCount, {
      timeoutMs: 20_000,
    });
    await putEvents(e, stream, [{ id: 'new', pk: 'a' }]);
    await waitFor('the new record', () => okIds(s.reports).includes('new'), { timeoutMs: 20_000 });
    expect(okIds(s.reports)).toEqual(['new']);
  });
});
