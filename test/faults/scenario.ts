// One scenario, start to reconciliation: publish a workload through the producers (optionally through a faulty
// client), run the fault alongside, wait (bounded) until every id is accounted for, record the row.
import type { PutRecordsSender } from '../../lambdas/shared/producers/publish-events';
import type { SendMessageBatchSender } from '../../lambdas/shared/producers/enqueue-jobs';
import type { RetryOptions, DeliveryFailure } from '../../lambdas/shared/producers/delivery';
import type { KnownEvent, KnownJob } from '../../lambdas/shared/envelope';
import type { FaultCloud } from './harness';
import { eventually, show } from '../support/wait';
import { recordScenario, type ScenarioRow } from './report';
import { SCALE } from './scale';
import { Ledger, totals, type Reconciliation, type Workload } from './workload';

export interface ScenarioOptions {
  key: string;
  name: string;
  workload: Workload;
  sqs?: SendMessageBatchSender;
  kinesis?: PutRecordsSender;
  retry?: RetryOptions;
  /** runs alongside publishing; may publish more into the ledger; its result lands in the report's extra */
  // biome-ignore lint/suspicious/noConfusingVoidType: a scenario's fault may have nothing to add to the report
  during?: (ctx: ScenarioContext) => Promise<Record<string, unknown> | void>;
  /** publish in the `during` hook instead (waves); the workload is then only the first wave */
  publishInline?: boolean;
  notes?: (r: Reconciliation, extra: Record<string, unknown>) => string[];
  /** good records may be dead-lettered beside a poison / crashed record (retries exhausted), counted and reported */
  allowGoodDeadLettered?: boolean;
}

export interface ScenarioContext {
  fc: FaultCloud;
  ledger: Ledger;
  /** resolves once the scenario's own publishing finished */
  published: Promise<void>;
  publish(w: Workload): Promise<void>;
}

export interface ScenarioOutcome {
  rec: Reconciliation;
  ledger: Ledger;
  row: ScenarioRow;
  extra: Record<string, unknown>;
  producerFailures: DeliveryFailure[];
  /** seconds to publish everything, and events / jobs per second through the producers */
  publishSeconds: number;
}

export async function runScenario(fc: FaultCloud, o: ScenarioOptions): Promise<ScenarioOutcome> {
  const t0 = Date.now();
  const ledger = new Ledger();
  const producerFailures: DeliveryFailure[] = [];
  let publishSeconds = 0;
  const shards = new Set<string>();
  const publish = async (w: Workload): Promise<void> => {
    const tp = Date.now();
    const [rawJobs, rawEvents, jobReports, eventReports] = await Promise.all([
      fc.sendRawJobs(w.rawJobBodies),
      fc.putRawEvents(w.rawEventRecords),
      fc.enqueue(w.jobs, {
        concurrency: SCALE.producerConcurrency,
        ...(o.sqs ? { client: o.sqs } : {}),
        ...(o.retry ? { retry: o.retry } : {}),
      }),
      fc.publish(w.events, {
        concurrency: SCALE.producerConcurrency,
        ...(o.kinesis ? { client: o.kinesis } : {}),
        ...(o.retry ? { retry: o.retry } : {}),
      }),
    ]);
    const jobs: KnownJob[] = [];
    const byId = new Map(w.jobs.map((j) => [j.id, j]));
    for (const rep of jobReports) {
      for (const r of rep.results) {
        if (r.ok) jobs.push(byId.get(r.id)!);
        else producerFailures.push(r);
      }
    }
    const events: KnownEvent[] = [];
    for (const { events: part, report } of eventReports) {
      for (const r of report.results) {
        if (r.ok) {
          events.push(part[r.index]!);
          shards.add(r.shardId);
        } else producerFailures.push(r);
      }
    }
    ledger.addPublished({ jobs, rawJobs, events, rawEvents });
    publishSeconds += (Date.now() - tp) / 1000;
  };
  const published = o.publishInline ? Promise.resolve() : publish(o.workload);
  const hook = (await Promise.all([published, o.during?.({ fc, ledger, published, publish })]))[1] ?? {};
  const extra: Record<string, unknown> = {
    ...hook,
    shardsUsed: shards.size,
    shardCount: fc.stream.shardCount,
    eventsPerSecond: publishSeconds > 0 ? Math.round((ledger.events.length + ledger.rawEvents.length) / publishSeconds) : undefined,
    jobsPerSecond: publishSeconds > 0 ? Math.round((ledger.jobs.length + ledger.rawJobs.length) / publishSeconds) : undefined,
  };

  const rec = await eventually(
    `${o.name}: every id accounted for, the job queue empty and every consumer current`,
    async () => {
      const r = await ledger.reconcile(fc);
      if (r.pending.length === 0) {
        const depth = await fc.queueDepth();
        if (depth > 0) r.pending.push(`job queue holds ${depth} messages`);
        const lag = Object.entries(fc.lagRecords()).filter(([, v]) => v > 0);
        if (lag.length > 0) r.pending.push(`consumers behind: ${show(lag)}`);
      }
      return r;
    },
    (r) => r.pending.length === 0,
    { timeoutMs: SCALE.settleTimeoutMs, intervalMs: 500, abortIf: () => fc.fatalError },
  );
  const seconds = (Date.now() - t0) / 1000;
  const row = toRow(o, rec, seconds, fc, extra, producerFailures, publishSeconds);
  await recordScenario(row);
  return { rec, ledger, row, extra, producerFailures, publishSeconds };
}

