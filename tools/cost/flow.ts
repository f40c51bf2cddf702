// How the workload flows through the template: the consumers (with a --consumers what-if), the shards, each
// function's batches and durations, where the jobs come from, and who writes idempotency records (see
// model.ts's header for the assumptions).
import type { AssemblySettings, FunctionSettings, KinesisConsumerSettings, TableSettings, WorkerSettings } from './assembly';
import { ASSUMED_DURATION_MS, DYNAMODB_LIMITS, JOBS_PER_HANDLED_EVENT, LAMBDA_LIMITS, SHARD_LIMITS, SQS_LIMITS } from './limits';
import { consumerTraffic, type ConsumerTraffic } from './traffic';
import { dynamoWriteUnits, idempotencyItemBytes } from './units';
import { rates, type Workload } from './workload';

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** The template's consumers, resized for a `--consumers` what-if (extra ones copy the last one's settings). */
export function effectiveConsumers(s: AssemblySettings, w: Workload): KinesisConsumerSettings[] {
  const base = s.consumers;
  if (w.consumers === undefined || w.consumers === base.length) return base;
  if (w.consumers < base.length) return base.slice(0, w.consumers);
  const template: KinesisConsumerSettings = base[base.length - 1] ?? {
    fn: { logicalId: 'extra', name: 'extra', memoryMb: 256, architecture: 'arm64', timeoutSeconds: 30 },
    efo: false,
    batchSize: 100,
    parallelizationFactor: 1,
    batchingWindowSeconds: 0,
  };
  const extra = Array.from({ length: w.consumers - base.length }, (_, i) => ({
    ...template,
    copyOf: template.copyOf ?? template.fn.name,
    fn: { ...template.fn, name: `extra-${i + 1}`, logicalId: `${template.fn.logicalId}-extra-${i + 1}` },
  }));
  return [...base, ...extra];
}

/** Shards the model assumes: the template's for provisioned; for on-demand 4, or twice the peak's need. */
export function assumedShards(s: AssemblySettings, w: Workload, mode = s.stream?.mode): number {
  if (!s.stream) return 0;
  if (mode === 'PROVISIONED') return s.stream.mode === 'PROVISIONED' ? (s.stream.shardCount ?? 1) : provisionedShardsNeeded(s, w);
  const r = rates(w);
  return Math.max(4, Math.ceil(2 * Math.max(r.peakWriteMibps / SHARD_LIMITS.writeMibps, r.peakEventsPerSecond / SHARD_LIMITS.writeRps)));
}

/** Shards a provisioned stream needs for the peak: writes, records, and the shared readers' 2 MB/s. */
export function provisionedShardsNeeded(s: AssemblySettings, w: Workload): number {
  const r = rates(w);
  const sharedReaders = effectiveConsumers(s, w).filter((c) => !c.efo).length + (s.archive ? 1 : 0);
  return Math.max(
    1,
    Math.ceil(r.peakWriteMibps / SHARD_LIMITS.writeMibps),
    Math.ceil(r.peakEventsPerSecond / SHARD_LIMITS.writeRps),
    Math.ceil((sharedReaders * r.peakWriteMibps) / SHARD_LIMITS.readMibps),
  );
}

/** Average records per invocation of a Kinesis consumer that `eventsPerSecond` reach (after its filter; see model.ts's header). */
function kinesisAvgBatch(c: KinesisConsumerSettings, eventsPerSecond: number, shards: number): number {
  const perPoll = (eventsPerSecond / Math.max(1, shards)) * Math.max(1, c.batchingWindowSeconds);
  return clamp(perPoll / c.parallelizationFactor, 1, c.batchSize);
}
/** Average messages per invocation of an SQS worker (see model.ts's header). */
export function sqsAvgBatch(wk: WorkerSettings, jobsPerSecond: number): number {
  const perPoll = (jobsPerSecond * Math.max(1, wk.batchingWindowSeconds)) / LAMBDA_LIMITS.sqsMinPollers;
  return clamp(perPoll, 1, wk.batchSize);
}

/** A function's invocation time as fixed + perRecord × batch (see model.ts's header). */
export interface DurationModel {
  fixedMs: number;
  perRecordMs: number;
  source: 'override' | 'measured' | 'assumed';
  /** when and under which latency it was measured, or why it is assumed */
  basis: string;
}

/**
 * The duration model of a consumer (by name; an extra consumer of a what-if by the one it copies) or of the
 * worker: --avg-duration-ms, else measured.json, else ASSUMED_DURATION_MS.
 */
export function durationModel(w: Workload, role: 'consumer' | 'worker', name: string): DurationModel {
  if (w.avgDurationMs !== undefined) return { fixedMs: w.avgDurationMs, perRecordMs: 0, source: 'override', basis: '--avg-duration-ms' };
  const m = w.measured;
  const c = role === 'consumer' ? m?.consumers[name] : undefined;
  const pair = !m
    ? undefined
    : role === 'worker'
      ? { at1: m.worker.msPerInvocationBatch1, atN: m.worker.msPerInvocationBatch10, n: 10 }
      : c && { at1: c.msPerInvocationBatch1, atN: c.msPerInvocationBatch100, n: c.recordsDeliveredPerBatch100 ?? 100 };
  if (!m || !pair)
    return {
      fixedMs: ASSUMED_DURATION_MS,
      perRecordMs: 0,
      source: 'assumed',
      basis: m ? `assumed: ${name} not in measured.json` : 'assumed: no measured durations',
    };
  // A slope below 0 is measurement noise: then every batch costs the batch-1 time.
  const perRecordMs = pair.n > 1 ? Math.max(0, (pair.atN - pair.at1) / (pair.n - 1)) : 0;
  const fixedMs = Math.max(0, pair.at1 - perRecordMs);
  return {
    fixedMs,
    perRecordMs,
    source: 'measured',
    basis: `measured ${m.generatedAt.slice(0, 10)} under DynamoDB ${m.latencyMs.dynamodb} ms / SQS ${m.latencyMs.sqs} ms latency`,
  };
}

