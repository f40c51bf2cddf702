// The operator tools end to end on the local cloud: replay (to a new consumer, to the stream, interrupted and
// resumed, over a corrupt archive), redrive of the jobs DLQ and of the failure bucket. The tools run as the CLIs
// run them (runReplay / redriveJobs / redriveEvents with an environment read from endpoints.json and the same
// SDK clients and Lambda Invoke calls). One cloud for the file; each test counts only the ids it created, and
// asserts counts and ids, never durations.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECLINED_TOKEN, DECLINED_TOKENS_ENV } from '../../lambdas/job-worker/fakes';
import { deriveId, newEvent, newJob, type EventEnvelope, type KnownEvent } from '../../lambdas/shared/envelope';
import { HouseFunction } from '../../lib/house-function';
import { hourPrefix } from '../../tools/ops/archive-reader';
import { LambdaConsumerInvoker } from '../../tools/ops/consumer-invoker';
import { REDRIVEN_PREFIX } from '../../tools/ops/failure-records';
import { silentProgress, type ProgressSink } from '../../tools/ops/progress';
import { redriveEvents } from '../../tools/ops/redrive-events';
import { redriveJobs } from '../../tools/ops/redrive-jobs';
import { runReplay, type ReplayOptions } from '../../tools/ops/replay';
import { createOpsClients, readEndpointsFile, type OpsClients, type OpsEnvironment } from '../../tools/ops/resolve-stage';
import {
  BucketReader,
  countBy,
  eventually,
  gunzip,
  invocationsWith,
  peekAll,
  processedIds,
  queueDepth,
  removeStateDir,
  startE2eCloud,
  synthesizeDevApp,
  type E2eCloud,
  type FunctionLogEntry,
} from './harness';
import { decodeInvocationRecord } from '../../local/lambda/on-failure';

const TIME_SCALE = 0.01;
const WAIT_MS = 30_000;

/**
 * The brand-new consumer of the backfill test: analytics' code under another name (its own tag, its own
 * POWERTOOLS_SERVICE_NAME and so its own idempotency records), added to the dev app through the project's own
 * constructs, exactly as ComputeStack adds a consumer. Its mapping is paused before anything is published and
 * stays paused: it never reads a record from the stream. That is what a consumer deployed after the events aged
 * out of the stream sees — nothing of them on the stream — so the archive replay (Lambda Invoke, as on AWS) is
 * its only way to get them; and since analytics runs the same code live, it is the reference state.
 */
const PROBE = 'backfill-probe';
const REFERENCE = 'analytics';

let e: E2eCloud;
let env: OpsEnvironment;
let ops: OpsClients;
let invoker: LambdaConsumerInvoker;
let assemblyDir: string;
const fileStartedAt = new Date();
const run = randomUUID().slice(0, 8);

beforeAll(async () => {
  assemblyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-ops-e2e-assembly-'));
  await synthesizeDevApp(assemblyDir, ({ stateful, compute }, config) => {
    const probe = new HouseFunction(compute, 'BackfillProbe', { name: REFERENCE, logRetention: config.logRetention, removalPolicy: config.removalPolicy });
    stateful.idempotencyTable.grantRecords(probe.fn);
    stateful.eventStream.addConsumer(PROBE, probe.fn); // tags it and sets POWERTOOLS_SERVICE_NAME = backfill-probe
  });
  e = await startE2eCloud({ timeScale: TIME_SCALE, assemblyDir });
  e.cloud.lambda!.pause(PROBE); // before the first publish: the probe sees nothing live
  env = readEndpointsFile(e.cloud.endpointsFile);
  ops = createOpsClients(env);
  invoker = new LambdaConsumerInvoker(env, () => ops.lambda());
}, 180_000);

afterAll(async () => {
  ops?.destroy();
  await e?.stop();
  removeStateDir(e);
  if (assemblyDir) fs.rmSync(assemblyDir, { recursive: true, force: true });
});

