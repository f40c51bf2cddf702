// Monthly cost and capacity headroom of the synthesized template under a workload. Pure functions: the
// settings come from assembly.ts, the prices from prices.ts, the workload from the CLI.
//
// Assumptions, stated once (each is a CLI option or a constant named here):
// - a month is 730 hours (AWS's convention); 1 KB = 1,024 bytes, 1 GB = 1,024³ bytes, 1 MB/s = 1 MiB/s;
// - traffic is steady at the daily average, with peaks `peakFactor` × the average (default 3) that size
//   capacity but not cost; partition keys spread evenly over shards (no hot shard);
// - one record or message per event or job, of `avgSizeKb`;
// - events: the stream carries `eventsPerDay` split by the event-type mix (`eventMix`, default an even split
//   over the registered types). Each consumer is invoked only for the types its mapping's FilterCriteria let
//   through and acts on (idempotency records, jobs) only the types its handler handles (traffic.ts: the
//   template's filter first, the consumer manifest lambdas/consumers.ts second). Lambda filters before it
//   batches, so a consumer's batches hold only records that passed its filter; every polling consumer still
//   reads every record from the shard (Kinesis reads and the shared 2 MB/s are unchanged by filters);
// - jobs: `jobsPerDay` is ALL jobs through the queue. A consumer whose environment has JOB_QUEUE_URL
//   (assembly.ts: JOB_QUEUE_ENV) enqueues JOBS_PER_HANDLED_EVENT job per event it handles (the manifest's
//   consumers do: an e-mail per order event, a payment per placed order); the rest of `jobsPerDay` comes
//   from producers outside the template (if the consumers' jobs exceed `jobsPerDay`, they are scaled down to
//   it, with a note). Consumers send the jobs of one invocation with SendMessageBatch: ⌈jobs ÷ 10⌉ requests
//   (fewer entries when 10 would pass the queue's MaximumMessageSize, the batch payload limit), so a request
//   carries min(10, jobs per invocation) jobs, a little less above 10 (23 jobs: 3 requests of ~7.7); each
//   request is billed per started 64 KB of its total payload. Outside producers are unknown to the template:
//   they are costed sending `producerBatch` jobs per request (default 1, SendMessage per job, the cautious
//   figure for producers the template cannot see); the template's own producer, enqueueJobs
//   (lambdas/shared/producers), sends SendMessageBatch of up to 10, so `--producer-batch 10` prices producers
//   built on it;
// - Lambda invocations: a Kinesis mapping polls each shard about once a second (or per batching window) and
//   splits what passes its filter over its parallelization factor, so its average batch is those records
//   per shard in that time ÷ the factor, between 1 and BatchSize; the SQS mapping runs 5 long-polling
//   pollers at minimum, so its average batch is the jobs arriving per poller per second (or window), between
//   1 and BatchSize; every invocation writes `logBytesPerInvocation` of logs;
// - Lambda duration: from tools/cost/measured.json, written by the bench (`npm run bench`, figure 7) from
//   invocations measured under AWS-like DynamoDB / SQS latency: a consumer's invocation lasts
//   fixed + perRecord × batch (records delivered to it), with perRecord = (ms for 100 stream records − ms
//   for 1 record) ÷ (records of those 100 its filter delivered − 1: the bench's recordsDeliveredPerBatch100,
//   100 when absent, so ÷ 99 for an unfiltered consumer) and fixed = ms for 1 record − perRecord; the
//   worker likewise from batch 1 and 10. `avgDurationMs` (--avg-duration-ms)
//   overrides it for every function; a function without a measurement (or no file) is assumed to take
//   ASSUMED_DURATION_MS per invocation, and a note says so;
// - capacity: a consumer's shard slot processes one batch at a time, so at parallelization factor p it keeps
//   up with p × BatchSize ÷ (duration of a full batch) records/s per shard, against the peak records/s per
//   shard that pass its filter (for batches of 100 stream records at PF 1 that is the bench's own
//   recordsPerSecondPerShard; the formula also follows a fork's batch size and PF); the worker needs
//   (peak jobs/s ÷ batch) × duration executions (Little's law) against its MaximumConcurrency. A limit that
//   is over says what would keep up, or why it is acceptable (a new on-demand table's 4,000 WRU/s: what
//   pre-warming costs);
// - on-demand streams: AWS manages the shards; we assume the initial 4 (4 MB/s) or enough for twice the
//   peak, whichever is more, which is how on-demand absorbs a doubling of its previous peak;
// - Firehose reads the stream like any polling consumer (it counts against the shared 2 MB/s and 5 GetRecords
//   per second per shard), flushes a buffer when its interval or size is reached, and gzip shrinks NDJSON
//   to `compressionRatio` of its size; the archive is costed after `archiveMonths` (or the bucket's
//   expiration, if sooner);
// - the archive holds `archiveMonths` of data (or less if the bucket expires it), in the classes the
//   bucket's lifecycle transitions put it in; no replay GETs (a note prices a one-month replay);
// - free tiers (SQS 1M requests, Lambda 1M requests + 400k GB-s, CloudWatch 10 alarms / 3 dashboards /
//   5 GB logs, DynamoDB 25 GB) are NOT subtracted: they are per account and shared with everything else in it;
// - idempotency (Powertools, DynamoDB persistence layer, as read in @aws-lambda-powertools/idempotency 2.35):
//   each record an idempotent function processes costs a conditional PutItem that claims it (INPROGRESS,
//   no result) and an UpdateItem that stores COMPLETED with the result: 2 writes, each 1 WRU per started
//   1 KB of the item (an UpdateItem bills the larger of the item before and after). No reads: a duplicate's
//   failed conditional PutItem (still 1 WRU) returns the stored record (ReturnValuesOnConditionCheckFailure),
//   so there is no GetItem. Only functions whose environment names the table (IDEMPOTENCY_TABLE_NAME) keep
//   records: the worker one per job, a consumer one per event it handles (none for a type it is not
//   delivered or skips). Duplicates and retries (a failure deletes the record: 1 more WRU) are not modelled.
//   Items live for the expiry (IDEMPOTENCY_EXPIRY_SECONDS), TTL deletes are free; storage and PITR are
//   billed on the items held at steady state: records per second × expiry × item size.
import type { AssemblySettings, FunctionSettings, KinesisConsumerSettings, TableSettings, WorkerSettings } from './assembly';
import type { MeasuredDurations } from './measured';
import { DAYS_PER_MONTH, HOURS_PER_MONTH, PRICES, SECONDS_PER_MONTH, type PriceTable } from './prices';
import { consumerTraffic, describeShare, evenMix, type ConsumerTraffic, type EventMix } from './traffic';

export interface Workload {
  jobsPerDay: number;
  eventsPerDay: number;
  avgSizeKb: number;
  /** what-if number of Kinesis consumers; default: as many as the template maps */
  consumers?: number;
  peakFactor: number;
  /** Lambda duration of every invocation, overriding measured durations (--avg-duration-ms) */
  avgDurationMs?: number;
  /** durations measured by the bench (tools/cost/measured.json); without them ASSUMED_DURATION_MS */
  measured?: MeasuredDurations;
  /** share of each event type among the stream's events (normalised by the model) */
  eventMix: EventMix;
  /** jobs per send request from producers outside the template (1 = SendMessage per job; ≤ 10) */
  producerBatch: number;
  logBytesPerInvocation: number;
  compressionRatio: number;
  archiveMonths: number;
  customMetrics: number;
  /** bytes of the result Powertools stores with a completed idempotency record (DynamoDB's map encoding) */
  idempotencyResultBytes: number;
}

