// What the scenarios publish (mixed jobs, order events across many partition keys, poison) and how they are
// reconciled: published = processed + dead-lettered, per path and per consumer; side effects once per id.
import { newEvent, newJob, type KnownEvent, type KnownJob } from '../../lambdas/shared/envelope';
import { BOUNCE_DOMAIN, CORRUPT_IMAGE_SUFFIX, DECLINED_TOKEN } from '../../lambdas/job-worker/fakes';
import { CONSUMERS, isConsumerName, type ConsumerName } from '../../lambdas/consumers';
import { actsOn } from '../support/consumers';
import { emailJobFor, type NotificationEvent } from '../../lambdas/notifications/notifications';
import { paymentJobFor } from '../../lambdas/payments/payments';
import type { FaultCloud, RawEvent, RawJob } from './harness';

/** Deterministic PRNG (mulberry32): a failing run can be replayed with the same seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type JobFate = 'ok' | 'dlq';

export interface Workload {
  jobs: KnownJob[];
  /** bodies the producer refuses; sent raw to reach the worker */
  rawJobBodies: string[];
  events: KnownEvent[];
  /** records the producer refuses; put raw to reach the consumers */
  rawEventRecords: Array<{ partitionKey: string; data: Buffer }>;
}

export interface WorkloadOptions {
  tag: string;
  jobs: number;
  events: number;
  /** share of poison among jobs and among events (0 = none) */
  poisonRate?: number;
  seed?: number;
}

/**
 * `jobs` jobs of the three types, `events` order events (OrderPlaced then OrderShipped per order key, so per-key
 * order matters). With poisonRate p, about p of each are poison: jobs that fail every time (declined card,
 * corrupt image, bounced email) or are malformed (sent raw); events that are malformed (put raw) or cause a
 * failing job downstream (declined card, bounced email).
 */
export function makeWorkload(o: WorkloadOptions): Workload {
  const rand = rng(o.seed ?? 42);
  const p = o.poisonRate ?? 0;
  const w: Workload = { jobs: [], rawJobBodies: [], events: [], rawEventRecords: [] };
  for (let i = 0; i < o.jobs; i++) {
    const key = `${o.tag}-job-${i}`;
    const poison = rand() < p;
    const kind = i % 3;
    if (poison) {
      switch (Math.floor(rand() * 5)) {
        case 0:
          w.rawJobBodies.push(`not json: ${key} {`);
          continue;
        case 1:
          w.rawJobBodies.push(JSON.stringify({ kind: 'job', id: `${key}`, type: 'send-email', note: 'no version, no data' }));
          continue;
        case 2:
          w.jobs.push(
            newJob(
              'process-payment',
              { orderId: key, amountCents: 100 + i, currency: 'EUR', paymentToken: DECLINED_TOKEN },
              { jobKey: key },
            ),
          );
          continue;
        case 3:
          w.jobs.push(newJob('resize-image', { sourceKey: `uploads/${key}${CORRUPT_IMAGE_SUFFIX}`, widths: [64, 256] }, { jobKey: key }));
          continue;
        default:
          w.jobs.push(
            newJob('send-email', { to: `${key}@${BOUNCE_DOMAIN}`, template: 'order-confirmation', orderId: key }, { jobKey: key }),
          );
          continue;
      }
    }
    if (kind === 0)
      w.jobs.push(newJob('send-email', { to: `${key}@example.com`, template: 'order-shipped', orderId: key }, { jobKey: key }));
    else if (kind === 1) w.jobs.push(newJob('resize-image', { sourceKey: `uploads/${key}.jpg`, widths: [128, 512] }, { jobKey: key }));
    else
      w.jobs.push(
        newJob('process-payment', { orderId: key, amountCents: 100 + i, currency: 'EUR', paymentToken: 'tok_visa' }, { jobKey: key }),
      );
  }
  for (let i = 0; w.events.length + w.rawEventRecords.length < o.events; i++) {
    const orderId = `${o.tag}-order-${i}`;
    const poison = rand() < p;
    if (poison && rand() < 0.5) {
      // malformed on the wire: the producer would refuse it, so it goes raw
      const bad =
        rand() < 0.5
          ? `{"kind":"event","id":"${orderId}","type":"OrderPlaced"`
          : JSON.stringify({ kind: 'event', type: 'OrderPlaced', partitionKey: orderId, data: {} });
      w.rawEventRecords.push({ partitionKey: orderId, data: Buffer.from(bad) });
      continue;
    }
    const email = poison ? `${orderId}@${BOUNCE_DOMAIN}` : `${orderId}@example.com`;
    const items = [{ sku: `SKU-${i % 17}`, quantity: 1 + (i % 3), unitPriceCents: 500 + (i % 50) }];
    const totalCents = items[0]!.quantity * items[0]!.unitPriceCents;
    w.events.push(
      newEvent(
        'OrderPlaced',
        { orderId, customerEmail: email, items, totalCents, currency: 'EUR', ...(poison ? { paymentToken: DECLINED_TOKEN } : {}) },
        { partitionKey: orderId },
      ),
    );
    if (w.events.length + w.rawEventRecords.length < o.events) {
      w.events.push(
        newEvent('OrderShipped', { orderId, customerEmail: email, carrier: 'DHL', trackingNumber: `T-${i}` }, { partitionKey: orderId }),
      );
    }
  }
  return w;
}