function wait<T>(what: string, observe: () => T | Promise<T>, done: (v: T) => boolean, timeoutMs = WAIT_MS): Promise<T> {
  return eventually(observe, done, { what, timeoutMs, abortIf: () => e.fatal() });
}

const liveConsumers = (): E2eCloud['consumers'] => e.consumers.filter((c) => c.fn.name !== PROBE);
const only = <T>(items: readonly T[], keep: ReadonlySet<T>): T[] => items.filter((i) => keep.has(i));
const checkpoint = (name: string): string => path.join(e.stateDir, `replay-${name}.json`);

function orderPlaced(orderId: string, paymentToken?: string): KnownEvent<'OrderPlaced'> {
  return newEvent(
    'OrderPlaced',
    { orderId, customerEmail: `buyer-${orderId}@example.com`, items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 }], totalCents: 2500, currency: 'EUR', ...(paymentToken ? { paymentToken } : {}) },
    { partitionKey: orderId },
  );
}

const orderShipped = (orderId: string, n: number): KnownEvent<'OrderShipped'> =>
  newEvent('OrderShipped', { orderId, customerEmail: `buyer-${orderId}@example.com`, carrier: 'DHL', trackingNumber: `TRACK-${n}` }, { partitionKey: orderId });

/**
 * perKey events per key (an OrderPlaced, then OrderShipped), interleaved across keys, one millisecond apart as
 * a producer stamps them: the archive orders objects Firehose wrote in the same second by that time
 * (tools/ops/archive-reader.ts), so events of one key created in the same millisecond could swap there.
 */
function eventsOn(keys: readonly string[], perKey: number): EventEnvelope[] {
  const out: EventEnvelope[] = [];
  const t0 = Date.now();
  for (let i = 0; i < perKey; i++) {
    for (const k of keys) {
      const event = i === 0 ? orderPlaced(k) : orderShipped(k, i);
      out.push({ ...event, occurredAt: new Date(t0 + out.length).toISOString() });
    }
  }
  return out;
}

const keysFor = (tag: string, n: number): string[] => Array.from({ length: n }, (_, i) => `order-${run}-${tag}-${i + 1}`);

/** A function's log lines with `message` about the given envelope ids, in order. */
const logLines = (fn: string, message: string, ids: ReadonlySet<string>): FunctionLogEntry[] =>
  e.functionLog.filter((l) => l.functionName === fn && l.message === message && l.envelopeId !== undefined && ids.has(l.envelopeId));

const PROCESSED = 'event processed';
const DUPLICATE = 'event already processed by this consumer: acknowledged without side effects';

/** Ids in order, grouped by partition key. */
function perKey(ids: readonly string[], keyOf: ReadonlyMap<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const id of ids) (out[keyOf.get(id)!] ??= []).push(id);
  return out;
}

async function publishAndSettle(events: readonly EventEnvelope[]): Promise<Set<string>> {
  const ids = new Set(events.map((ev) => ev.id));
  await e.publish(events);
  for (const c of liveConsumers()) {
    const expected = c.receives(events).length;
    await wait(`${c.fn.name} to process its ${expected} events live`, () => new Set(only(processedIds(e.reports, c.fn.name), ids)).size, (n) => n === expected);
  }
  return ids;
}

/** Envelope ids per archived line (replay copies included), after a Firehose flush. */
async function archivedLines(): Promise<Array<{ key: string; envelope: EventEnvelope }>> {
  await e.cloud.firehose!.flush();
  const bodies = await new BucketReader(e.clients, e.archive.name).refresh();
  return [...bodies].flatMap(([key, body]) =>
    gunzip(body)
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => ({ key, envelope: JSON.parse(l) as EventEnvelope })),
  );
}

async function waitArchived(ids: ReadonlySet<string>): Promise<void> {
  await wait(`the archive to hold all ${ids.size} events`, async () => new Set((await archivedLines()).map((l) => l.envelope.id)), (got) => [...ids].every((id) => got.has(id)));
}

