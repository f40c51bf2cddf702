// End to end on the local cloud: the REAL synthesized app (cdk synth into a temp dir), emulators on free ports,
// the bundled handlers in their own processes. One cloud for the file; each test uses its own ids and
// partition keys and counts only what it published, so the tests do not depend on each other's leftovers.
import { consumerNames } from '../../lambdas/consumers';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveId, newEvent, newJob, type EventEnvelope, type JobEnvelope, type KnownEvent } from '../../lambdas/shared/envelope';
import { JOB_MESSAGES } from '../../lambdas/shared/log-messages';
import {
  BucketReader,
  countBy,
  gunzip,
  invocationsWith,
  isGzip,
  peekAll,
  prefixPattern,
  processedIds,
  removeStateDir,
  reportedId,
  startE2eCloud,
  type E2eCloud,
  type FailureObject,
  type PublishedRecord,
} from './harness';
import { queueDepth } from '../support/aws';
import { jobIdsFor } from '../support/consumers';
import { alive, childPids, portIsFree } from '../support/processes';
import { eventually } from '../support/wait';
import { decodeInvocationRecord } from '../../local/lambda/on-failure';

/** 0.01: a 240 s visibility timeout lasts 2.4 s, the 60 s Firehose buffer 0.6 s (the mappings have no record age: -1). */
const TIME_SCALE = 0.01;
const WAIT_MS = 30_000;

let e: E2eCloud;
const fileStartedAt = new Date();
// distinct per run: nothing here can match a record of another run or another test
/** Not JSON: Lambda drops it for a filtered consumer; every unfiltered one reports it. */
const MALFORMED_ACCT = '{"kind":"event","id":"truncated';

/** The jobs the consumers enqueue for these events, as the manifest declares: each type it lists for every event it handles. */
function derivedJobIds(events: readonly EventEnvelope[]): string[] {
  return events.flatMap((ev) => consumerNames.flatMap((name) => jobIdsFor(name, ev)));
}

const run = randomUUID().slice(0, 8);

beforeAll(async () => {
  e = await startE2eCloud({ timeScale: TIME_SCALE });
}, 150_000);

afterAll(async () => {
  await e?.stop();
  removeStateDir(e);
});

function wait<T>(what: string, observe: () => T | Promise<T>, done: (v: T) => boolean, timeoutMs = WAIT_MS): Promise<T> {
  return eventually(what, observe, done, { timeoutMs, abortIf: () => e.fatal() });
}

const only = <T>(items: readonly T[], keep: ReadonlySet<T>): T[] => items.filter((i) => keep.has(i));

function orderPlaced(orderId: string, extra: { paymentToken?: string } = {}): KnownEvent<'OrderPlaced'> {
  return newEvent(
    'OrderPlaced',
    {
      orderId,
      customerEmail: `buyer-${orderId}@example.com`,
      items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 }],
      totalCents: 2500,
      currency: 'EUR',
      ...extra,
    },
    { partitionKey: orderId },
  );
}

function orderShipped(orderId: string, n: number): KnownEvent<'OrderShipped'> {
  return newEvent(
    'OrderShipped',
    { orderId, customerEmail: `buyer-${orderId}@example.com`, carrier: 'DHL', trackingNumber: `TRACK-${n}` },
    { partitionKey: orderId },
  );
}

/** n events per key (an OrderPlaced, then OrderShipped), interleaved across keys as a busy producer would. */
function eventsOn(keys: readonly string[], perKey: number): EventEnvelope[] {
  const out: EventEnvelope[] = [];
  for (let i = 0; i < perKey; i++) for (const k of keys) out.push(i === 0 ? orderPlaced(k) : orderShipped(k, i));
  return out;
}

function goodJobs(tag: string): JobEnvelope[] {
  return [
    newJob(
      'send-email',
      { to: `someone-${tag}@example.com`, template: 'order-confirmation', orderId: `order-${tag}` },
      { jobKey: `order-${tag}` },
    ),
    newJob('resize-image', { sourceKey: `uploads/${tag}.jpg`, widths: [128, 512] }, { jobKey: `uploads/${tag}.jpg` }),
    newJob(
      'process-payment',
      { orderId: `order-${tag}`, amountCents: 4200, currency: 'EUR', paymentToken: 'tok_visa' },
      { jobKey: `order-${tag}` },
    ),
  ];
}