export function jobFate(job: KnownJob): JobFate {
  switch (job.type) {
    case 'send-email':
      return job.data.to.toLowerCase().endsWith(`@${BOUNCE_DOMAIN}`) ? 'dlq' : 'ok';
    case 'resize-image':
      return job.data.sourceKey.endsWith(CORRUPT_IMAGE_SUFFIX) ? 'dlq' : 'ok';
    case 'process-payment':
      return job.data.paymentToken === DECLINED_TOKEN ? 'dlq' : 'ok';
  }
}

/** How each consumer that enqueues jobs builds them: its own domain function (lambdas/<name>/), so ids match. */
const JOBS_FOR: Partial<Record<ConsumerName, (event: KnownEvent) => KnownJob[]>> = {
  notifications: (event) => [emailJobFor(event as NotificationEvent)],
  payments: (event) => [paymentJobFor(event as KnownEvent<'OrderPlaced'>)],
};

/**
 * Jobs a consumer enqueues for an event it processed: which consumer acts on which type comes from the manifest
 * (`handles`, `enqueues`), the jobs themselves from the consumer's domain function.
 */
export function derivedJobs(consumer: string, event: KnownEvent): KnownJob[] {
  if (!isConsumerName(consumer) || !actsOn(consumer, event.type)) return [];
  const build = JOBS_FOR[consumer];
  if (!build) {
    if (CONSUMERS[consumer].enqueues.length > 0)
      throw new Error(
        `test/faults/workload.ts: ${consumer} enqueues ${CONSUMERS[consumer].enqueues.join(', ')}: add its job builder to JOBS_FOR`,
      );
    return [];
  }
  return build(event);
}

// ── reconciliation ────────────────────────────────────────────────────────────────────────────────────────

export interface PathCounts {
  published: number;
  processed: number;
  deadLettered: number;
  /** neither processed nor dead-lettered */
  lost: number;
  /** good ones dead-lettered (with their payload, redrivable) */
  goodDeadLettered: number;
  /** poison ones reported processed */
  poisonProcessed: number;
  /** ids whose side effect was applied more than once */
  duplicatedEffects: number;
  /** processed ids with no side effect and no completed idempotency record seen */
  lostEffects: number;
  /** processed ids whose effect line was never seen but whose later delivery found a completed record (runtime killed between effect and log line) */
  effectsUnobserved: number;
  /** successful deliveries beyond the first (redeliveries, producer duplicates) */
  extraDeliveries: number;
  /** duplicates the idempotency layer acknowledged without side effects */
  absorbedDuplicates: number;
}

