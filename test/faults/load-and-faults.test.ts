// Fault and load suite, part 1 (one local cloud): load, poison, duplicates, throttling, slow consumer.
// FAULTS_SCALE=quick (default) runs small counts inside `npm test`; FAULTS_SCALE=full is `npm run test:faults`.
import { describe, expect, it } from 'vitest';
import { badInputSuite } from './bad-inputs';
import { useFaultCloud, type FaultCloud, FAULT_POLL_MS } from './harness';
import type { StreamConsumer } from '../support/local-cloud';
import { eventually } from '../support/wait';
import { InjectionCounts, lostResponseKinesis, lostResponseSqs, throttlingKinesis, throttlingSqs } from './inject';
import { runScenario, violations } from './scenario';
import { SCALE } from './scale';
import { jobFate, makeWorkload, rng, type Workload } from './workload';

// Template waits scaled (visibility timeouts, batching windows, retry backoff; function timeouts stay real): quick
// 0.01 (a poison job's 5 receives ≈ 12 s); full 0.05, where the poison scenario's visibility timeouts are most of
// its time. (0.1 was chosen when the mappings had a 1 h MaximumRecordAge, which at 0.05 a 10,000-event lag passed;
// the template now sets none, -1.)
const TIME_SCALE = SCALE.variant === 'full' ? 0.05 : 0.01;
let fc: FaultCloud;

useFaultCloud({ timeScale: TIME_SCALE, label: 'load' }, (cloud) => (fc = cloud));

// bad inputs first: their raw messages go out at once and settle (DLQ, failure bucket) before the load starts
badInputSuite(() => fc, SCALE.settleTimeoutMs);

const wl = (tag: string, extra: Partial<Parameters<typeof makeWorkload>[0]> = {}): Workload =>
  makeWorkload({ tag, jobs: SCALE.jobs, events: SCALE.events, ...extra });
const timeout = SCALE.settleTimeoutMs + 60_000;

describe(`fault and load suite (${SCALE.variant}: ${SCALE.jobs} jobs, ${SCALE.events} events per scenario)`, () => {
  it(
    '1 load: every job and every event is processed once, across all shards',
    async () => {
      const w = wl('load');
      const out = await runScenario(fc, {
        key: '1-load',
        name: '1 load',
        workload: w,
        notes: (_r, x) => [
          `producers published ${x.eventsPerSecond} events/s and ${x.jobsPerSecond} jobs/s concurrently, onto ${x.shardsUsed} of ${x.shardCount} shards`,
        ],
      });
      expect(out.producerFailures).toEqual([]);
      expect(out.extra.shardsUsed, 'events spread over every shard').toBe(fc.stream.shardCount);
      expect(violations(out.rec)).toBeUndefined();
      expect(out.rec.jobs.processed).toBe(w.jobs.length);
      for (const [name, c] of Object.entries(out.rec.consumers)) {
        const receives = w.events.filter((e) => fc.consumer(name).receivesData(Buffer.from(JSON.stringify(e)))).length;
        expect(c.processed, `${name}: every event its filter lets through`).toBe(receives);
      }
    },
    timeout,
  );
});