export const DEFAULT_ASSUMPTIONS = {
  peakFactor: 3,
  /** each order yields one OrderPlaced and one OrderShipped: an even split over the registered types */
  eventMix: evenMix(),
  /** outside producers call SendMessage once per job */
  producerBatch: 1,
  /** START/END/REPORT lines plus a couple of Powertools JSON log lines */
  logBytesPerInvocation: 1024,
  compressionRatio: 0.2,
  archiveMonths: 12,
  /** the analytics consumer's EMF metrics: OrdersPlaced, OrderRevenueCents, OrdersShipped */
  customMetrics: 3,
  /** consumers store `{duplicate: false, result: null}` (~20 B), the worker a job outcome (~90 B) */
  idempotencyResultBytes: 100,
} as const;

export interface LineItem {
  service: 'Kinesis' | 'SQS' | 'Lambda' | 'Firehose' | 'S3' | 'CloudWatch' | 'DynamoDB';
  what: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  usd: number;
}

export interface CostEstimate {
  lines: LineItem[];
  total: number;
  byService: Record<string, number>;
  kinesisMode: 'PROVISIONED' | 'ON_DEMAND' | 'none';
  shards: number;
  notes: string[];
}

const KB = 1024;
const GB = 1024 ** 3;
const MIB = 1024 ** 2;
/** Lambda's minimum number of SQS pollers (each long-polls with a 20 s wait when the queue is empty). */
const SQS_MIN_POLLERS = 5;
const SQS_LONG_POLL_SECONDS = 20;
/** Lambda's default account concurrency (adjustable) and the most an SQS mapping scales to without a cap. */
export const ACCOUNT_CONCURRENCY = 1000;
const SQS_DEFAULT_MAX_CONCURRENCY = 1250;
/** Kinesis per-shard limits. */
export const SHARD_WRITE_MIBPS = 1;
export const SHARD_WRITE_RPS = 1000;
export const SHARD_READ_MIBPS = 2;
export const SHARD_GETRECORDS_TPS = 5;
/** DynamoDB on-demand: default per-table throughput quota, and what a new table sustains before it adapts. */
export const DDB_TABLE_WRU_QUOTA = 40_000;
export const DDB_NEW_TABLE_WRU = 4_000;
/** Bytes DynamoDB adds to every item for storage billing. */
export const DDB_ITEM_OVERHEAD_BYTES = 100;
/** Writes per processed record: the conditional PutItem (claim) and the UpdateItem (complete). */
export const IDEMPOTENCY_WRITES_PER_RECORD = 2;
/** Lambda duration per invocation when nothing was measured for a function and no override is given. */
export const ASSUMED_DURATION_MS = 100;
/** Jobs a consumer with JOB_QUEUE_URL enqueues per event it handles. */
export const JOBS_PER_HANDLED_EVENT = 1;
/** SendMessageBatch: at most 10 entries per request. */
export const SQS_MAX_BATCH_ENTRIES = 10;
/** The most concurrent batches per shard a Kinesis mapping allows. */
export const MAX_PARALLELIZATION_FACTOR = 10;
/** The SQS default MaximumMessageSize, also the SendMessageBatch payload limit (1 MiB). */
const SQS_DEFAULT_MAX_BYTES = 1_048_576;

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const line = (service: LineItem['service'], what: string, quantity: number, unit: string, unitPrice: number): LineItem => ({
  service,
  what,
  quantity,
  unit,
  unitPrice,
  usd: quantity * unitPrice,
});

/** Request units SQS bills for one API call carrying `bytes` of payload: each 64 KB chunk is one request. */
export function sqsChunks(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / (64 * KB)));
}
/** Kinesis provisioned-mode PUT payload units of one record: 25 KB each, at least one. */
export function putPayloadUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / (25 * KB)));
}
/** Bytes Firehose bills for one record: rounded up to the next 5 KB. */
export function firehoseBilledBytes(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / (5 * KB))) * 5 * KB;
}
/** Bytes on-demand Kinesis bills for one record: rounded up to the next 1 KB. */
export function onDemandBilledBytes(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / KB)) * KB;
}

/** Write request units of one write of an item of `bytes`: 1 per started 1 KB. */
export function dynamoWriteUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / KB));
}

/**
 * Size of a completed Powertools idempotency record, by DynamoDB's rules (attribute name bytes + value bytes;
 * a number is 1 byte per 2 significant digits + 1):
 * `id` = "<function name>#<base64 md5, 24 chars>", `status` = "COMPLETED", `expiration` (epoch s, 10 digits: 6 B),
 * `in_progress_expiration` (epoch ms, 13 digits: 8 B, left in place by the UpdateItem), `data` (the result).
 */
export function idempotencyItemBytes(functionName: string, resultBytes: number): number {
  const id = 2 + functionName.length + 1 + 24;
  const status = 6 + 'COMPLETED'.length;
  const expiration = 'expiration'.length + 6;
  const inProgress = 'in_progress_expiration'.length + 8;
  const data = 4 + resultBytes;
  return id + status + expiration + inProgress + data;
}