export interface Reconciliation {
  jobs: PathCounts;
  derivedJobs: PathCounts;
  consumers: Record<string, PathCounts>;
  archive: { published: number; archived: number; missing: number };
  /** why events were dead-lettered (failure bucket conditions), over every consumer */
  failureConditions: Record<string, number>;
  /** what is not settled yet (empty = every id accounted for) */
  pending: string[];
}

const emptyCounts = (): PathCounts => ({
  published: 0,
  processed: 0,
  deadLettered: 0,
  lost: 0,
  goodDeadLettered: 0,
  poisonProcessed: 0,
  duplicatedEffects: 0,
  lostEffects: 0,
  effectsUnobserved: 0,
  extraDeliveries: 0,
  absorbedDuplicates: 0,
});

/** What one scenario put in, and the fates it expects. */
export class Ledger {
  readonly jobs: KnownJob[] = [];
  readonly rawJobs: RawJob[] = [];
  readonly events: KnownEvent[] = [];
  readonly rawEvents: RawEvent[] = [];

  addPublished(w: {
    jobs?: readonly KnownJob[];
    rawJobs?: readonly RawJob[];
    events?: readonly KnownEvent[];
    rawEvents?: readonly RawEvent[];
  }): void {
    this.jobs.push(...(w.jobs ?? []));
    this.rawJobs.push(...(w.rawJobs ?? []));
    this.events.push(...(w.events ?? []));
    this.rawEvents.push(...(w.rawEvents ?? []));
  }

  async reconcile(fc: FaultCloud): Promise<Reconciliation> {
    await Promise.all([fc.dlq.refresh(), fc.failures.refresh(), fc.archive.refresh()]);
    const pending: string[] = [];
    const worker = fc.tally(fc.worker.name);

    const jobCounts = (list: Array<{ id: string; fate: JobFate; body?: string }>, what: string): PathCounts => {
      const c = emptyCounts();
      let waiting = 0;
      for (const j of list) {
        c.published++;
        const ok = worker.ok.get(j.id) ?? 0;
        const inDlq = (j.body !== undefined ? fc.dlq.byBody.get(j.body) : fc.dlq.byEnvelopeId.get(j.id)) ?? 0;
        if (ok > 0) {
          c.processed++;
          c.extraDeliveries += ok - 1;
          if (j.fate === 'dlq') c.poisonProcessed++;
        } else if (inDlq > 0) {
          c.deadLettered++;
          if (j.fate === 'ok') c.goodDeadLettered++;
        } else waiting++;
        if (j.body === undefined) {
          const effects = worker.effects.get(j.id) ?? 0;
          const absorbed = worker.absorbed.get(j.id) ?? 0;
          c.absorbedDuplicates += absorbed;
          if (effects > 1) c.duplicatedEffects++;
          if (ok > 0 && j.fate === 'ok' && effects === 0) {
            if (absorbed > 0) c.effectsUnobserved++;
            else c.lostEffects++;
          }
        }
      }
      c.lost = waiting;
      if (waiting > 0) pending.push(`${what}: ${waiting} of ${c.published} neither processed nor in the DLQ`);
      return c;
    };

    const jobs = jobCounts(
      [
        ...this.jobs.map((j) => ({ id: j.id, fate: jobFate(j) })),
        ...this.rawJobs.map((r) => ({ id: r.id, fate: 'dlq' as const, body: r.body })),
      ],
      'jobs',
    );

    const consumers: Record<string, PathCounts> = {};
    const derived = new Map<string, KnownJob>();
    const allEvents: Array<{ id: string; poison: boolean; event?: KnownEvent; data: Buffer }> = [
      ...this.events.map((e) => ({ id: e.id, poison: false, event: e, data: Buffer.from(JSON.stringify(e)) })),
      ...this.rawEvents.map((r) => ({ id: r.id, poison: true, data: r.data })),
    ];
    const ids = new Set(allEvents.map((e) => e.id));
    const failureConditions: Record<string, number> = {};
    for (const r of fc.failures.records) if (ids.has(r.id)) failureConditions[r.condition] = (failureConditions[r.condition] ?? 0) + 1;
    for (const c of fc.consumers) {
      const t = fc.tally(c.name);
      const dl = fc.failures.byConsumer.get(c.name) ?? new Map<string, number>();
      // exactly-once side effects of its own only with idempotency records; otherwise its effect is the
      // derived jobs (counted once each at the worker, in derivedJobs) or metrics (at-least-once, README)
      const exactlyOnce = !isConsumerName(c.name) || CONSUMERS[c.name].idempotency === 'dynamodb';
      const k = emptyCounts();
      let waiting = 0;
      for (const e of allEvents) {
        if (!c.receivesData(e.data)) continue; // its mapping's filter drops it: never published to this consumer
        k.published++;
        const ok = t.ok.get(e.id) ?? 0;
        if (ok > 0) {
          k.processed++;
          k.extraDeliveries += ok - 1;
          if (e.poison) k.poisonProcessed++;
          if (e.event) for (const j of derivedJobs(c.name, e.event)) derived.set(j.id, j);
        } else if ((dl.get(e.id) ?? 0) > 0) {
          k.deadLettered++;
          if (!e.poison) k.goodDeadLettered++;
        } else waiting++;
        if (e.event) {
          const effects = t.effects.get(e.id) ?? 0;
          const absorbed = t.absorbed.get(e.id) ?? 0;
          k.absorbedDuplicates += absorbed;
          if (effects > 1 && exactlyOnce) k.duplicatedEffects++;
          const acts = actsOn(c.name, e.event.type);
          if (ok > 0 && acts && effects === 0) {
            if (absorbed > 0) k.effectsUnobserved++;
            else k.lostEffects++;
          }
        }
      }
      k.lost = waiting;
      if (waiting > 0) pending.push(`consumer ${c.name}: ${waiting} of ${k.published} events neither processed nor in the failure bucket`);
      consumers[c.name] = k;
    }
    const derivedJobsCounts = jobCounts(
      [...derived.values()].map((j) => ({ id: j.id, fate: jobFate(j) })),
      'jobs enqueued by consumers',
    );

    let missing = 0;
    for (const e of this.events) if (!fc.archive.byId.has(e.id)) missing++;
    for (const r of this.rawEvents) if (!fc.archive.rawLines.has(r.data.toString('utf8')) && !fc.archive.byId.has(r.id)) missing++;
    const archive = {
      published: this.events.length + this.rawEvents.length,
      archived: this.events.length + this.rawEvents.length - missing,
      missing,
    };
    if (missing > 0) pending.push(`archive: ${missing} of ${archive.published} records not archived yet`);
    return { jobs, derivedJobs: derivedJobsCounts, consumers, archive, failureConditions, pending };
  }
}