describe(`fault scenarios (${SCALE.variant})`, () => {
  it(
    '2 poison (5 %): each poison job reaches the DLQ after exactly maxReceiveCount receives, each poison event the failure bucket after its retries; nothing lost',
    async () => {
      const w = wl('poison', { poisonRate: SCALE.poisonRate, seed: 7 });
      const out = await runScenario(fc, {
        key: '2-poison',
        name: '2 poison (5 %)',
        workload: w,
        allowGoodDeadLettered: true,
        notes: (r) => {
          const collateral = Object.entries(r.consumers)
            .filter(([, c]) => c.goodDeadLettered > 0)
            .map(([k, c]) => `${k} ${c.goodDeadLettered}`);
          return [
            `${w.jobs.filter(isPoisonJob).length + w.rawJobBodies.length} poison jobs and ${w.rawEventRecords.length} malformed events; every poison job in the DLQ after exactly maxReceiveCount receives, every malformed event in the failure bucket once per consumer whose filter lets it through (RetryAttemptsExhausted, never the record-age bound)`,
            ...(collateral.length > 0
              ? [
                  `good events dead-lettered beside a poison record of the same batch (reported after it, so in the failure bucket with it, redrivable): ${collateral.join(', ')}`,
                ]
              : []),
          ];
        },
      });
      expect(out.producerFailures).toEqual([]);
      expect(violations(out.rec, { allowGoodDeadLettered: true })).toBeUndefined();
      expect(out.rec.jobs.goodDeadLettered, 'good jobs dead-lettered').toBe(0);
      const max = fc.jobs.redrivePolicy!.maxReceiveCount;
      const worker = fc.tally(fc.worker.name);
      const poisonIds = [...out.ledger.jobs.filter(isPoisonJob).map((j) => j.id), ...out.ledger.rawJobs.map((r) => r.id)];
      expect(poisonIds.length).toBeGreaterThan(0);
      for (const id of poisonIds) expect(worker.failed.get(id) ?? 0, `failed receives of poison job ${id}`).toBe(max);
      const rawIds = new Set(out.ledger.rawEvents.map((r) => r.id));
      const poisonRecords = fc.failures.records.filter((r) => rawIds.has(r.id));
      const copies = out.ledger.rawEvents.reduce((n, r) => n + fc.consumers.filter((c) => c.receivesData(r.data)).length, 0);
      expect(poisonRecords.length, 'malformed events in the failure bucket, once per consumer whose mapping delivers them').toBe(copies);
      expect(new Set(poisonRecords.map((r) => r.condition)), 'why they were discarded').toEqual(new Set(['RetryAttemptsExhausted']));
    },
    timeout,
  );

  it(
    '4 duplicates: a batch whose reply was lost is sent again; the duplicates are harmless end to end',
    async () => {
      const counts = new InjectionCounts();
      const rand = rng(4);
      const w = wl('dup', { seed: 4 });
      const out = await runScenario(fc, {
        key: '4-duplicates',
        name: '4 duplicates (lost responses)',
        workload: w,
        // one generator per client: the order of their calls interleaves differently from run to run; seed 45's
        // first draw (0.037) loses the first PutRecords reply, so duplicate events happen even in the quick run
        sqs: lostResponseSqs(fc.clients.sqs, 0.3, rand, counts),
        kinesis: lostResponseKinesis(fc.clients.kinesis, 0.3, rng(45), counts),
        notes: (r) => [
          `${counts.lostResponses} producer requests stored but answered with a lost response and sent again; ${totalsOf(r, 'extraDeliveries')} duplicate deliveries, ${totalsOf(r, 'absorbedDuplicates')} acknowledged by idempotency without side effects`,
        ],
      });
      expect(out.producerFailures).toEqual([]);
      expect(counts.lostResponses).toBeGreaterThan(0);
      expect(violations(out.rec)).toBeUndefined();
      expect(out.rec.jobs.extraDeliveries + out.rec.derivedJobs.extraDeliveries, 'duplicate job deliveries happened').toBeGreaterThan(0);
      expect(
        Object.values(out.rec.consumers).reduce((a, c) => a + c.extraDeliveries, 0),
        'duplicate event deliveries happened',
      ).toBeGreaterThan(0);
    },
    timeout,
  );

  it(
    '5 throttling: only the throttled entries are retried, per-key order holds, nothing lost',
    async () => {
      const counts = new InjectionCounts();
      const rand = rng(5);
      const w = wl('throttle', { seed: 5 });
      const out = await runScenario(fc, {
        key: '5-throttling',
        name: '5 throttling / partial failures',
        workload: w,
        sqs: throttlingSqs(fc.clients.sqs, 0.2, rand, counts),
        kinesis: throttlingKinesis(fc.clients.kinesis, 0.2, rand, counts),
        retry: { maxAttempts: 12, baseDelayMs: 5, maxDelayMs: 100 },
        notes: () => [
          `${counts.throttledTotal()} entries failed by injected ProvisionedThroughputExceededException / RequestThrottled; each retried until sent once, no entry sent twice, per-key order kept on the stream and in every consumer`,
        ],
      });
      expect(out.producerFailures).toEqual([]);
      expect(counts.throttledTotal()).toBeGreaterThan(0);
      expect(violations(out.rec)).toBeUndefined();
      const sentTwice = [...counts.sent].filter(([, n]) => n !== 1);
      expect(sentTwice, 'entries sent to the service more than once (only failed entries may be retried)').toEqual([]);
      expect(counts.sent.size).toBe(w.jobs.length + w.events.length);
      // per-key order: every consumer processed each order's OrderPlaced before its OrderShipped
      const byKey = new Map<string, string[]>();
      for (const e of out.ledger.events) byKey.set(e.partitionKey, [...(byKey.get(e.partitionKey) ?? []), e.id]);
      for (const c of fc.consumers) {
        const first = new Map<string, number>();
        fc.tally(c.name).sequence.forEach((id, i) => {
          if (!first.has(id)) first.set(id, i);
        });
        const outOfOrder = [...byKey].filter(([, ids]) => ids.some((id, i) => i > 0 && first.get(id)! < first.get(ids[i - 1]!)!));
        expect(outOfOrder, `${c.name}: partition keys processed out of order`).toEqual([]);
      }
    },
    timeout,
  );

  it(
    '7 slow consumer: the others stay current while its lag shows in mappingStats; resumed, it catches up',
    async () => {
      const slow = fc.consumer('analytics');
      const others = fc.consumers.filter((c) => c !== slow);
      const out = await runScenario(fc, {
        key: '7-slow-consumer',
        name: '7 slow consumer',
        workload: wl('slow-0', { jobs: 0, events: 0 }),
        publishInline: true,
        notes: (_r, x) => [
          `${x.bursts} pause/resume bursts of ${slow.name}: the other consumers finished each burst while it was paused; its lag peaked at ${x.maxBehindRecords} records / ${x.maxMillisBehind} ms behind (mappingStats, the IteratorAge equivalent) and returned to 0 after resume`,
        ],
        during: async ({ publish }) => {
          let maxBehindRecords = 0;
          let maxMillisBehind = 0;
          for (let b = 1; b <= SCALE.slowBursts; b++) {
            const wave = makeWorkload({
              tag: `slow-${b}`,
              jobs: Math.round(SCALE.jobs / SCALE.slowBursts),
              events: Math.round(SCALE.events / SCALE.slowBursts),
              seed: 70 + b,
            });
            fc.lambda.pause(slow.name);
            await publish(wave);
            const ids = wave.events.map((e) => e.id);
            const caughtUp = (name: string): number => ids.filter((id) => fc.tally(name).ok.has(id)).length;
            const receives = (c: StreamConsumer): number =>
              wave.events.filter((e) => c.receivesData(Buffer.from(JSON.stringify(e)))).length;
            await eventually(
              `burst ${b}: ${others.map((c) => c.name).join(', ')} current while ${slow.name} is paused`,
              () => ({ done: others.map((c) => caughtUp(c.name)), lag: fc.lagRecords() }),
              (s) => s.done.every((n, i) => n === receives(others[i]!)) && others.every((c) => s.lag[c.name] === 0),
              { timeoutMs: SCALE.settleTimeoutMs, intervalMs: FAULT_POLL_MS, abortIf: () => fc.fatalError },
            );
            const stats = await eventually(
              `burst ${b}: ${slow.name}'s lag visible`,
              () => fc.lambda.mappingStats()[slow.mapping.logicalId]!,
              (s) => s.behindRecords > 0 && s.millisBehind > 0,
              { timeoutMs: 30_000, intervalMs: FAULT_POLL_MS },
            );
            expect(stats.paused).toBe(true);
            expect(caughtUp(slow.name), `${slow.name} processed nothing of burst ${b} while paused`).toBe(0);
            maxBehindRecords = Math.max(maxBehindRecords, stats.behindRecords);
            maxMillisBehind = Math.max(maxMillisBehind, stats.millisBehind);
            fc.lambda.resume(slow.name);
            await eventually(
              `burst ${b}: ${slow.name} catches up`,
              () => ({ done: caughtUp(slow.name), lag: fc.lambda.mappingStats()[slow.mapping.logicalId]! }),
              (s) => s.done === receives(slow) && s.lag.behindRecords === 0,
              { timeoutMs: SCALE.settleTimeoutMs, intervalMs: FAULT_POLL_MS, abortIf: () => fc.fatalError },
            );
          }
          return { bursts: SCALE.slowBursts, maxBehindRecords, maxMillisBehind };
        },
      });
      expect(out.producerFailures).toEqual([]);
      expect(violations(out.rec)).toBeUndefined();
      expect(out.extra.maxBehindRecords as number).toBeGreaterThan(0);
    },
    timeout,
  );
});

function isPoisonJob(j: { type: string; data: Record<string, unknown> }): boolean {
  return jobFate(j as never) === 'dlq';
}

function totalsOf(r: Parameters<typeof violations>[0], k: 'extraDeliveries' | 'absorbedDuplicates'): number {
  return [r.jobs, r.derivedJobs, ...Object.values(r.consumers)].reduce((a, c) => a + c[k], 0);
}