export function validateWorkload(w: Workload): void {
  const check = (name: string, v: number, min: number) => {
    if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number ≥ ${min} (got ${v})`);
  };
  check('jobs per day', w.jobsPerDay, 0);
  check('events per day', w.eventsPerDay, 0);
  check('average size (KB)', w.avgSizeKb, Number.MIN_VALUE);
  check('peak factor', w.peakFactor, 1);
  if (w.avgDurationMs !== undefined) check('average duration (ms)', w.avgDurationMs, 1);
  check('producer batch', w.producerBatch, 1);
  if (w.producerBatch > SQS_MAX_BATCH_ENTRIES || !Number.isInteger(w.producerBatch))
    throw new Error(`producer batch must be a whole number from 1 to ${SQS_MAX_BATCH_ENTRIES} (got ${w.producerBatch})`);
  const shares = Object.entries(w.eventMix ?? {});
  if (!shares.length || shares.some(([, v]) => !Number.isFinite(v) || v < 0) || !(shares.reduce((n, [, v]) => n + v, 0) > 0))
    throw new Error('event mix must give each type a share ≥ 0, adding up to more than 0');
  check('log bytes per invocation', w.logBytesPerInvocation, 0);
  check('compression ratio', w.compressionRatio, Number.MIN_VALUE);
  check('archive months', w.archiveMonths, 0);
  check('custom metrics', w.customMetrics, 0);
  check('idempotency result bytes', w.idempotencyResultBytes, 0);
  if (w.consumers !== undefined) check('consumers', w.consumers, 0);
}

/** Derived rates, shared by cost and capacity. */
function rates(w: Workload) {
  const bytes = w.avgSizeKb * KB;
  const eventsPerSecond = w.eventsPerDay / 86_400;
  const jobsPerSecond = w.jobsPerDay / 86_400;
  return {
    bytes,
    eventsPerMonth: w.eventsPerDay * DAYS_PER_MONTH,
    jobsPerMonth: w.jobsPerDay * DAYS_PER_MONTH,
    eventsPerSecond,
    jobsPerSecond,
    peakEventsPerSecond: eventsPerSecond * w.peakFactor,
    peakJobsPerSecond: jobsPerSecond * w.peakFactor,
    peakWriteMibps: (eventsPerSecond * w.peakFactor * bytes) / MIB,
  };
}

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
  return Math.max(4, Math.ceil(2 * Math.max(r.peakWriteMibps / SHARD_WRITE_MIBPS, r.peakEventsPerSecond / SHARD_WRITE_RPS)));
}

/** Shards a provisioned stream needs for the peak: writes, records, and the shared readers' 2 MB/s. */
export function provisionedShardsNeeded(s: AssemblySettings, w: Workload): number {
  const r = rates(w);
  const sharedReaders = effectiveConsumers(s, w).filter((c) => !c.efo).length + (s.archive ? 1 : 0);
  return Math.max(
    1,
    Math.ceil(r.peakWriteMibps / SHARD_WRITE_MIBPS),
    Math.ceil(r.peakEventsPerSecond / SHARD_WRITE_RPS),
    Math.ceil((sharedReaders * r.peakWriteMibps) / SHARD_READ_MIBPS),
  );
}

export interface KinesisScenario {
  mode: 'PROVISIONED' | 'ON_DEMAND';
  shards: number;
  /** which consumers read with enhanced fan-out */
  efo: boolean[];
}

/** Kinesis line items for a mode / shard count / EFO choice (used for the estimate and the comparisons). */
export function kinesisLines(s: AssemblySettings, w: Workload, p: PriceTable, sc: KinesisScenario): LineItem[] {
  if (!s.stream) return [];
  const r = rates(w);
  const k = p.kinesis;
  const out: LineItem[] = [];
  const efoReaders = sc.efo.filter(Boolean).length;
  const sharedReaders = sc.efo.length - efoReaders + (s.archive ? 1 : 0);
  const rawGb = (r.eventsPerMonth * r.bytes) / GB;
  const storedGbPerDay = (w.eventsPerDay * r.bytes) / GB;
  const h = s.stream.retentionHours;
  const extendedDays = (Math.min(h, 168) - Math.min(h, 24)) / 24;
  const longTermDays = Math.max(0, h - 168) / 24;

  if (sc.mode === 'PROVISIONED') {
    out.push(line('Kinesis', `${sc.shards} provisioned shards`, sc.shards * HOURS_PER_MONTH, k.shardHour.per, k.shardHour.usd));
    out.push(
      line(
        'Kinesis',
        `PUT payload units (${putPayloadUnits(r.bytes)} per record)`,
        (r.eventsPerMonth * putPayloadUnits(r.bytes)) / 1e6,
        k.putPayloadUnitsPerMillion.per,
        k.putPayloadUnitsPerMillion.usd,
      ),
    );
    if (extendedDays > 0)
      out.push(
        line('Kinesis', `extended retention (${h} h)`, sc.shards * HOURS_PER_MONTH, k.extendedRetentionShardHour.per, k.extendedRetentionShardHour.usd),
      );
    if (efoReaders > 0) {
      out.push(
        line('Kinesis', `enhanced fan-out: ${efoReaders} consumer(s) × ${sc.shards} shards`, efoReaders * sc.shards * HOURS_PER_MONTH, k.efoConsumerShardHour.per, k.efoConsumerShardHour.usd),
      );
      out.push(line('Kinesis', 'enhanced fan-out reads', efoReaders * rawGb, k.efoRetrievalGb.per, k.efoRetrievalGb.usd));
    }
  } else {
    const billedGb = (r.eventsPerMonth * onDemandBilledBytes(r.bytes)) / GB;
    out.push(line('Kinesis', 'on-demand stream', HOURS_PER_MONTH, k.onDemandStreamHour.per, k.onDemandStreamHour.usd));
    out.push(line('Kinesis', 'on-demand writes (1 KB rounding)', billedGb, k.onDemandIngestGb.per, k.onDemandIngestGb.usd));
    if (sharedReaders > 0)
      out.push(
        line('Kinesis', `on-demand shared reads (${sharedReaders} readers incl. Firehose)`, sharedReaders * billedGb, k.onDemandRetrievalGb.per, k.onDemandRetrievalGb.usd),
      );
    if (efoReaders > 0)
      out.push(line('Kinesis', `on-demand enhanced fan-out reads (${efoReaders})`, efoReaders * billedGb, k.onDemandEfoRetrievalGb.per, k.onDemandEfoRetrievalGb.usd));
    if (extendedDays > 0)
      out.push(
        line('Kinesis', `extended retention (${h} h)`, storedGbPerDay * extendedDays, k.onDemandExtendedRetentionGbMonth.per, k.onDemandExtendedRetentionGbMonth.usd),
      );
  }
  if (longTermDays > 0)
    out.push(line('Kinesis', `long-term retention (${h} h)`, storedGbPerDay * longTermDays, k.longTermRetentionGbMonth.per, k.longTermRetentionGbMonth.usd));
  return out;
}

const sum = (lines: LineItem[]) => lines.reduce((t, l) => t + l.usd, 0);

/** Average records per invocation of a Kinesis consumer that `eventsPerSecond` reach (after its filter; see the header). */
export function kinesisAvgBatch(c: KinesisConsumerSettings, eventsPerSecond: number, shards: number): number {
  const perPoll = (eventsPerSecond / Math.max(1, shards)) * Math.max(1, c.batchingWindowSeconds);
  return clamp(perPoll / c.parallelizationFactor, 1, c.batchSize);
}
/** Average messages per invocation of an SQS worker (see the header). */
export function sqsAvgBatch(wk: WorkerSettings, jobsPerSecond: number): number {
  const perPoll = (jobsPerSecond * Math.max(1, wk.batchingWindowSeconds)) / SQS_MIN_POLLERS;
  return clamp(perPoll, 1, wk.batchSize);
}

/** A function's invocation time as fixed + perRecord × batch (see the header). */
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
    return { fixedMs: ASSUMED_DURATION_MS, perRecordMs: 0, source: 'assumed', basis: m ? `assumed: ${name} not in measured.json` : 'assumed: no measured durations' };
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

const ms = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : Number(x.toPrecision(3)).toString());
const whole = (n: number) => Math.ceil(n - 1e-9).toLocaleString('en-US');
const about = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : Number(n.toPrecision(3)).toString());

function lambdaLines(fn: FunctionSettings, invocations: number, batch: number, d: DurationModel, p: PriceTable, what: string): LineItem[] {
  const durationMs = invocationMs(d, batch);
  const gbSeconds = invocations * (durationMs / 1000) * (fn.memoryMb / 1024);
  const gbs = fn.architecture === 'arm64' ? p.lambda.gbSecondArm64 : p.lambda.gbSecondX86;
  const how = d.source === 'measured' ? `${d.basis}: ${ms(d.fixedMs)} + ${ms(d.perRecordMs)} ms × ${batch.toFixed(1)} records` : d.basis;
  return [
    line('Lambda', `${fn.name}: invocations (${what})`, invocations / 1e6, p.lambda.requestsPerMillion.per, p.lambda.requestsPerMillion.usd),
    line('Lambda', `${fn.name}: ${fn.memoryMb} MB ${fn.architecture} × ${ms(durationMs)} ms per invocation (${how})`, gbSeconds, gbs.per, gbs.usd),
  ];
}

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

/** Where the workload's jobs come from and how they are sent (see the header). */
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
export function entriesPerRequest(wanted: number, bytes: number, maxBatchBytes = SQS_DEFAULT_MAX_BYTES): number {
  const cap = Math.max(1, Math.min(SQS_MAX_BATCH_ENTRIES, Math.floor(maxBatchBytes / bytes)));
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
        return { ...f, expirySeconds: f.fn.idempotency!.expirySeconds, itemBytes, wruPerRecord: IDEMPOTENCY_WRITES_PER_RECORD * dynamoWriteUnits(itemBytes) };
      }),
  }));
}

/** DynamoDB line items of the idempotency tables: writes (or provisioned capacity), storage, PITR. */
function dynamoLines(s: AssemblySettings, w: Workload, p: PriceTable, notes: string[]): LineItem[] {
  const d = p.dynamodb;
  const out: LineItem[] = [];
  for (const { table, functions } of idempotencyLoads(s, w)) {
    const t = table.logicalId;
    if (table.billingMode === 'PROVISIONED') {
      const wcu = table.writeCapacityUnits ?? 0;
      out.push(line('DynamoDB', `${t}: ${wcu} provisioned WCU`, wcu * HOURS_PER_MONTH, d.provisionedWcuHour.per, d.provisionedWcuHour.usd));
      notes.push(`${t}: provisioned table; its ${table.readCapacityUnits ?? 0} RCU are not costed (no RCU price in the table)`);
    } else {
      for (const f of functions) {
        const wru = f.recordsPerSecond * SECONDS_PER_MONTH * f.wruPerRecord;
        out.push(
          line('DynamoDB', `${f.fn.name}: idempotency writes (claim + complete, ${f.wruPerRecord} WRU per record)`, wru / 1e6, d.onDemandWriteUnitsPerMillion.per, d.onDemandWriteUnitsPerMillion.usd),
        );
      }
    }
    // Items held at steady state: records per second × how long each lives (with TTL), else everything written in the horizon.
    const horizonSeconds = w.archiveMonths * SECONDS_PER_MONTH;
    const storedBytes = functions.reduce(
      (n, f) => n + f.recordsPerSecond * (table.ttlEnabled ? f.expirySeconds : horizonSeconds) * (f.itemBytes + DDB_ITEM_OVERHEAD_BYTES),
      0,
    );
    if (!table.ttlEnabled) notes.push(`${t}: no TTL, records are never deleted; storage costed after ${w.archiveMonths} months`);
    else notes.push(`${t}: TTL deletes expired records free of charge, typically within a few days of expiry; that lag is not costed`);
    const days = functions.length ? `${Math.round(functions[0].expirySeconds / 86_400)} days` : 'no records';
    const span = table.ttlEnabled ? days : `${w.archiveMonths} months, no TTL`;
    out.push(line('DynamoDB', `${t}: storage (${span} of records, ~${functions.map((f) => f.itemBytes).join('/')} B + 100 B each)`, storedBytes / GB, d.storageGbMonth.per, d.storageGbMonth.usd));
    if (table.pointInTimeRecovery) out.push(line('DynamoDB', `${t}: point-in-time recovery`, storedBytes / GB, d.pitrGbMonth.per, d.pitrGbMonth.usd));
    if (table.globalSecondaryIndexes > 0) notes.push(`${t}: ${table.globalSecondaryIndexes} global secondary index(es) not costed (each write is written again per index)`);
    if (table.streamEnabled) notes.push(`${t}: DynamoDB Streams enabled; stream reads not costed`);
    if (table.kms) notes.push(`${t}: encrypted with a KMS key; KMS requests not costed`);
    if (new Set(functions.map((f) => f.expirySeconds)).size > 1) notes.push(`${t}: functions keep records for different expiries; storage uses each one's`);
  }
  if (s.tables.length) {
    notes.push(
      `idempotency: a duplicate record costs one failed conditional PutItem (${dynamoWriteUnits(idempotencyItemBytes('x', 0))} WRU, $${p.dynamodb.onDemandWriteUnitsPerMillion.usd} per million) and no read; a failed record costs a DeleteItem (1 WRU) before its retry; neither is modelled`,
    );
    const writers = s.tables.flatMap((t) => t.idempotentFunctions);
    const without = [...s.workers.map((wk) => wk.fn), ...effectiveConsumers(s, w).map((c) => c.fn)].filter((fn) => !fn.idempotency).map((fn) => fn.name);
    notes.push(
      `idempotency: records are kept by ${writers.join(', ') || 'no function'} (IDEMPOTENCY_TABLE_NAME in the environment)` +
        (without.length ? `; ${without.join(', ')} keep${without.length === 1 ? 's' : ''} none and write nothing` : '') +
        '; a consumer writes only for the events it handles',
    );
  }
  return out;
}