function poisonJob(tag: string): JobEnvelope {
  return newJob(
    'process-payment',
    { orderId: `order-${tag}`, amountCents: 6600, currency: 'EUR', paymentToken: 'tok_chargeDeclined' },
    { jobKey: `order-${tag}` },
  );
}

/** Per consumer and partition key, the ids it processed must be the ids published, in publish order, once each. */
function expectPerKeyOrder(consumer: string, events: readonly EventEnvelope[]): void {
  const mine = new Set(events.map((ev) => ev.id));
  const seen = only(processedIds(e.reports, consumer), mine);
  const dupes = [...countBy(seen)].filter(([, n]) => n > 1);
  expect(dupes, `${consumer} processed these events more than once`).toEqual([]);
  const keyOf = new Map(events.map((ev) => [ev.id, ev.partitionKey]));
  for (const key of new Set(events.map((ev) => ev.partitionKey))) {
    expect(
      seen.filter((id) => keyOf.get(id) === key),
      `${consumer}: order of partition key ${key}`,
    ).toEqual(events.filter((ev) => ev.partitionKey === key).map((ev) => ev.id));
  }
}

async function failureObjects(): Promise<Array<{ key: string; body: FailureObject }>> {
  const reader = new BucketReader(e.clients, e.failures.name);
  const bodies = await reader.refresh();
  return [...bodies].map(([key, b]) => ({ key, body: decodeInvocationRecord(b.toString('utf8')) as unknown as FailureObject }));
}

const recordData = (r: FailureObject['payload']['Records'][number]): string => Buffer.from(r.kinesis.data, 'base64').toString('utf8');

/** What a failure-bucket record stands for: the envelope id when it is one, else its sequence number. */
function failureRecordId(r: FailureObject['payload']['Records'][number]): string {
  try {
    const parsed = JSON.parse(recordData(r)) as { id?: unknown };
    if (typeof parsed.id === 'string') return parsed.id;
  } catch {
    // malformed: identified by its sequence number
  }
  return r.kinesis.sequenceNumber;
}