/** Sums over paths: what the Markdown table shows per scenario. */
export function totals(r: Reconciliation): Omit<PathCounts, 'published'> & {
  publishedJobs: number;
  publishedEvents: number;
  processedJobs: number;
  processedEventDeliveries: number;
} {
  const all = [r.jobs, r.derivedJobs, ...Object.values(r.consumers)];
  const sum = (f: (c: PathCounts) => number): number => all.reduce((a, c) => a + f(c), 0);
  return {
    publishedJobs: r.jobs.published,
    publishedEvents: r.archive.published,
    processedJobs: r.jobs.processed + r.derivedJobs.processed,
    processedEventDeliveries: Object.values(r.consumers).reduce((a, c) => a + c.processed, 0),
    processed: sum((c) => c.processed),
    deadLettered: sum((c) => c.deadLettered),
    lost: sum((c) => c.lost) + r.archive.missing,
    goodDeadLettered: sum((c) => c.goodDeadLettered),
    poisonProcessed: sum((c) => c.poisonProcessed),
    duplicatedEffects: sum((c) => c.duplicatedEffects),
    lostEffects: sum((c) => c.lostEffects),
    effectsUnobserved: sum((c) => c.effectsUnobserved),
    extraDeliveries: sum((c) => c.extraDeliveries),
    absorbedDuplicates: sum((c) => c.absorbedDuplicates),
  };
}