export function estimateMonthlyCost(s: AssemblySettings, w: Workload, p: PriceTable, scenario?: Partial<KinesisScenario>): CostEstimate {
  validateWorkload(w);
  const r = rates(w);
  const notes: string[] = [];
  const consumers = effectiveConsumers(s, w);
  const mode = scenario?.mode ?? s.stream?.mode;
  const shards = scenario?.shards ?? assumedShards(s, w, mode);
  const lines: LineItem[] = [];

  if (s.stream && mode) lines.push(...kinesisLines(s, w, p, { mode, shards, efo: scenario?.efo ?? consumers.map((c) => c.efo) }));

  // Jobs: sent by the consumers (batched per invocation) and by outside producers; received by the worker(s).
  const plan = jobPlan(s, w, shards);
  const invocationsByFn: { fn: FunctionSettings; invocations: number }[] = [];
  const price = p.sqs.standardRequestsPerMillion;
  if (s.workers.length) {
    const perMonth = SECONDS_PER_MONTH;
    for (const f of plan.consumers.filter((x) => x.c.fn.enqueuesTo)) {
      const queue = s.queues.find((q) => q.logicalId === f.c.fn.enqueuesTo!.queueLogicalId);
      const perInvocation = f.invocationsPerSecond > 0 ? f.jobsPerSecond / f.invocationsPerSecond : 0;
      const entries = entriesPerRequest(perInvocation, r.bytes, queue?.maximumMessageSize);
      const units = sqsChunks(entries * r.bytes);
      lines.push(
        line(
          'SQS',
          `SendMessageBatch by ${f.c.fn.name} (jobs for ${describeShare(f.traffic.handledTypes, f.traffic.handledShare, w.eventMix)}: ~${perInvocation.toFixed(1)} per invocation, ~${entries.toFixed(1)} per request${units > 1 ? `, ${units} request units of 64 KB each` : ''})`,
          ((f.jobsPerSecond * perMonth) / entries) * units / 1e6,
          price.per,
          price.usd,
        ),
      );
    }
    if (plan.outsidePerSecond > 0) {
      const entries = entriesPerRequest(w.producerBatch, r.bytes, s.workers[0].queue?.maximumMessageSize);
      const units = sqsChunks(entries * r.bytes);
      const what =
        w.producerBatch === 1
          ? `SendMessage by producers outside the template (${units} request(s) per job)`
          : `SendMessageBatch by producers outside the template (~${entries.toFixed(1)} jobs per request${units > 1 ? `, ${units} request units each` : ''})`;
      lines.push(line('SQS', what, ((plan.outsidePerSecond * perMonth) / entries) * units / 1e6, price.per, price.usd));
    }
    const sources = plan.consumers.filter((f) => f.jobsPerSecond > 0);
    const perDay = (x: number) => Math.round(x * 86_400).toLocaleString('en-US');
    notes.push(
      `jobs: ${w.jobsPerDay.toLocaleString('en-US')}/day through the queue: ` +
        (sources.length ? `${sources.map((f) => `${f.c.fn.name} ${perDay(f.jobsPerSecond)}`).join(', ')} from consumers (${JOBS_PER_HANDLED_EVENT} per event handled, sent with SendMessageBatch per invocation)` : 'none from consumers') +
        `, ${plan.outsidePerSecond > 0 ? `${perDay(plan.outsidePerSecond)} from producers outside the template (${w.producerBatch === 1 ? 'SendMessage per job; --producer-batch 10 for producers built on enqueueJobs, which batches' : `${w.producerBatch} per SendMessageBatch`})` : 'none from outside producers'}`,
    );
    if (plan.scale < 1)
      notes.push(
        `jobs: one job per handled event would be ${perDay(plan.derivedPerSecond)}/day, more than the ${w.jobsPerDay.toLocaleString('en-US')} jobs/day given; the consumers' jobs are scaled down to it (${(plan.scale * 100).toFixed(0)} %)`,
      );
  }
  for (const wk of s.workers) {
    const batch = sqsAvgBatch(wk, r.jobsPerSecond);
    const receiveCalls = r.jobsPerMonth / batch;
    const receives = receiveCalls * sqsChunks(batch * r.bytes);
    const deletes = receiveCalls; // DeleteMessageBatch of the batch: receipt handles only, one request
    const idle = Math.max(0, (SQS_MIN_POLLERS * SECONDS_PER_MONTH) / SQS_LONG_POLL_SECONDS - receiveCalls);
    lines.push(line('SQS', `ReceiveMessage by Lambda (avg batch ${batch.toFixed(1)})`, receives / 1e6, price.per, price.usd));
    lines.push(line('SQS', 'DeleteMessageBatch by Lambda', deletes / 1e6, price.per, price.usd));
    lines.push(line('SQS', `empty long polls (${SQS_MIN_POLLERS} pollers, ${SQS_LONG_POLL_SECONDS} s wait)`, idle / 1e6, price.per, price.usd));
    lines.push(...lambdaLines(wk.fn, receiveCalls, batch, durationModel(w, 'worker', wk.fn.name), p, `batch ${batch.toFixed(1)}`));
    invocationsByFn.push({ fn: wk.fn, invocations: receiveCalls });
  }

  // Kinesis consumers' Lambda: invoked for the events their filter lets through
  for (const f of plan.consumers) {
    const invocations = f.invocationsPerSecond * SECONDS_PER_MONTH;
    const what = `${describeShare(f.traffic.deliveredTypes, f.traffic.deliveredShare, w.eventMix)}, batch ${f.batch.toFixed(1)}${f.c.efo ? ', EFO' : ''}`;
    lines.push(...lambdaLines(f.c.fn, invocations, f.batch, f.duration, p, what));
    invocationsByFn.push({ fn: f.c.fn, invocations });
    if (f.traffic.note) notes.push(f.traffic.note);
  }
  const assumed = [
    ...s.workers.map((wk) => ({ name: wk.fn.name, d: durationModel(w, 'worker', wk.fn.name) })),
    ...plan.consumers.map((f) => ({ name: f.c.fn.name, d: f.duration })),
  ].filter((x) => x.d.source === 'assumed');
  if (assumed.length)
    notes.push(
      (w.measured ? `no measured duration for ${assumed.map((x) => x.name).join(', ')}` : 'no measured durations (tools/cost/measured.json, written by `npm run bench` figure 7, is absent)') +
        `: assuming ${ASSUMED_DURATION_MS} ms per invocation whatever the batch, although each record adds its DynamoDB and SQS round trips; --avg-duration-ms sets another figure`,
    );

  // Firehose → S3 archive
  if (s.archive && s.stream) {
    const a = s.archive;
    const billedGb = (r.eventsPerMonth * firehoseBilledBytes(r.bytes)) / GB;
    lines.push(line('Firehose', 'ingest from the stream (5 KB rounding)', billedGb, p.firehose.ingestGbFromKinesis.per, p.firehose.ingestGbFromKinesis.usd));
    const rawBytes = r.eventsPerMonth * (r.bytes + 1); // NDJSON: a newline per record
    const flushes = Math.min(r.eventsPerMonth, Math.max(SECONDS_PER_MONTH / a.bufferIntervalSeconds, rawBytes / (a.bufferSizeMb * MIB)));
    lines.push(line('S3', `archive PUTs (buffer ${a.bufferIntervalSeconds} s / ${a.bufferSizeMb} MB)`, flushes / 1000, p.s3.putPer1000.per, p.s3.putPer1000.usd));
    const ratio = a.compression === 'UNCOMPRESSED' ? 1 : w.compressionRatio;
    lines.push(...archiveStorageLines(a, (rawBytes * ratio) / Math.max(1, flushes), flushes, w, p, notes));
    notes.push(`replaying one month of archive reads ~${Math.ceil(flushes).toLocaleString('en-US')} objects: $${((flushes / 1000) * p.s3.getPer1000.usd).toFixed(2)} of S3 GETs`);
  }

  lines.push(...dynamoLines(s, w, p, notes));

  // CloudWatch
  const cw = p.cloudwatch;
  if (s.alarmMetrics > 0) lines.push(line('CloudWatch', `${s.alarms} alarms (${s.alarmMetrics} alarm metrics)`, s.alarmMetrics, cw.alarmMonth.per, cw.alarmMonth.usd));
  if (s.esmMetrics > 0)
    lines.push(line('CloudWatch', `event source mapping metrics (EventCount, ${s.esmMetrics})`, s.esmMetrics, cw.customMetricMonth.per, cw.customMetricMonth.usd));
  if (s.compositeAlarms > 0) notes.push(`${s.compositeAlarms} composite alarm(s) not costed (no verified price in the table)`);
  if (s.dashboards > 0) lines.push(line('CloudWatch', `${s.dashboards} dashboard(s)`, s.dashboards, cw.dashboardMonth.per, cw.dashboardMonth.usd));
  let logGb = 0;
  let storedLogGb = 0;
  for (const { fn, invocations } of invocationsByFn) {
    const gb = (invocations * w.logBytesPerInvocation) / GB;
    logGb += gb;
    const months = fn.logRetentionDays !== undefined ? fn.logRetentionDays / DAYS_PER_MONTH : w.archiveMonths;
    if (fn.logRetentionDays === undefined) notes.push(`${fn.name}: no log retention found; logs costed as kept ${w.archiveMonths} months`);
    storedLogGb += gb * months;
  }
  if (logGb > 0) {
    lines.push(line('CloudWatch', `Lambda logs ingested (${w.logBytesPerInvocation} B per invocation)`, logGb, cw.logsIngestGb.per, cw.logsIngestGb.usd));
    lines.push(line('CloudWatch', 'Lambda logs stored (per function retention)', storedLogGb, cw.logsStorageGbMonth.per, cw.logsStorageGbMonth.usd));
  }
  if (w.customMetrics > 0) lines.push(line('CloudWatch', 'custom metrics (EMF)', w.customMetrics, cw.customMetricMonth.per, cw.customMetricMonth.usd));

  if (w.consumers !== undefined && w.consumers !== s.consumers.length)
    notes.push(`what-if: ${w.consumers} Kinesis consumers (the template maps ${s.consumers.length}); extra ones copy the last one's settings`);
  if (mode === 'ON_DEMAND') notes.push(`on-demand stream: ${shards} shards assumed (4, or twice the peak's need)`);

  const byService: Record<string, number> = {};
  for (const l of lines) byService[l.service] = (byService[l.service] ?? 0) + l.usd;
  return { lines, total: sum(lines), byService, kinesisMode: mode ?? 'none', shards, notes: [...s.notes, ...notes] };
}