describe('local cloud, end to end on the synthesized app', () => {
  it('processes a job once, in one successful invocation, and leaves the queue empty', async () => {
    const jobs = [...goodJobs(`${run}-once-a`), ...goodJobs(`${run}-once-b`), ...goodJobs(`${run}-once-c`), ...goodJobs(`${run}-once-d`)];
    const ids = new Set(jobs.map((j) => j.id));
    await e.enqueue(jobs);

    await wait(
      `the worker to complete all ${ids.size} jobs`,
      () => new Set(only(processedIds(e.reports, e.worker.name), ids)).size,
      (n) => n === ids.size,
    );
    await wait(
      'the job queue to be empty',
      () => queueDepth(e.clients.sqs, e.jobs.url),
      (d) => d === 0,
    );

    for (const id of ids) {
      const inv = invocationsWith(e.reports, e.worker.name, id);
      expect(inv, `invocations that saw job ${id}`).toHaveLength(1);
      expect(inv[0]!.outcome).toBe('ok');
      expect(inv[0]!.failedIds).not.toContain(id);
    }
  });

  it('moves a poison job to the DLQ after exactly maxReceiveCount receives, and no good job', async () => {
    const maxReceiveCount = e.jobs.redrivePolicy?.maxReceiveCount;
    expect(maxReceiveCount, 'the job queue has a redrive policy').toBeGreaterThan(1);
    expect(e.jobs.redrivePolicy!.deadLetterTargetArn).toBe(e.dlq.arn);
    const dlqBefore = new Set((await peekAll(e.clients, e.dlq)).map((m) => m.messageId));
    const poison = poisonJob(`${run}-poison`);
    const good = goodJobs(`${run}-beside-poison`);
    await e.enqueue([good[0]!, poison, good[1]!, good[2]!]); // one SendMessageBatch: likely one receive batch too

    const fresh = await wait(
      'the poison job in the DLQ',
      async () => (await peekAll(e.clients, e.dlq)).filter((m) => !dlqBefore.has(m.messageId)),
      (msgs) => msgs.some((m) => m.body.includes(poison.id)),
      45_000,
    );
    await wait(
      'the job queue to be empty',
      () => queueDepth(e.clients.sqs, e.jobs.url),
      (d) => d === 0,
    );

    const saw = invocationsWith(e.reports, e.worker.name, poison.id);
    expect(saw, 'worker invocations that received the poison job').toHaveLength(maxReceiveCount!);
    for (const r of saw) expect(r.failedIds).toContain(poison.id);
    expect(processedIds(e.reports, e.worker.name)).not.toContain(poison.id);

    // the DLQ gained exactly the poison job, body intact
    const after = (await peekAll(e.clients, e.dlq)).filter((m) => !dlqBefore.has(m.messageId));
    expect(after.map((m) => m.messageId)).toEqual(fresh.map((m) => m.messageId));
    expect(after).toHaveLength(1);
    expect(JSON.parse(after[0]!.body)).toEqual(poison);
    for (const g of good) {
      expect(countBy(processedIds(e.reports, e.worker.name)).get(g.id), `good job ${g.type} done once`).toBe(1);
    }
  }, 60_000);

  it('delivers every good event to every consumer its filter lets through, in per-partition-key order; the filter keeps the rest away', async () => {
    expect(e.consumers.length, 'N ≥ 3 independent consumers').toBeGreaterThanOrEqual(3);
    const keys = [1, 2, 3, 4, 5].map((i) => `order-${run}-fan-${i}`);
    const events = eventsOn(keys, 4);
    const mine = new Set(events.map((ev) => ev.id));
    await e.publish(events);

    for (const c of e.consumers) {
      const expected = new Set(c.receives(events).map((ev) => ev.id));
      await wait(
        `${c.fn.name} to process its ${expected.size} events`,
        () => new Set(only(processedIds(e.reports, c.fn.name), mine)).size,
        (n) => n === expected.size,
      );
      // never invoked for the others: no invocation report holds them
      const invoked = new Set(e.reports.filter((r) => r.functionName === c.fn.name).flatMap((r) => r.recordIds));
      expect(
        [...mine].filter((id) => !expected.has(id) && invoked.has(id)),
        `${c.fn.name}: invoked for an event its filter drops`,
      ).toEqual([]);
    }
    const payments = e.consumer('payments');
    expect(
      payments.receives(events).map((ev) => ev.type),
      'payments receives OrderPlaced only',
    ).toEqual(events.filter((ev) => ev.type === 'OrderPlaced').map((ev) => ev.type));
    for (const c of e.consumers) expectPerKeyOrder(c.fn.name, c.receives(events));
  });

  it('a paused consumer delays only itself and, resumed, catches up from its own position', async () => {
    const lambda = e.cloud.lambda!;
    const paused = e.consumers[e.consumers.length - 1]!;
    const others = e.consumers.filter((c) => c !== paused);
    const keys = [1, 2, 3].map((i) => `order-${run}-pause-${i}`);
    const events = eventsOn(keys, 4);
    const mine = new Set(events.map((ev) => ev.id));

    const processedBefore = processedIds(e.reports, paused.fn.name).length;
    lambda.pause(paused.fn.name);
    try {
      expect(lambda.mappingStats()[paused.mapping.logicalId]!.paused).toBe(true);
      await e.publish(events);
      for (const c of others) {
        const expected = c.receives(events).length;
        await wait(
          `${c.fn.name} to process its ${expected} events while ${paused.fn.name} is paused`,
          () => new Set(only(processedIds(e.reports, c.fn.name), mine)).size,
          (n) => n === expected,
        );
        await wait(
          `${c.fn.name} to be current (no lag)`,
          () => lambda.mappingStats()[c.mapping.logicalId]!.behindRecords,
          (n) => n === 0,
        );
      }
      // the paused consumer holds them as lag and has processed none
      await wait(
        `${paused.fn.name} to report the new events as lag`,
        () => lambda.mappingStats()[paused.mapping.logicalId]!.behindRecords,
        (n) => n >= mine.size,
      );
      expect(processedIds(e.reports, paused.fn.name).slice(processedBefore)).toEqual([]);
    } finally {
      lambda.resume(paused.fn.name);
    }

    const pausedGets = new Set(paused.receives(events).map((ev) => ev.id));
    await wait(
      `${paused.fn.name} to catch up`,
      () => new Set(only(processedIds(e.reports, paused.fn.name), mine)).size,
      (n) => n === pausedGets.size,
    );
    await wait(
      `${paused.fn.name} to be current`,
      () => lambda.mappingStats()[paused.mapping.logicalId]!.behindRecords,
      (n) => n === 0,
    );
    // from its own position: exactly the events published while paused, nothing older re-read, nothing lost
    expect(new Set(processedIds(e.reports, paused.fn.name).slice(processedBefore))).toEqual(pausedGets);
    for (const c of e.consumers) expectPerKeyOrder(c.fn.name, c.receives(events));
  });

  it('a malformed event does not block its shard beyond the configured retries and lands, with payload, in the failure bucket once per consumer that receives it', async () => {
    const key = `order-${run}-malformed`;
    const before = [orderPlaced(key)];
    const behind = [orderShipped(key, 1), orderShipped(key, 2), orderShipped(key, 3)];
    await e.publish(before);
    const malformed = `not an envelope {${randomUUID()}`;
    const bad = await e.putRaw(key, malformed); // the producer rightly refuses it: put it raw
    await e.publish(behind);
    expect(new Set([...e.published.filter((p) => p.partitionKey === key).map((p) => p.shardId)]).size, 'one key, one shard').toBe(1);
    const good = [...before, ...behind];
    const goodIds = new Set(good.map((ev) => ev.id));
    // data that is not JSON passes no filter: Lambda drops it for a filtered consumer (payments); the others report it
    const receivers = e.consumers.filter((c) => c.receivesData(malformed));
    expect(receivers.length, 'at least one consumer receives records that are not JSON').toBeGreaterThanOrEqual(1);
    expect(receivers.length).toBeLessThan(e.consumers.length);

    // done when every consumer has processed the good ones, or when any good one turned up in the failure bucket (lost)
    const state = await wait(
      'every consumer to process the events behind the malformed one, and to send the malformed one to the failure bucket',
      async () => {
        const objects = (await failureObjects()).filter((o) =>
          o.body.payload.Records.some((r) => r.kinesis.sequenceNumber === bad.sequenceNumber),
        );
        const nameOf = (arn: string): string => e.consumers.find((c) => c.fn.arn === arn)?.fn.name ?? arn;
        const lost = objects.flatMap((o) =>
          o.body.payload.Records.map(failureRecordId)
            .filter((id) => goodIds.has(id))
            .map((id) => `${nameOf(o.body.requestContext.functionArn)} lost ${good.find((g) => g.id === id)!.type} ${id}`),
        );
        const pending = e.consumers
          .filter((c) => new Set(only(processedIds(e.reports, c.fn.name), goodIds)).size < c.receives(good).length)
          .map((c) => c.fn.name);
        return { objects, lost, pending };
      },
      (s) => s.lost.length > 0 || (s.pending.length === 0 && s.objects.length >= receivers.length),
    );
    expect(state.lost, 'good events sent to the failure bucket together with the malformed one').toEqual([]);

    for (const c of e.consumers.filter((x) => !receivers.includes(x))) {
      expect(invocationsWith(e.reports, c.fn.name, bad.sequenceNumber), `${c.fn.name}: its filter dropped the malformed record`).toEqual(
        [],
      );
      expect(state.objects.filter((o) => o.body.requestContext.functionArn === c.fn.arn)).toEqual([]);
      expectPerKeyOrder(c.fn.name, c.receives(good));
    }
    for (const c of receivers) {
      expectPerKeyOrder(c.fn.name, c.receives(good));
      const saw = invocationsWith(e.reports, c.fn.name, bad.sequenceNumber);
      expect(saw.length, `${c.fn.name}: invocations that saw the malformed record`).toBeGreaterThanOrEqual(1);
      // bounded by the mapping: the first attempt, the bisections that isolate it (they consume no retries), the retries
      const bisections = c.mapping.bisectBatchOnFunctionError ? Math.ceil(Math.log2(c.mapping.batchSize)) : 0;
      expect(c.mapping.maximumRetryAttempts, `${c.fn.name}: finite retries`).toBeGreaterThanOrEqual(0);
      expect(saw.length, `${c.fn.name}: at most 1 + bisections + MaximumRetryAttempts invocations`).toBeLessThanOrEqual(
        1 + bisections + c.mapping.maximumRetryAttempts,
      );
      for (const r of saw) expect(r.failedIds).toContain(bad.sequenceNumber);
      expect(processedIds(e.reports, c.fn.name)).not.toContain(bad.sequenceNumber);

      // one object for this consumer, holding the malformed record and its payload
      const objs = state.objects.filter((o) => o.body.requestContext.functionArn === c.fn.arn);
      expect(objs, `${c.fn.name}: failure objects with the malformed record`).toHaveLength(1);
      const { key: objectKey, body } = objs[0]!;
      expect(objectKey).toMatch(
        new RegExp(
          `^aws/lambda/[0-9a-f-]{36}/${bad.shardId}/\\d{4}/\\d{2}/\\d{2}/\\d{4}-\\d{2}-\\d{2}T\\d{2}\\.\\d{2}\\.\\d{2}-[0-9a-f-]{36}$`,
        ),
      );
      expect(body.requestContext.condition).toBe('RetryAttemptsExhausted');
      expect(body.requestContext.approximateInvokeCount).toBe(saw.length);
      expect(body.KinesisBatchInfo).toMatchObject({
        shardId: bad.shardId,
        startSequenceNumber: bad.sequenceNumber,
        endSequenceNumber: bad.sequenceNumber,
        batchSize: 1,
        streamArn: e.events.arn,
      });
      expect(body.payload.Records.map(recordData)).toEqual([malformed]);
      expect(body.payload.Records[0]!.kinesis.partitionKey).toBe(key);
    }
  });

  it('archives exactly the published events, as GZIP NDJSON objects under the template prefix', async () => {
    const delivery = e.cloud.topology.deliveryStreams.find((d) => d.bucket.name === e.archive.name && d.sourceStream.arn === e.events.arn);
    expect(delivery, 'a delivery stream from the event stream to the archive bucket').toBeDefined();
    const ds = delivery!;
    expect(ds.compression).toBe('GZIP');
    expect(ds.appendDelimiter).toBe(true);
    const events = eventsOn(
      [1, 2].map((i) => `order-${run}-archive-${i}`),
      3,
    );
    await e.publish(events);

    // every record this file put on the stream (earlier tests' too), keyed by envelope id or raw text
    const recordKey = (data: string): string => {
      try {
        const v = JSON.parse(data) as { kind?: unknown; id?: unknown };
        if (v && v.kind === 'event' && typeof v.id === 'string') return `id:${v.id}`;
      } catch {
        // raw (malformed) record
      }
      return `raw:${data}`;
    };
    const expected = countBy(e.published.map((p) => recordKey(p.data)));
    const reader = new BucketReader(e.clients, e.archive.name);
    const readArchive = async (): Promise<{ objects: Array<{ key: string; body: Buffer }>; lines: string[] }> => {
      await e.cloud.firehose!.flush();
      const bodies = await reader.refresh();
      const objects = [...bodies].map(([key, body]) => ({ key, body }));
      const lines = objects.flatMap((o) => (isGzip(o.body) ? gunzip(o.body) : o.body.toString('utf8')).split(ds.delimiter).slice(0, -1));
      return { objects, lines };
    };
    const archive = await wait(`the archive to hold all ${e.published.length} published records`, readArchive, (a) => {
      const got = countBy(a.lines.map(recordKey));
      return [...expected].every(([k, n]) => (got.get(k) ?? 0) >= n);
    });

    // exactly the published records: same ids, same count, nothing else
    expect(archive.lines).toHaveLength(e.published.length);
    expect(countBy(archive.lines.map(recordKey))).toEqual(expected);
    const byId = new Map(events.map((ev) => [ev.id, ev]));
    for (const line of archive.lines) {
      const v = JSON.parse(line.startsWith('{') ? line : 'null') as { id?: string } | null;
      if (v?.id && byId.has(v.id)) expect(v).toEqual(byId.get(v.id));
    }

    // the documented format: GZIP objects named <prefix><stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>.gz, NDJSON inside
    expect(ds.prefix).toMatch(
      /^events\/year=!\{timestamp:yyyy\}\/month=!\{timestamp:MM\}\/day=!\{timestamp:dd\}\/hour=!\{timestamp:HH\}\/$/,
    );
    const keyPattern = new RegExp(
      `^${prefixPattern(ds.prefix)}${ds.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f-]{36}\\.gz$`,
    );
    const hourOf = (d: Date): string => d.toISOString().slice(0, 13);
    for (const { key, body } of archive.objects) {
      expect(key).toMatch(keyPattern);
      expect(isGzip(body), `${key} is gzip`).toBe(true);
      expect(gunzip(body).endsWith(ds.delimiter), `${key} ends with the delimiter`).toBe(true);
      const [, y, mo, d, h] = /year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})\//.exec(key)!;
      const hour = `${y}-${mo}-${d}T${h}`;
      expect(
        hour >= hourOf(new Date(fileStartedAt.getTime() - 3_600_000)) && hour <= hourOf(new Date()),
        `${key}: a UTC hour of this run`,
      ).toBe(true);
    }
  });

  it('accounts for every job and every event: published = processed + dead-lettered, per path', async () => {
    const dlqBefore = new Set((await peekAll(e.clients, e.dlq)).map((m) => m.messageId));
    const [k1, k2] = [`order-${run}-acct-1`, `order-${run}-acct-2`];
    const direct = [...goodJobs(`${run}-acct`), poisonJob(`${run}-acct-poison`)];
    const goodEvents: EventEnvelope[] = [orderPlaced(k1), orderPlaced(k2)];
    await e.enqueue(direct);
    await e.publish(goodEvents);
    const malformed = await e.putRaw(k1, MALFORMED_ACCT);
    const later = [orderShipped(k1, 1), orderShipped(k2, 1)];
    await e.publish(later);
    goodEvents.push(...later);
    const publishedEvents: PublishedRecord[] = e.published.filter((p) => p.partitionKey === k1 || p.partitionKey === k2);
    expect(publishedEvents).toHaveLength(goodEvents.length + 1);

    // jobs the consumers enqueue, as the manifest says: each job type it lists for every event it handles; ids derived from the event id
    const derived = derivedJobIds(goodEvents);
    const expectedJobs = new Set([...direct.map((j) => j.id), ...derived]);
    const eventIds = new Set(goodEvents.map((ev) => ev.id));

    const settled = await wait(
      'every job done or dead-lettered and every event processed or in the failure bucket',
      async () => {
        const done = new Set(only(processedIds(e.reports, e.worker.name), expectedJobs));
        const dead = (await peekAll(e.clients, e.dlq)).filter((m) => !dlqBefore.has(m.messageId));
        const deadIds = dead.map((m) => (JSON.parse(m.body) as { id: string }).id);
        const failures = (await failureObjects()).flatMap((o) =>
          o.body.payload.Records.filter((r) => r.kinesis.partitionKey === k1 || r.kinesis.partitionKey === k2).map((r) => ({
            fn: o.body.requestContext.functionArn,
            id: failureRecordId(r),
          })),
        );
        const depth = await queueDepth(e.clients.sqs, e.jobs.url);
        return { done: [...done], deadIds, failures, depth };
      },
      (s) =>
        s.failures.some((f) => eventIds.has(f.id)) || // a good event was lost: fail now, not at the deadline
        (s.depth === 0 &&
          [...expectedJobs].every((id) => s.done.includes(id) || s.deadIds.includes(id)) &&
          e.consumers.filter((c) => c.receivesData(MALFORMED_ACCT)).every((c) => s.failures.some((f) => f.fn === c.fn.arn))),
      45_000,
    );

    const lost = settled.failures
      .filter((f) => eventIds.has(f.id))
      .map((f) => `${e.consumers.find((c) => c.fn.arn === f.fn)?.fn.name ?? f.fn} lost ${f.id}`);
    expect(lost, 'good events in the failure bucket (lost to their consumer)').toEqual([]);
    // jobs: published (direct + enqueued by consumers) = completed by the worker + dead-lettered, disjoint
    const poison = direct[direct.length - 1]!;
    expect(settled.deadIds).toEqual([poison.id]);
    expect(new Set([...settled.done, ...settled.deadIds])).toEqual(expectedJobs);
    expect(settled.done).not.toContain(poison.id);
    // what the consumers actually enqueued for these events (the worker's log names the causing event)
    const caused = e.workerLog
      .filter((l) => l.message === JOB_MESSAGES.processed && l.causationId !== undefined && eventIds.has(l.causationId))
      .map((l) => l.envelopeId);
    expect(new Set(caused)).toEqual(new Set(derived));

    // events, per consumer: good processed + malformed in the failure bucket + dropped by its filter = published, disjoint
    const all = new Set(publishedEvents.map(reportedId));
    for (const c of e.consumers) {
      const processed = only(processedIds(e.reports, c.fn.name), all);
      const failed = settled.failures.filter((f) => f.fn === c.fn.arn).map((f) => f.id);
      const received = new Set(c.receives(goodEvents).map((ev) => ev.id));
      const dropped = [...all].filter((id) => !received.has(id) && id !== malformed.sequenceNumber);
      expect(new Set(processed), `${c.fn.name}: processed`).toEqual(received);
      expect(failed, `${c.fn.name}: in the failure bucket`).toEqual(c.receivesData(MALFORMED_ACCT) ? [malformed.sequenceNumber] : []);
      if (!c.receivesData(MALFORMED_ACCT)) dropped.push(malformed.sequenceNumber);
      expect(new Set([...processed, ...failed, ...dropped])).toEqual(all);
    }
  }, 60_000);

  it('turns an OrderPlaced into one send-email job (notifications) and one process-payment job (payments), both done by the worker', async () => {
    const notifications = e.consumer('notifications');
    const payments = e.consumer('payments');
    const orderId = `order-${run}-hybrid`;
    const placed = orderPlaced(orderId);
    await e.publish([placed]);
    const emailId = deriveId(placed.id, 'send-email');
    const paymentId = deriveId(placed.id, 'process-payment');

    await wait(
      'the worker to complete the send-email and process-payment jobs of the order',
      () => {
        const done = processedIds(e.reports, e.worker.name);
        return { email: done.includes(emailId), payment: done.includes(paymentId) };
      },
      (s) => s.email && s.payment,
    );

    expect(countBy(processedIds(e.reports, notifications.fn.name)).get(placed.id)).toBe(1);
    expect(countBy(processedIds(e.reports, payments.fn.name)).get(placed.id)).toBe(1);
    const worker = countBy(processedIds(e.reports, e.worker.name));
    expect(worker.get(emailId), 'send-email done once').toBe(1);
    expect(worker.get(paymentId), 'process-payment done once').toBe(1);
    const done = e.workerLog.filter((l) => l.message === JOB_MESSAGES.processed && l.causationId === placed.id);
    expect(
      done
        .map(({ envelopeId, jobType, jobKey, causationId }) => ({ envelopeId, jobType, jobKey, causationId }))
        .sort((a, b) => a.jobType!.localeCompare(b.jobType!)),
    ).toEqual([
      { envelopeId: paymentId, jobType: 'process-payment', jobKey: orderId, causationId: placed.id },
      { envelopeId: emailId, jobType: 'send-email', jobKey: orderId, causationId: placed.id },
    ]);
  });

  it('shuts down cleanly: no process of the local cloud outlives stop(), and its ports are free', async () => {
    const lambda = e.cloud.lambda!;
    const runtimes = lambda.pids();
    expect(runtimes.length, 'execution environments running').toBeGreaterThan(0);
    expect(runtimes.every(alive)).toBe(true);
    const emulatorChildren = [...e.cloud.emulators.childPids];
    const { sqs, kinesis } = e.cloud.emulators.ports;
    expect(await portIsFree(sqs)).toBe(false);
    expect(await portIsFree(kinesis)).toBe(false);

    await e.stop();

    expect([...runtimes, ...emulatorChildren].filter(alive), 'processes alive after stop()').toEqual([]);
    const before = new Set(e.childrenBefore);
    expect(
      childPids().filter((p) => !before.has(p)),
      'children of this process started by the local cloud',
    ).toEqual([]);
    expect(await portIsFree(sqs), `SQS/S3 port ${sqs} free`).toBe(true);
    expect(await portIsFree(kinesis), `Kinesis port ${kinesis} free`).toBe(true);
    expect(fs.existsSync(e.cloud.endpointsFile), 'endpoints.json removed').toBe(false);
  });
});