function replay(o: Omit<ReplayOptions, 'env' | 's3' | 'kinesis' | 'invoker'>) {
  return runReplay({ env, s3: ops.s3, kinesis: ops.kinesis, invoker, progress: silentProgress, ...o });
}

describe('operator tools on the local cloud', () => {
  it('backfills a brand-new consumer from the archive to exactly the state of a consumer that saw the events live, and no other consumer sees them', async () => {
    const keys = keysFor('backfill', 6);
    const events = eventsOn(keys, 10); // 60 events, 6 keys
    const ids = await publishAndSettle(events);
    await waitArchived(ids);
    const keyOf = new Map(events.map((ev) => [ev.id, ev.partitionKey]));
    const processedBefore = Object.fromEntries(liveConsumers().map((c) => [c.fn.name, countBy(only(processedIds(e.reports, c.fn.name), ids))]));
    expect(logLines(PROBE, PROCESSED, ids), 'the new consumer saw nothing live').toEqual([]);

    // the whole range so far: every event this file published
    const summary = await replay({ from: fileStartedAt, to: new Date(), target: { kind: 'consumer', name: PROBE }, checkpointFile: checkpoint('backfill') });
    expect({ matched: summary.matched, sent: summary.sent, failed: summary.failed, skipped: summary.skipped, interrupted: summary.interrupted }).toEqual({
      matched: 60,
      sent: 60,
      failed: 0,
      skipped: 0,
      interrupted: false,
    });

    // same processed set and same per-key processing order as the live reference consumer (same code)
    const probe = logLines(PROBE, PROCESSED, ids);
    const reference = logLines(REFERENCE, PROCESSED, ids);
    expect(probe.map((l) => l.envelopeId).sort()).toEqual([...ids].sort());
    expect(probe.every((l) => l.replayId === summary.replayId), 'every backfilled event carries the replay marker').toBe(true);
    expect(reference.map((l) => l.envelopeId).sort()).toEqual([...ids].sort());
    expect(perKey(probe.map((l) => l.envelopeId!), keyOf)).toEqual(perKey(reference.map((l) => l.envelopeId!), keyOf));
    expect(perKey(probe.map((l) => l.envelopeId!), keyOf)).toEqual(perKey(events.map((ev) => ev.id), keyOf));
    expect(logLines(PROBE, DUPLICATE, ids)).toEqual([]);

    // no other consumer saw the replay: a sentinel per key, processed by every live consumer, comes after
    // anything the replay could have put on those keys (per-key order), so their counts are final here
    const sentinels = keys.map((k) => orderShipped(k, 99));
    await publishAndSettle(sentinels);
    for (const c of liveConsumers()) {
      expect(countBy(only(processedIds(e.reports, c.fn.name), ids)), `${c.fn.name}: processed counts unchanged`).toEqual(processedBefore[c.fn.name]);
      expect([...processedBefore[c.fn.name]!.values()].every((n) => n === 1)).toBe(true);
      expect(e.functionLog.filter((l) => l.functionName === c.fn.name && l.replayId === summary.replayId)).toEqual([]);
    }
  }, 90_000);

  it('replays to the stream: every consumer receives each event again, marked with its original id, processes it again, and no job side effect repeats', async () => {
    const from = new Date();
    const keys = keysFor('restream', 3);
    const events = eventsOn(keys, 4); // 12 events: 3 OrderPlaced, 9 OrderShipped
    const ids = await publishAndSettle(events);
    const to = new Date(Date.now() + 1);
    const keyOf = new Map(events.map((ev) => [ev.id, ev.partitionKey]));
    // jobs the consumers enqueued live, as the manifest says: send-email per event (notifications), process-payment per OrderPlaced (payments)
    const jobIds = new Set(events.flatMap((ev) => (ev.type === 'OrderPlaced' ? [deriveId(ev.id, 'send-email'), deriveId(ev.id, 'process-payment')] : [deriveId(ev.id, 'send-email')])));
    await wait('the worker to complete every job the events caused', () => new Set(only(processedIds(e.reports, e.worker.name), jobIds)).size, (n) => n === jobIds.size);
    await waitArchived(ids);
    const handledLive = Object.fromEntries(liveConsumers().map((c) => [c.fn.name, new Set(logLines(c.fn.name, PROCESSED, ids).map((l) => l.envelopeId!))]));

    const summary = await replay({ from, to, target: { kind: 'stream' }, checkpointFile: checkpoint('restream') });
    expect({ matched: summary.matched, sent: summary.sent, failed: summary.failed, skipped: summary.skipped }).toEqual({ matched: 12, sent: 12, failed: 0, skipped: 0 });

    for (const c of liveConsumers()) {
      const receives = new Set(c.receives(events).map((ev) => ev.id));
      await wait(`${c.fn.name} to receive its ${receives.size} events a second time`, () => countBy(only(processedIds(e.reports, c.fn.name), ids)), (m) => [...receives].every((id) => m.get(id) === 2));
      // the second delivery keeps per-key order
      const second = processedIds(e.reports, c.fn.name).filter((id, i, all) => ids.has(id) && all.indexOf(id) < i);
      expect(perKey(second, keyOf), `${c.fn.name}: replayed per-key order`).toEqual(perKey(c.receives(events).map((ev) => ev.id), keyOf));
      // no consumer keeps records (manifest: idempotency none): each processes the replayed copy, marked with the replay id
      const replayed = logLines(c.fn.name, PROCESSED, ids).filter((l) => l.replayId === summary.replayId);
      expect(new Set(replayed.map((l) => l.envelopeId)), `${c.fn.name}: replayed copies processed`).toEqual(handledLive[c.fn.name]);
      expect(logLines(c.fn.name, DUPLICATE, ids)).toEqual([]);
    }
    expect(handledLive['notifications']?.size, 'notifications acts on every order event').toBe(12);
    expect(handledLive['payments']?.size, 'payments acts on OrderPlaced only').toBe(3);

    // the replayed records are marked and keep the original id: the archive now holds both copies
    const lines = await wait(
      'the replayed copies in the archive',
      async () => (await archivedLines()).filter((l) => ids.has(l.envelope.id)),
      (ls) => ls.length === 2 * ids.size,
    );
    const byId = new Map(events.map((ev) => [ev.id, ev]));
    for (const id of ids) {
      const copies = lines.filter((l) => l.envelope.id === id).map((l) => l.envelope);
      const marked = copies.filter((c) => c.replay !== undefined);
      expect(marked, `replayed copy of ${id}`).toHaveLength(1);
      expect(marked[0]!.replay).toMatchObject({ replayId: summary.replayId, target: 'stream' });
      const { replay: _marker, ...rest } = marked[0]!;
      expect(rest).toEqual(byId.get(id));
    }

    // the consumers enqueued the same job ids again; the worker did each job once and acknowledged each repeat
    await wait('the worker to acknowledge every repeated job', () => new Set(e.workerLog.filter((l) => l.message === 'job already done: acknowledged without side effects' && jobIds.has(l.envelopeId!)).map((l) => l.envelopeId)).size, (n) => n === jobIds.size);
    await wait('the job queue to be empty', () => queueDepth(e.clients, e.jobs), (d) => d === 0);
    expect(countBy(e.workerLog.filter((l) => l.message === 'job done' && jobIds.has(l.envelopeId!)).map((l) => l.envelopeId))).toEqual(new Map([...jobIds].map((id) => [id, 1])));
  }, 90_000);

  it('resumes an interrupted replay from its checkpoint: every event delivered exactly once across both runs', async () => {
    const from = new Date();
    const keys = keysFor('resume', 3);
    const events = eventsOn(keys, 10); // 30 events
    const ids = await publishAndSettle(events);
    const to = new Date(Date.now() + 1);
    await waitArchived(ids);
    const keyOf = new Map(events.map((ev) => [ev.id, ev.partitionKey]));

    const abort = new AbortController();
    // the operator's Ctrl-C after the second batch: runReplay stops between chunks
    const interruptAfterTen: ProgressSink = { ...silentProgress, update: (c) => (c.sent ?? 0) >= 10 && abort.abort() };
    const options = { from, to, target: { kind: 'consumer', name: PROBE } as const, batchSize: 5, checkpointFile: checkpoint('resume') };
    const first = await replay({ ...options, signal: abort.signal, progress: interruptAfterTen });
    expect({ interrupted: first.interrupted, sent: first.sent, failed: first.failed }).toEqual({ interrupted: true, sent: 10, failed: 0 });
    expect(logLines(PROBE, PROCESSED, ids)).toHaveLength(10);

    const second = await replay(options);
    expect({ resumed: second.resumed, interrupted: second.interrupted, sent: second.sent, failed: second.failed }).toEqual({ resumed: true, interrupted: false, sent: 20, failed: 0 });
    expect(second.replayId, 'the resumed run continues the same replay').toBe(first.replayId);

    // at the target: each id delivered once (processed once, never even acknowledged as a duplicate)
    const delivered = e.functionLog.filter((l) => l.functionName === PROBE && l.envelopeId !== undefined && ids.has(l.envelopeId) && (l.message === PROCESSED || l.message === DUPLICATE));
    expect(countBy(delivered.map((l) => l.envelopeId))).toEqual(new Map([...ids].map((id) => [id, 1])));
    expect(delivered.every((l) => l.message === PROCESSED && l.replayId === first.replayId)).toBe(true);
    expect(perKey(delivered.map((l) => l.envelopeId!), keyOf)).toEqual(perKey(events.map((ev) => ev.id), keyOf));

    // a third run finds the replay complete and sends nothing
    const third = await replay(options);
    expect({ alreadyComplete: third.alreadyComplete, sent: third.sent }).toEqual({ alreadyComplete: true, sent: 0 });
  }, 90_000);

  it('redrives a poison job from the DLQ once its cause is fixed: processed once, DLQ empty', async () => {
    const lambda = e.cloud.lambda!;
    const orderId = `order-${run}-redrive-job`;
    const poison = newJob('process-payment', { orderId, amountCents: 6600, currency: 'EUR', paymentToken: DECLINED_TOKEN }, { jobKey: orderId });
    await e.enqueue([poison]);
    const maxReceiveCount = e.jobs.redrivePolicy!.maxReceiveCount;
    await wait('the poison job in the DLQ', async () => (await peekAll(e.clients, e.dlq)).map((m) => m.body), (bodies) => bodies.some((b) => b.includes(poison.id)), 45_000);
    expect(invocationsWith(e.reports, e.worker.name, poison.id), 'receives before dead-lettering').toHaveLength(maxReceiveCount);
    expect(processedIds(e.reports, e.worker.name)).not.toContain(poison.id);
    expect(await peekAll(e.clients, e.dlq), 'only the poison job is dead-lettered').toHaveLength(1);

    // the fix: the (fake) payment provider stops declining the token — a configuration change, as
    // UpdateFunctionConfiguration would make it on AWS; later invocations run in fresh environments
    lambda.updateFunctionEnvironment(e.worker.name, { [DECLINED_TOKENS_ENV]: '' });
    try {
      const summary = await redriveJobs({ env, sqs: ops.sqs });
      expect({ mode: summary.mode, moved: summary.moved, failed: summary.failed, duplicatesDropped: summary.duplicatesDropped }).toEqual({ mode: 'loop', moved: 1, failed: 0, duplicatesDropped: 0 });
      expect(summary.byType).toEqual({ 'process-payment': 1 });

      await wait('the redriven job to be done', () => processedIds(e.reports, e.worker.name).filter((id) => id === poison.id).length, (n) => n >= 1);
      await wait('the job queue to be empty', () => queueDepth(e.clients, e.jobs), (d) => d === 0);
      expect(countBy(processedIds(e.reports, e.worker.name)).get(poison.id), 'processed once').toBe(1);
      expect(e.workerLog.filter((l) => l.message === 'job done' && l.envelopeId === poison.id)).toHaveLength(1);
      expect(await peekAll(e.clients, e.dlq), 'DLQ empty').toEqual([]);
      expect(await queueDepth(e.clients, e.dlq)).toBe(0);
      // a second redrive finds nothing
      expect((await redriveJobs({ env, sqs: ops.sqs })).moved).toBe(0);
    } finally {
      lambda.updateFunctionEnvironment(e.worker.name, { [DECLINED_TOKENS_ENV]: undefined });
    }
  }, 90_000);

  it('redrives the failure bucket to the one consumer that gave up on the records: each processed once, objects moved, a second run does nothing, others unaffected', async () => {
    const lambda = e.cloud.lambda!;
    const notifications = e.consumer('notifications');
    const others = liveConsumers().filter((c) => c !== notifications);
    const queueUrl = notifications.fn.environment['JOB_QUEUE_URL'];
    expect(queueUrl, 'notifications enqueues to the job queue').toBeDefined();
    const keys = keysFor('failed', 2);
    const events = eventsOn(keys, 3); // 6 events
    const ids = new Set(events.map((ev) => ev.id));
    const emailJobs = new Set(events.map((ev) => deriveId(ev.id, 'send-email')));

    // a transient fault of notifications' side effect: its queue URL points at a queue that does not exist
    lambda.updateFunctionEnvironment(notifications.fn.name, { JOB_QUEUE_URL: `${queueUrl}-${run}-missing` });
    let failedRecords: Set<string>;
    try {
      await e.publish(events);
      for (const c of others) {
        const expected = c.receives(events).length;
        await wait(`${c.fn.name} to process its ${expected} events`, () => new Set(only(processedIds(e.reports, c.fn.name), ids)).size, (n) => n === expected);
      }
      failedRecords = await wait(
        'notifications to give up on every event (failure bucket)',
        async () => {
          const objects = await new BucketReader(e.clients, e.failures.name).refresh();
          const records = [...objects].filter(([k]) => k.startsWith('aws/lambda/')).flatMap(([, b]) => (decodeInvocationRecord(b.toString('utf8')).payload?.Records ?? []));
          return new Set(records.map((r) => (JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as { id: string }).id).filter((id) => ids.has(id)));
        },
        (s) => s.size === ids.size,
        45_000,
      );
    } finally {
      lambda.updateFunctionEnvironment(notifications.fn.name, { JOB_QUEUE_URL: undefined }); // the fix: back to the template's value
    }
    expect(failedRecords).toEqual(ids);
    expect(logLines(notifications.fn.name, PROCESSED, ids), 'notifications processed none of them').toEqual([]);
    const failureKeys = async (prefix: string): Promise<string[]> =>
      ((await e.clients.s3.send(new ListObjectsV2Command({ Bucket: e.failures.name, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
    const objectsBefore = await failureKeys('aws/lambda/');

    const summary = await redriveEvents({ env, s3: ops.s3, invoker, consumer: notifications.fn.name });
    expect({ records: summary.records, redelivered: summary.redelivered, failed: summary.failed, objects: summary.objects, moved: summary.moved }).toEqual({
      records: ids.size,
      redelivered: ids.size,
      failed: 0,
      objects: objectsBefore.length,
      moved: objectsBefore.length,
    });
    // processed once each by notifications, and their send-email jobs done once each by the worker
    expect(countBy(logLines(notifications.fn.name, PROCESSED, ids).map((l) => l.envelopeId))).toEqual(new Map([...ids].map((id) => [id, 1])));
    await wait('the worker to complete the send-email jobs of the redriven events', () => new Set(only(processedIds(e.reports, e.worker.name), emailJobs)).size, (n) => n === emailJobs.size);
    await wait('the job queue to be empty', () => queueDepth(e.clients, e.jobs), (d) => d === 0);
    expect(countBy(e.workerLog.filter((l) => l.message === 'job done' && emailJobs.has(l.envelopeId!)).map((l) => l.envelopeId))).toEqual(new Map([...emailJobs].map((id) => [id, 1])));
    // the objects moved under redriven/
    expect(await failureKeys('aws/lambda/')).toEqual([]);
    expect((await failureKeys(REDRIVEN_PREFIX)).sort()).toEqual(objectsBefore.map((k) => `${REDRIVEN_PREFIX}${k}`).sort());

    const again = await redriveEvents({ env, s3: ops.s3, invoker, consumer: notifications.fn.name });
    expect({ objects: again.objects, redelivered: again.redelivered, moved: again.moved }).toEqual({ objects: 0, redelivered: 0, moved: 0 });
    expect(logLines(notifications.fn.name, PROCESSED, ids)).toHaveLength(ids.size);
    expect(logLines(notifications.fn.name, DUPLICATE, ids)).toEqual([]);
    for (const c of others) {
      expect(countBy(only(processedIds(e.reports, c.fn.name), ids)), `${c.fn.name}: each event once`).toEqual(new Map(c.receives(events).map((ev) => [ev.id, 1])));
      expect(e.functionLog.filter((l) => l.functionName === c.fn.name && l.envelopeId !== undefined && ids.has(l.envelopeId) && l.message !== PROCESSED)).toEqual([]);
    }
  }, 90_000);

  it('reports a corrupt archive line and a corrupt GZIP object (key, line, reason), skips them and replays everything else', async () => {
    const from = new Date();
    const events = eventsOn(keysFor('corrupt', 2), 5); // 10 events on the stream
    const ids = await publishAndSettle(events);
    await waitArchived(ids);
    // an object with a corrupt line between good ones (events that reached the archive only), and a truncated GZIP object
    const extra = [orderPlaced(`order-${run}-corrupt-x`), orderShipped(`order-${run}-corrupt-x`, 1), orderShipped(`order-${run}-corrupt-x`, 2)];
    const prefix = hourPrefix(new Date());
    const badLineKey = `${prefix}zz-hand-written-${run}.gz`;
    const badGzipKey = `${prefix}zz-truncated-${run}.gz`;
    const body = [JSON.stringify(extra[0]), JSON.stringify(extra[1]), '{"kind":"event","id":"cut off', JSON.stringify(extra[2])].join('\n') + '\n';
    await e.clients.s3.send(new PutObjectCommand({ Bucket: e.archive.name, Key: badLineKey, Body: gzipSync(body) }));
    await e.clients.s3.send(new PutObjectCommand({ Bucket: e.archive.name, Key: badGzipKey, Body: gzipSync(JSON.stringify(orderPlaced(`order-${run}-lost`)) + '\n').subarray(0, 20) }));
    const to = new Date(Date.now() + 1);
    const all = new Set([...ids, ...extra.map((ev) => ev.id)]);

    const summary = await replay({ from, to, target: { kind: 'consumer', name: PROBE }, checkpointFile: checkpoint('corrupt') });
    expect({ matched: summary.matched, sent: summary.sent, skipped: summary.skipped, failed: summary.failed }).toEqual({ matched: all.size, sent: all.size, skipped: 2, failed: 0 });
    expect(summary.issues.map((i) => ({ key: i.key, line: i.line }))).toEqual([
      { key: badGzipKey, line: 0 },
      { key: badLineKey, line: 3 },
    ].sort((a, b) => a.key.localeCompare(b.key)));
    for (const i of summary.issues) expect(i.reason, `${i.key} line ${i.line}`).toMatch(/\S/);
    expect(summary.issues.find((i) => i.key === badGzipKey)!.reason).toMatch(/GZIP/);
    // everything else reached the consumer, once
    expect(countBy(logLines(PROBE, PROCESSED, all).map((l) => l.envelopeId))).toEqual(new Map([...all].map((id) => [id, 1])));
  }, 90_000);
});