/**
 * Archive storage after `archiveMonths` (or the expiration, if sooner), each month's objects in the storage
 * class their age puts them in under the bucket's lifecycle transitions; each object transitions once per
 * class (billed per 1,000); objects under 128 KB are not transitioned into IA / Glacier IR (S3's default).
 */
function archiveStorageLines(
  a: NonNullable<AssemblySettings['archive']>,
  objectBytes: number,
  objectsPerMonth: number,
  w: Workload,
  p: PriceTable,
  notes: string[],
): LineItem[] {
  const classes: Record<string, { price: { usd: number; per: string }; transition?: { usd: number; per: string }; minBytes: number; label: string }> = {
    STANDARD: { price: p.s3.standardGbMonth, minBytes: 0, label: 'Standard' },
    STANDARD_IA: { price: p.s3.standardIaGbMonth, transition: p.s3.transitionIaPer1000, minBytes: 128 * KB, label: 'Standard-IA' },
    GLACIER_IR: { price: p.s3.glacierIrGbMonth, transition: p.s3.transitionGlacierIrPer1000, minBytes: 128 * KB, label: 'Glacier IR' },
  };
  const horizonDays = Math.min(a.expirationDays ?? Infinity, w.archiveMonths * DAYS_PER_MONTH);
  // Since September 2024 lifecycle rules skip objects under 128 KB by default (no ObjectSizeGreaterThan in the rule).
  const small = a.transitions.filter((t) => t.days < horizonDays && objectBytes < (classes[t.storageClass]?.minBytes ?? 0));
  if (small.length)
    notes.push(
      `archive objects average ${(objectBytes / KB).toFixed(1)} KB, under the 128 KB S3 lifecycle default minimum: the transition(s) to ${small.map((t) => t.storageClass).join(', ')} do not apply and they stay in their class`,
    );
  const stages = [{ days: 0, storageClass: 'STANDARD' }, ...a.transitions.filter((t) => t.days < horizonDays && !small.includes(t))];
  const out: LineItem[] = [];
  const compression = a.compression === 'UNCOMPRESSED' ? '' : `, ${a.compression} ×${w.compressionRatio}`;
  stages.forEach((st, i) => {
    let cls = classes[st.storageClass];
    if (!cls) {
      notes.push(`archive transition to ${st.storageClass} priced as Standard (class not in the price table)`);
      cls = classes.STANDARD;
    }
    const until = i + 1 < stages.length ? stages[i + 1].days : horizonDays;
    const monthsInClass = (until - st.days) / DAYS_PER_MONTH;
    const gb = (objectsPerMonth * objectBytes * monthsInClass) / GB;
    const span = `${Math.round(st.days)}–${Number.isFinite(until) ? Math.round(until) : '∞'} days`;
    out.push(line('S3', `archive in ${cls.label}, ${span}${compression}`, gb, cls.price.per, cls.price.usd));
    if (cls.transition) out.push(line('S3', `archive transitions to ${cls.label}`, objectsPerMonth / 1000, cls.transition.per, cls.transition.usd));
  });
  return out;
}