export function toRow(
  o: Pick<ScenarioOptions, 'key' | 'name' | 'notes' | 'allowGoodDeadLettered'>,
  rec: Reconciliation,
  seconds: number,
  fc: FaultCloud,
  extra: Record<string, unknown>,
  producerFailures: DeliveryFailure[],
  publishSeconds: number,
  verdict?: ScenarioRow['verdict'],
): ScenarioRow {
  const t = totals(rec);
  const bad = violations(rec, { allowGoodDeadLettered: o.allowGoodDeadLettered ?? false }) !== undefined;
  return {
    key: o.key,
    scenario: o.name,
    verdict: verdict ?? (bad ? 'FAILED' : 'passed'),
    published: { jobs: t.publishedJobs, events: t.publishedEvents },
    processed: { jobs: t.processedJobs, eventDeliveries: t.processedEventDeliveries },
    deadLettered: t.deadLettered,
    lost: t.lost,
    duplicatedSideEffects: t.duplicatedEffects,
    goodDeadLettered: t.goodDeadLettered,
    seconds,
    timeScale: fc.cloud.clock?.timeScale ?? 1,
    notes: o.notes?.(rec, extra) ?? [],
    reconciliation: rec,
    extra: {
      ...extra,
      publishSeconds: Math.round(publishSeconds * 10) / 10,
      producerFailures: producerFailures.length,
      lostEffects: t.lostEffects,
      effectsUnobserved: t.effectsUnobserved,
      extraDeliveries: t.extraDeliveries,
      absorbedDuplicates: t.absorbedDuplicates,
    },
  };
}

/** The invariants every scenario must hold; a message naming each violation, or undefined. */
export function violations(rec: Reconciliation, o: { allowGoodDeadLettered?: boolean } = {}): string | undefined {
  const out: string[] = [];
  const paths: Array<[string, Reconciliation['jobs']]> = [
    ['jobs', rec.jobs],
    ['jobs enqueued by consumers', rec.derivedJobs],
    ...Object.entries(rec.consumers).map(([k, v]) => [`consumer ${k}`, v] as [string, Reconciliation['jobs']]),
  ];
  for (const [name, c] of paths) {
    if (c.published !== c.processed + c.deadLettered + c.lost)
      out.push(`${name}: published ${c.published} ≠ processed ${c.processed} + dead-lettered ${c.deadLettered} + lost ${c.lost}`);
    if (c.lost > 0) out.push(`${name}: ${c.lost} lost`);
    if (c.duplicatedEffects > 0) out.push(`${name}: ${c.duplicatedEffects} ids with duplicated side effects`);
    if (c.lostEffects > 0) out.push(`${name}: ${c.lostEffects} processed ids without their side effect`);
    if (c.poisonProcessed > 0) out.push(`${name}: ${c.poisonProcessed} poison records reported processed`);
    if (!o.allowGoodDeadLettered && c.goodDeadLettered > 0) out.push(`${name}: ${c.goodDeadLettered} good records dead-lettered`);
  }
  if (rec.archive.missing > 0) out.push(`archive: ${rec.archive.missing} events missing`);
  const aged = rec.failureConditions.RecordAgeExceeded ?? 0;
  if (aged > 0) out.push(`${aged} records discarded by MaximumRecordAgeInSeconds: a shard fell behind past its bound`);
  return out.length > 0 ? out.join('\n') : undefined;
}