/** Milliseconds one invocation of `batch` records takes. */
export const invocationMs = (d: DurationModel, batch: number): number => d.fixedMs + d.perRecordMs * batch;

/** What one Kinesis consumer receives, handles and sends, on average. */
export interface ConsumerFlow {
  c: KinesisConsumerSettings;
  traffic: ConsumerTraffic;
  /** events per second that pass its filter (invoke it) */
  deliveredPerSecond: number;
  /** events per second its handler acts on (idempotency records, jobs) */
  handledPerSecond: number;
  /** average records per invocation */
  batch: number;
  invocationsPerSecond: number;
  duration: DurationModel;
  /** jobs it enqueues per second (0 without JOB_QUEUE_URL), after scaling to the workload's jobs */
  jobsPerSecond: number;
}

/** Where the workload's jobs come from and how they are sent (see model.ts's header). */
export interface JobPlan {
  consumers: ConsumerFlow[];
  /** jobs per second from producers outside the template */
  outsidePerSecond: number;
  /** consumers' jobs ÷ what one job per handled event would give (< 1 when jobsPerDay is smaller) */
  scale: number;
  /** jobs per second one job per handled event would give */
  derivedPerSecond: number;
}

/** Per consumer: its share of events, batch, duration and jobs; and the outside producers' share of jobs. */
export function jobPlan(s: AssemblySettings, w: Workload, shards: number): JobPlan {
  const r = rates(w);
  const mix = w.eventMix;
  const flows = effectiveConsumers(s, w).map((c): ConsumerFlow => {
    const traffic = consumerTraffic(c, mix);
    const deliveredPerSecond = r.eventsPerSecond * traffic.deliveredShare;
    const batch = kinesisAvgBatch(c, deliveredPerSecond, shards);
    return {
      c,
      traffic,
      deliveredPerSecond,
      handledPerSecond: r.eventsPerSecond * traffic.handledShare,
      batch,
      invocationsPerSecond: deliveredPerSecond / batch,
      duration: durationModel(w, 'consumer', c.copyOf ?? c.fn.name),
      jobsPerSecond: 0,
    };
  });
  const derivedPerSecond = flows.reduce((n, f) => n + (f.c.fn.enqueuesTo ? f.handledPerSecond * JOBS_PER_HANDLED_EVENT : 0), 0);
  const scale = derivedPerSecond > r.jobsPerSecond ? r.jobsPerSecond / derivedPerSecond : 1;
  for (const f of flows) if (f.c.fn.enqueuesTo) f.jobsPerSecond = f.handledPerSecond * JOBS_PER_HANDLED_EVENT * scale;
  const fromConsumers = flows.reduce((n, f) => n + f.jobsPerSecond, 0);
  return { consumers: flows, outsidePerSecond: Math.max(0, r.jobsPerSecond - fromConsumers), scale, derivedPerSecond };
}

/** Jobs per send request: `wanted` jobs to send together, at most 10 and at most what fits the batch payload limit. */
export function entriesPerRequest(wanted: number, bytes: number, maxBatchBytes: number = SQS_LIMITS.defaultMaxBytes): number {
  const cap = Math.max(1, Math.min(SQS_LIMITS.maxBatchEntries, Math.floor(maxBatchBytes / bytes)));
  return wanted <= 1 ? 1 : wanted / Math.ceil(wanted / cap);
}

export interface IdempotencyLoad {
  table: TableSettings;
  /** each idempotent function writing to the table, with the records it processes per second on average */
  functions: { fn: FunctionSettings; recordsPerSecond: number; expirySeconds: number; itemBytes: number; wruPerRecord: number }[];
}

/**
 * Who writes idempotency records to which table, and how fast: only functions with IDEMPOTENCY_TABLE_NAME;
 * workers one per job, consumers one per event they handle.
 */
export function idempotencyLoads(s: AssemblySettings, w: Workload): IdempotencyLoad[] {
  const r = rates(w);
  const mix = w.eventMix;
  const fns = [
    ...s.workers.map((wk) => ({ fn: wk.fn, recordsPerSecond: r.jobsPerSecond })),
    ...effectiveConsumers(s, w).map((c) => ({ fn: c.fn, recordsPerSecond: r.eventsPerSecond * consumerTraffic(c, mix).handledShare })),
  ];
  return s.tables.map((table) => ({
    table,
    functions: fns
      .filter((f) => f.fn.idempotency?.tableLogicalId === table.logicalId)
      .map((f) => {
        const itemBytes = idempotencyItemBytes(f.fn.name, w.idempotencyResultBytes);
        return {
          ...f,
          expirySeconds: f.fn.idempotency!.expirySeconds,
          itemBytes,
          wruPerRecord: DYNAMODB_LIMITS.idempotencyWritesPerRecord * dynamoWriteUnits(itemBytes),
        };
      }),
  }));
}