export interface HeadroomRow {
  check: string;
  demand: number;
  limit: number;
  unit: string;
  /** demand ÷ limit */
  use: number;
  status: 'ok' | 'tight' | 'over';
  /** for a row that is over: what would keep up (short, shown with the status) */
  remedy?: string;
  /** for a row that is over: why, and what it costs to fix or to live with (a sentence under the table) */
  explanation?: string;
}

const row = (check: string, demand: number, limit: number, unit: string): HeadroomRow => {
  const use = limit > 0 ? demand / limit : demand > 0 ? Infinity : 0;
  return { check, demand, limit, unit, use, status: use > 1 ? 'over' : use >= 0.8 ? 'tight' : 'ok' };
};

/** Headroom against the service limits at the peak; a row that is over says what would keep up or why it may. */
export function capacity(s: AssemblySettings, w: Workload, p: PriceTable = PRICES): HeadroomRow[] {
  validateWorkload(w);
  const r = rates(w);
  const rows: HeadroomRow[] = [];
  const consumers = effectiveConsumers(s, w);
  const shards = assumedShards(s, w);

  if (s.stream) {
    const writePerShard = r.peakWriteMibps / shards;
    const recordsPerShard = r.peakEventsPerSecond / shards;
    const shared = consumers.filter((c) => !c.efo).length + (s.archive ? 1 : 0);
    const efo = consumers.filter((c) => c.efo).length;
    const needed = provisionedShardsNeeded(s, w);
    const reshard = (x: HeadroomRow, why: string) => {
      if (x.status !== 'over') return x;
      x.remedy = `needs ${needed} shards`;
      x.explanation = `${why} at the ${w.peakFactor}× peak: ${shards} shards are too few; ${needed} provisioned shards carry the peak's writes and the shared readers (or an on-demand stream scales itself).`;
      return x;
    };
    rows.push(reshard(row(`shard write, MB/s per shard (${shards} shards)`, writePerShard, SHARD_WRITE_MIBPS, 'MB/s'), `the stream takes ${about(r.peakWriteMibps)} MB/s`));
    rows.push(reshard(row('shard write, records/s per shard', recordsPerShard, SHARD_WRITE_RPS, 'records/s'), `the stream takes ${about(r.peakEventsPerSecond)} records/s`));
    rows.push(
      reshard(
        row(`shared read, MB/s per shard (${shared} polling readers incl. Firehose)`, shared * writePerShard, SHARD_READ_MIBPS, 'MB/s'),
        `${shared} polling readers read ${about(shared * r.peakWriteMibps)} MB/s in all`,
      ),
    );
    const calls = row('GetRecords calls/s per shard (≈1 per polling reader)', shared, SHARD_GETRECORDS_TPS, 'calls/s');
    if (calls.status === 'over') {
      calls.remedy = 'needs enhanced fan-out';
      calls.explanation = `${shared} polling readers share 5 GetRecords calls/s per shard whatever the shard count: move consumers to enhanced fan-out until at most ${SHARD_GETRECORDS_TPS} poll (the verdict prices it).`;
    }
    rows.push(calls);
    if (efo > 0) rows.push(row(`EFO read, MB/s per shard per consumer (${efo} EFO)`, writePerShard, SHARD_READ_MIBPS, 'MB/s'));
    if (r.bytes > MIB) rows.push(row('record size', r.bytes / KB, 1024, 'KB'));
    for (const c of consumers) {
      // A shard slot processes one batch at a time; backlogged, batches are full.
      const traffic = consumerTraffic(c, w.eventMix);
      const d = durationModel(w, 'consumer', c.copyOf ?? c.fn.name);
      const fullBatchS = invocationMs(d, c.batchSize) / 1000;
      const demand = recordsPerShard * traffic.deliveredShare;
      const perShard = (c.parallelizationFactor * c.batchSize) / fullBatchS;
      const x = row(
        `${c.fn.name}: records/s per shard at peak (${describeShare(traffic.deliveredTypes, traffic.deliveredShare, w.eventMix)}) vs processed at PF ${c.parallelizationFactor} (batch ${c.batchSize} in ${ms(fullBatchS * 1000)} ms, ${d.source})`,
        demand,
        perShard,
        'records/s',
      );
      if (x.status === 'over') {
        const pf = Math.ceil((demand * fullBatchS) / c.batchSize - 1e-9);
        const atMax = (MAX_PARALLELIZATION_FACTOR * c.batchSize) / fullBatchS;
        x.remedy = pf <= MAX_PARALLELIZATION_FACTOR ? `needs PF ${pf}` : `needs more shards (PF ${MAX_PARALLELIZATION_FACTOR}: ${about(atMax)}/s)`;
        x.explanation =
          `${c.fn.name}: at the ${w.peakFactor}× peak each shard brings it ${about(demand)} records/s and one batch of ${c.batchSize} takes ${ms(fullBatchS * 1000)} ms (${d.basis}), ` +
          (pf <= MAX_PARALLELIZATION_FACTOR
            ? `so PF ${c.parallelizationFactor} falls behind and its iterator age grows; parallelization factor ${pf} keeps up (order then holds per partition key, not per shard).`
            : `more than even PF ${MAX_PARALLELIZATION_FACTOR} processes (${about(atMax)}/s per shard): it needs more shards, or a larger batch if the time per record allows.`);
      }
      rows.push(x);
    }
  }

  let workerPeakConcurrency = 0;
  let workerCap = 0;
  for (const wk of s.workers) {
    const d = durationModel(w, 'worker', wk.fn.name);
    const batch = sqsAvgBatch(wk, r.peakJobsPerSecond);
    const durationS = invocationMs(d, batch) / 1000;
    const needed = (r.peakJobsPerSecond / batch) * durationS; // Little's law
    const cap = Math.min(wk.maximumConcurrency ?? SQS_DEFAULT_MAX_CONCURRENCY, wk.fn.reservedConcurrency ?? Infinity, ACCOUNT_CONCURRENCY);
    workerPeakConcurrency += Math.min(needed, cap); // beyond its cap, jobs wait in the queue instead
    workerCap += cap;
    const x = row(
      `${wk.fn.name}: concurrent executions at peak (batch ${batch.toFixed(1)} in ${ms(durationS * 1000)} ms, ${d.source}; cap ${wk.maximumConcurrency !== undefined ? 'MaximumConcurrency' : 'default'})`,
      needed,
      cap,
      'executions',
    );
    if (x.status === 'over') {
      const avgBatch = sqsAvgBatch(wk, r.jobsPerSecond);
      const avgNeeded = (r.jobsPerSecond / avgBatch) * (invocationMs(d, avgBatch) / 1000);
      const served = (cap * batch) / durationS;
      x.remedy = `needs MaximumConcurrency ${whole(needed)}`;
      x.explanation =
        `${wk.fn.name}: at the ${w.peakFactor}× peak a batch of ${batch.toFixed(1)} jobs takes ${ms(durationS * 1000)} ms (${d.basis}), so ${cap} concurrent executions process ~${about(served)} jobs/s of the ${about(r.peakJobsPerSecond)} arriving; ` +
        (avgNeeded < cap
          ? `the queue holds the other ~${about(r.peakJobsPerSecond - served)}/s and drains them after the peak (the average needs ${about(avgNeeded)} executions), delaying jobs but losing none. `
          : `the average alone needs ${about(avgNeeded)} executions, so the backlog never drains. `) +
        `MaximumConcurrency ${whole(needed)} keeps up with the peak (mind the downstream APIs the jobs call).`;
    }
    rows.push(x);
    if (wk.queue) rows.push(row(`${wk.fn.name}: message size vs queue MaximumMessageSize`, r.bytes / KB, wk.queue.maximumMessageSize / KB, 'KB'));
  }
  for (const { table, functions } of idempotencyLoads(s, w)) {
    const peakWru = functions.reduce((n, f) => n + f.recordsPerSecond * w.peakFactor * f.wruPerRecord, 0);
    const writers = functions.map((f) => f.fn.name).join(', ') || 'no function';
    if (table.billingMode === 'PROVISIONED') {
      rows.push(row(`${table.logicalId}: idempotency WRU/s at peak (${writers}) vs provisioned WCU`, peakWru, table.writeCapacityUnits ?? 0, 'WRU/s'));
    } else {
      const quota = row(`${table.logicalId}: idempotency WRU/s at peak (${writers}) vs on-demand table quota (default)`, peakWru, DDB_TABLE_WRU_QUOTA, 'WRU/s');
      if (quota.status === 'over') {
        quota.remedy = 'raise the table quota';
        quota.explanation = `${table.logicalId}: ${about(peakWru)} WRU/s at the peak is over the default on-demand table quota of ${DDB_TABLE_WRU_QUOTA.toLocaleString('en-US')} write units/s; raise it in Service Quotas before the traffic grows there.`;
      }
      rows.push(quota);
      const fresh = row(`${table.logicalId}: idempotency WRU/s at peak vs what a new on-demand table serves at first`, peakWru, DDB_NEW_TABLE_WRU, 'WRU/s');
      if (fresh.status === 'over') {
        const wcu = Math.ceil(peakWru);
        fresh.remedy = 'new table only: pre-warm';
        fresh.explanation =
          `${table.logicalId}: a new on-demand table serves ${DDB_NEW_TABLE_WRU.toLocaleString('en-US')} write units/s at first; an established one serves up to twice its previous peak at once and adapts within about 30 minutes, ` +
          `so ${wcu.toLocaleString('en-US')} WRU/s throttles only a table that goes live straight into this peak. Before such a launch, pre-warm it: set its warm throughput to ${wcu.toLocaleString('en-US')} write units/s ` +
          `(a one-time charge on the DynamoDB pricing page; not in the price table here), or provision ${wcu.toLocaleString('en-US')} WCU for an hour and switch back to on-demand ` +
          `(~$${(wcu * p.dynamodb.provisionedWcuHour.usd).toFixed(2)} once at $${p.dynamodb.provisionedWcuHour.usd} per WCU-hour).`;
      }
      rows.push(fresh);
    }
  }

  const kinesisSlots = consumers.reduce((n, c) => n + shards * c.parallelizationFactor, 0);
  const account = (x: HeadroomRow) => {
    if (x.status !== 'over') return x;
    x.remedy = 'raise the account quota';
    x.explanation = `${x.check}: ${about(x.demand)} executions is more than the default ${ACCOUNT_CONCURRENCY.toLocaleString('en-US')} per account and region (shared with every other function there); request more in Service Quotas, or cap the worker lower.`;
    return x;
  };
  rows.push(account(row(`Lambda concurrency at peak (Kinesis ${kinesisSlots} slots + worker)`, kinesisSlots + workerPeakConcurrency, ACCOUNT_CONCURRENCY, 'executions')));
  rows.push(account(row('Lambda concurrency worst case (Kinesis slots + worker cap)', kinesisSlots + workerCap, ACCOUNT_CONCURRENCY, 'executions')));
  return rows;
}

