// Monthly cost of the synthesized template under a workload, and the assumptions of the whole model. Pure
// functions: the settings come from assembly.ts, the prices from prices.ts, the workload from the CLI
// (workload.ts); how it flows through the template is flow.ts, the larger priced lines line-items.ts, the
// headroom at the peak capacity.ts, the on-demand / fan-out choices verdict.ts, the limits limits.ts.
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
import type { AssemblySettings, FunctionSettings } from './assembly';
import { effectiveConsumers, assumedShards, durationModel, entriesPerRequest, jobPlan, sqsAvgBatch } from './flow';
import { ASSUMED_DURATION_MS, JOBS_PER_HANDLED_EVENT, LAMBDA_LIMITS } from './limits';
import { archiveStorageLines, dynamoLines, type KinesisScenario, kinesisLines, lambdaLines } from './line-items';
import { DAYS_PER_MONTH, SECONDS_PER_MONTH, type PriceTable } from './prices';
import { describeShare } from './traffic';
import { firehoseBilledBytes, GB, line, type LineItem, MIB, sqsChunks, sum } from './units';
import { rates, validateWorkload, type Workload } from './workload';

export interface CostEstimate {
  lines: LineItem[];
  total: number;
  byService: Record<string, number>;
  kinesisMode: 'PROVISIONED' | 'ON_DEMAND' | 'none';
  shards: number;
  notes: string[];
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
          (((f.jobsPerSecond * perMonth) / entries) * units) / 1e6,
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
      lines.push(line('SQS', what, (((plan.outsidePerSecond * perMonth) / entries) * units) / 1e6, price.per, price.usd));
    }
    const sources = plan.consumers.filter((f) => f.jobsPerSecond > 0);
    const perDay = (x: number) => Math.round(x * 86_400).toLocaleString('en-US');
    notes.push(
      `jobs: ${w.jobsPerDay.toLocaleString('en-US')}/day through the queue: ` +
        (sources.length
          ? `${sources.map((f) => `${f.c.fn.name} ${perDay(f.jobsPerSecond)}`).join(', ')} from consumers (${JOBS_PER_HANDLED_EVENT} per event handled, sent with SendMessageBatch per invocation)`
          : 'none from consumers') +
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
    const idle = Math.max(0, (LAMBDA_LIMITS.sqsMinPollers * SECONDS_PER_MONTH) / LAMBDA_LIMITS.sqsLongPollSeconds - receiveCalls);
    lines.push(line('SQS', `ReceiveMessage by Lambda (avg batch ${batch.toFixed(1)})`, receives / 1e6, price.per, price.usd));
    lines.push(line('SQS', 'DeleteMessageBatch by Lambda', deletes / 1e6, price.per, price.usd));
    lines.push(
      line(
        'SQS',
        `empty long polls (${LAMBDA_LIMITS.sqsMinPollers} pollers, ${LAMBDA_LIMITS.sqsLongPollSeconds} s wait)`,
        idle / 1e6,
        price.per,
        price.usd,
      ),
    );
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
      (w.measured
        ? `no measured duration for ${assumed.map((x) => x.name).join(', ')}`
        : 'no measured durations (tools/cost/measured.json, written by `npm run bench` figure 7, is absent)') +
        `: assuming ${ASSUMED_DURATION_MS} ms per invocation whatever the batch, although each record adds its DynamoDB and SQS round trips; --avg-duration-ms sets another figure`,
    );

  // Firehose → S3 archive
  if (s.archive && s.stream) {
    const a = s.archive;
    const billedGb = (r.eventsPerMonth * firehoseBilledBytes(r.bytes)) / GB;
    lines.push(
      line(
        'Firehose',
        'ingest from the stream (5 KB rounding)',
        billedGb,
        p.firehose.ingestGbFromKinesis.per,
        p.firehose.ingestGbFromKinesis.usd,
      ),
    );
    const rawBytes = r.eventsPerMonth * (r.bytes + 1); // NDJSON: a newline per record
    const flushes = Math.min(r.eventsPerMonth, Math.max(SECONDS_PER_MONTH / a.bufferIntervalSeconds, rawBytes / (a.bufferSizeMb * MIB)));
    lines.push(
      line(
        'S3',
        `archive PUTs (buffer ${a.bufferIntervalSeconds} s / ${a.bufferSizeMb} MB)`,
        flushes / 1000,
        p.s3.putPer1000.per,
        p.s3.putPer1000.usd,
      ),
    );
    const ratio = a.compression === 'UNCOMPRESSED' ? 1 : w.compressionRatio;
    lines.push(...archiveStorageLines(a, (rawBytes * ratio) / Math.max(1, flushes), flushes, w, p, notes));
    notes.push(
      `replaying one month of archive reads ~${Math.ceil(flushes).toLocaleString('en-US')} objects: $${((flushes / 1000) * p.s3.getPer1000.usd).toFixed(2)} of S3 GETs`,
    );
  }

  lines.push(...dynamoLines(s, w, p, notes));

  // CloudWatch
  const cw = p.cloudwatch;
  if (s.alarmMetrics > 0)
    lines.push(
      line('CloudWatch', `${s.alarms} alarms (${s.alarmMetrics} alarm metrics)`, s.alarmMetrics, cw.alarmMonth.per, cw.alarmMonth.usd),
    );
  if (s.esmMetrics > 0)
    lines.push(
      line(
        'CloudWatch',
        `event source mapping metrics (EventCount, ${s.esmMetrics})`,
        s.esmMetrics,
        cw.customMetricMonth.per,
        cw.customMetricMonth.usd,
      ),
    );
  if (s.compositeAlarms > 0) notes.push(`${s.compositeAlarms} composite alarm(s) not costed (no verified price in the table)`);
  if (s.dashboards > 0)
    lines.push(line('CloudWatch', `${s.dashboards} dashboard(s)`, s.dashboards, cw.dashboardMonth.per, cw.dashboardMonth.usd));
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
    lines.push(
      line(
        'CloudWatch',
        `Lambda logs ingested (${w.logBytesPerInvocation} B per invocation)`,
        logGb,
        cw.logsIngestGb.per,
        cw.logsIngestGb.usd,
      ),
    );
    lines.push(
      line('CloudWatch', 'Lambda logs stored (per function retention)', storedLogGb, cw.logsStorageGbMonth.per, cw.logsStorageGbMonth.usd),
    );
  }
  if (w.customMetrics > 0)
    lines.push(line('CloudWatch', 'custom metrics (EMF)', w.customMetrics, cw.customMetricMonth.per, cw.customMetricMonth.usd));

  if (w.consumers !== undefined && w.consumers !== s.consumers.length)
    notes.push(
      `what-if: ${w.consumers} Kinesis consumers (the template maps ${s.consumers.length}); extra ones copy the last one's settings`,
    );
  if (mode === 'ON_DEMAND') notes.push(`on-demand stream: ${shards} shards assumed (4, or twice the peak's need)`);

  const byService: Record<string, number> = {};
  for (const l of lines) byService[l.service] = (byService[l.service] ?? 0) + l.usd;
  return { lines, total: sum(lines), byService, kinesisMode: mode ?? 'none', shards, notes: [...s.notes, ...notes] };
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