export interface Verdict {
  onDemandUsd: number;
  provisionedUsd: number;
  provisionedShards: number;
  /** smallest peak ÷ average at which on-demand is cheaper; undefined when not within 1,000× */
  onDemandBreakEvenPeakFactor?: number;
  sharedUsd: number;
  allEfoUsd: number;
  pollingReaders: number;
  /** idempotency tables: on-demand write cost vs WCUs provisioned for the peak (writes only; storage is the same) */
  dynamo?: DynamoVerdict;
  lines: string[];
}

export interface DynamoVerdict {
  onDemandUsd: number;
  provisionedUsd: number;
  provisionedWcu: number;
  /** peak ÷ average above which on-demand writes are cheaper than WCUs provisioned for the peak */
  breakEvenPeakFactor: number;
  line: string;
}

/** On-demand vs provisioned for the idempotency tables' writes (the only request they make per record). */
export function dynamoVerdict(s: AssemblySettings, w: Workload, p: PriceTable): DynamoVerdict | undefined {
  const loads = idempotencyLoads(s, w).filter((l) => l.functions.length > 0);
  if (!loads.length) return undefined;
  const d = p.dynamodb;
  const avgWru = loads.reduce((n, l) => n + l.functions.reduce((m, f) => m + f.recordsPerSecond * f.wruPerRecord, 0), 0);
  const onDemandUsd = ((avgWru * SECONDS_PER_MONTH) / 1e6) * d.onDemandWriteUnitsPerMillion.usd;
  const provisionedWcu = Math.max(1, Math.ceil(avgWru * w.peakFactor));
  const provisionedUsd = provisionedWcu * HOURS_PER_MONTH * d.provisionedWcuHour.usd;
  // One WCU used all month = SECONDS_PER_MONTH writes; on-demand is cheaper once the average uses less than this share of the peak.
  const breakEvenPeakFactor = ((SECONDS_PER_MONTH / 1e6) * d.onDemandWriteUnitsPerMillion.usd) / (HOURS_PER_MONTH * d.provisionedWcuHour.usd);
  const cheaper = onDemandUsd <= provisionedUsd ? 'on-demand is cheaper' : 'provisioned is cheaper on price alone';
  const money = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const line =
    `DynamoDB idempotency writes: on-demand ${money(onDemandUsd)}/month vs ${provisionedWcu.toLocaleString('en-US')} WCU provisioned for the ${w.peakFactor}× peak ${money(provisionedUsd)}/month → ${cheaper}; ` +
    `provisioned pays off only when the peak stays under ~${breakEvenPeakFactor.toFixed(1)}× the average and someone manages the capacity (a replay burst beyond it is throttled).`;
  return { onDemandUsd, provisionedUsd, provisionedWcu, breakEvenPeakFactor, line };
}

/** On-demand vs provisioned and shared vs enhanced fan-out, both computed, not guessed. */
export function verdict(s: AssemblySettings, w: Workload, p: PriceTable): Verdict {
  validateWorkload(w);
  const consumers = effectiveConsumers(s, w);
  const lines: string[] = [];
  const dynamo = dynamoVerdict(s, w, p);
  if (!s.stream)
    return {
      onDemandUsd: 0,
      provisionedUsd: 0,
      provisionedShards: 0,
      sharedUsd: 0,
      allEfoUsd: 0,
      pollingReaders: 0,
      dynamo,
      lines: ['no Kinesis stream in the template', ...(dynamo ? [dynamo.line] : [])],
    };

  const current = consumers.map((c) => c.efo);
  const kin = (sc: KinesisScenario) => sum(kinesisLines(s, w, p, sc));
  const odShards = assumedShards(s, w, 'ON_DEMAND');
  const needed = provisionedShardsNeeded(s, w);
  const onDemandUsd = kin({ mode: 'ON_DEMAND', shards: odShards, efo: current });
  const provisionedUsd = kin({ mode: 'PROVISIONED', shards: needed, efo: current });
  let breakEven: number | undefined;
  for (let f = 1; f <= 1000; f = f < 10 ? f + 0.5 : Math.round(f * 1.1)) {
    const wf = { ...w, peakFactor: f };
    if (kin({ mode: 'PROVISIONED', shards: provisionedShardsNeeded(s, wf), efo: current }) > onDemandUsd) {
      breakEven = f;
      break;
    }
  }
  const cheaper = onDemandUsd < provisionedUsd ? 'on-demand' : 'provisioned';
  lines.push(
    `Kinesis at this volume: provisioned with ${needed} shard(s) sized for the ${w.peakFactor}× peak $${provisionedUsd.toFixed(2)}/month vs on-demand $${onDemandUsd.toFixed(2)}/month → ${cheaper} is cheaper` +
      (s.stream.mode === 'PROVISIONED'
        ? ` (the template has ${s.stream.shardCount} shard(s)${(s.stream.shardCount ?? 1) < needed ? ', too few for the peak' : ''}).`
        : ' (the template is on-demand).'),
  );
  lines.push(
    breakEven !== undefined
      ? `On-demand pays off when the peak is more than ~${breakEven}× the average (spiky or unknown traffic), or when nobody will reshard; below that provisioned shards are cheaper.`
      : 'On-demand does not pay off on price at this volume even for a 1,000× peak; choose it only for unknown traffic or to avoid resharding.',
  );

  const shardsNow = assumedShards(s, w);
  const mode = s.stream.mode;
  const sharedUsd = kin({ mode, shards: shardsNow, efo: consumers.map(() => false) });
  const allEfoUsd = kin({ mode, shards: shardsNow, efo: consumers.map(() => true) });
  const pollingReaders = consumers.length + (s.archive ? 1 : 0);
  const r = rates(w);
  const sharedReadPerShard = (pollingReaders * r.peakWriteMibps) / shardsNow;
  const efoDelta = allEfoUsd - sharedUsd;
  if (pollingReaders > SHARD_GETRECORDS_TPS || sharedReadPerShard > SHARD_READ_MIBPS) {
    const moreShards =
      mode === 'PROVISIONED' && pollingReaders <= SHARD_GETRECORDS_TPS
        ? kin({ mode, shards: Math.max(needed, shardsNow), efo: current }) - kin({ mode, shards: shardsNow, efo: current })
        : undefined;
    lines.push(
      `Shared reads run out here: ${pollingReaders} polling readers (incl. Firehose) need ${sharedReadPerShard.toFixed(2)} MB/s and ${pollingReaders} GetRecords/s per shard against 2 MB/s and 5/s. ` +
        `Enhanced fan-out for all ${consumers.length} consumers adds $${efoDelta.toFixed(2)}/month` +
        (moreShards !== undefined
          ? `; resharding to ${Math.max(needed, shardsNow)} shards adds $${moreShards.toFixed(2)}/month → ${moreShards < efoDelta ? 'more shards are cheaper; EFO pays off only for read latency' : 'EFO pays off'}.`
          : ' → EFO pays off (more shards do not lift the 5 GetRecords/s each reader shares).'),
    );
  } else {
    lines.push(
      `Enhanced fan-out does not pay off on capacity here: ${pollingReaders} polling readers (incl. Firehose) use ${sharedReadPerShard.toFixed(2)} of 2 MB/s and ${pollingReaders} of 5 GetRecords/s per shard. EFO for all ${consumers.length} consumers would add $${efoDelta.toFixed(2)}/month; ` +
        'it pays off beyond ~2 polling readers per shard when read latency matters (a dedicated 2 MB/s push per consumer, ~70 ms instead of up to a second or more when readers contend for 5 calls/s), or once the shared 2 MB/s runs out.',
    );
  }
  if (dynamo) lines.push(dynamo.line);
  return { onDemandUsd, provisionedUsd, provisionedShards: needed, onDemandBreakEvenPeakFactor: breakEven, sharedUsd, allEfoUsd, pollingReaders, dynamo, lines };
}

/** The README's three worked examples (a shop where each order yields OrderPlaced + OrderShipped → 3 jobs). */
export const EXAMPLES: { name: string; story: string; workload: Pick<Workload, 'jobsPerDay' | 'eventsPerDay' | 'avgSizeKb'> }[] = [
  {
    name: 'small',
    story: '5,000 orders a day: 10,000 events (OrderPlaced + OrderShipped) and 15,000 jobs (2 e-mails + 1 payment per order), 2 KB each',
    workload: { eventsPerDay: 10_000, jobsPerDay: 15_000, avgSizeKb: 2 },
  },
  {
    name: 'medium',
    story: '500,000 orders a day: 1 M events and 1.5 M jobs, 2 KB each (~12 events/s on average, ~35/s at the 3× peak)',
    workload: { eventsPerDay: 1_000_000, jobsPerDay: 1_500_000, avgSizeKb: 2 },
  },
  {
    name: 'large',
    story: '25 M orders a day: 50 M events and 75 M jobs, 2 KB each (~580 events/s on average, ~1,740/s and 3.4 MB/s at the 3× peak)',
    workload: { eventsPerDay: 50_000_000, jobsPerDay: 75_000_000, avgSizeKb: 2 },
  },
];
