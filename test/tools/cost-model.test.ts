import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONSUMERS, filterPatternsFor } from '../../lambdas/consumers';
import { eventTypes } from '../../lambdas/shared/registry';
import { loadAssembly } from '../../local/assembly';
import { readAssembly, settingsFromStacks, type AssemblySettings } from '../../tools/cost/assembly';
import { loadMeasured, validateMeasured } from '../../tools/cost/measured';
import { capacity } from '../../tools/cost/capacity';
import { durationModel, entriesPerRequest, invocationMs } from '../../tools/cost/flow';
import { estimateMonthlyCost } from '../../tools/cost/model';
import { DAYS_PER_MONTH, PRICES } from '../../tools/cost/prices';
import { consumerTraffic, evenMix, filterPasses, parseEventMix } from '../../tools/cost/traffic';
import {
  dynamoWriteUnits,
  firehoseBilledBytes,
  idempotencyItemBytes,
  type LineItem,
  putPayloadUnits,
  sqsChunks,
} from '../../tools/cost/units';
import { verdict } from '../../tools/cost/verdict';
import { DEFAULT_ASSUMPTIONS, type Workload } from '../../tools/cost/workload';

/** The template as it was before the consumer manifest: no filters, idempotency records on every function. */
const FIXTURE = path.join(__dirname, '../fixtures/cost/assembly');
/** The same template as the manifest makes it: payments filtered to OrderPlaced, only the worker keeps records. */
const MANIFEST_FIXTURE = path.join(__dirname, '../fixtures/cost/assembly-manifest');
/** A stand-in for the bench's tools/cost/measured.json (round numbers: 2 ms and 1 ms per record, 20 ms per job; payments gets 50 of 100). */
const MEASURED = loadMeasured(path.join(__dirname, '../fixtures/cost/measured.json'), true)!;
const KB = 1024;
const GB = 1024 ** 3;

/** The fixtures' two event types, half each: the worked numbers below do not move when a type is registered. */
const FIXTURE_MIX = { OrderPlaced: 0.5, OrderShipped: 0.5 };
const workload = (w: Partial<Workload>): Workload => ({
  jobsPerDay: 15_000,
  eventsPerDay: 10_000,
  avgSizeKb: 2,
  ...DEFAULT_ASSUMPTIONS,
  eventMix: FIXTURE_MIX,
  ...w,
});
const find = (lines: LineItem[], service: LineItem['service'], what: RegExp) => {
  const l = lines.filter((x) => x.service === service && what.test(x.what));
  expect(l, `${service} ${what}`).toHaveLength(1);
  return l[0];
};
/** The fixture's stacks with a JSON-level edit, to model a fork. */
const forked = (edit: (json: string) => string): AssemblySettings =>
  settingsFromStacks(
    loadAssembly(FIXTURE).stacks.map((s) => ({ ...s, template: JSON.parse(edit(JSON.stringify(s.template))) })),
    'fork',
  );

describe('assembly reader', () => {
  const s = readAssembly(FIXTURE);

  it('reads stream, mappings, worker, Firehose and alarms by resource type across stacks', () => {
    expect(s.stacks).toEqual(['QueueAndStream-Dev-Stateful', 'QueueAndStream-Dev-Compute']);
    expect(s.stream).toMatchObject({ mode: 'PROVISIONED', shardCount: 2, retentionHours: 24 });
    expect(s.consumers.map((c) => [c.fn.name, c.batchSize, c.parallelizationFactor, c.efo])).toEqual([
      ['notifications', 100, 1, false],
      ['payments', 100, 1, false],
      ['analytics', 500, 2, false],
    ]);
    expect(s.consumers[0].fn).toMatchObject({ memoryMb: 256, architecture: 'arm64', timeoutSeconds: 30, logRetentionDays: 7 });
    expect(s.workers).toHaveLength(1);
    expect(s.workers[0]).toMatchObject({ batchSize: 10, maximumConcurrency: 50, fn: { name: 'job-worker', memoryMb: 512 } });
    expect(s.workers[0].queue).toMatchObject({ visibilityTimeoutSeconds: 180, maxReceiveCount: 3 });
    expect(s.archive).toEqual({
      logicalId: 'ArchiveDeliveryStream5E6F7A8B',
      bufferIntervalSeconds: 60,
      bufferSizeMb: 64,
      compression: 'GZIP',
      expirationDays: 365,
      transitions: [],
    });
    expect([s.alarms, s.alarmMetrics, s.dashboards]).toEqual([5, 6, 1]);
  });

  it('does not cost functions without an event source mapping (CDK custom resource handlers)', () => {
    const names = [...s.consumers, ...s.workers].map((c) => c.fn.logicalId);
    expect(names).not.toContain('CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F');
  });

  it("follows a fork's changes, not logical ids: renamed resources, more shards, an EFO consumer", () => {
    const fork = forked((j) => {
      const t = JSON.parse(j.replaceAll('EventStream5A3B6E2F', 'MyStream').replaceAll('AnalyticsFn4D', 'Reporting'));
      if (t.Resources.MyStream) t.Resources.MyStream.Properties.ShardCount = 4;
      if (t.Resources.ReportingKinesisEventSource) {
        t.Resources.EfoConsumer = { Type: 'AWS::Kinesis::StreamConsumer', Properties: { ConsumerName: 'reporting', StreamARN: 'x' } };
        t.Resources.ReportingKinesisEventSource.Properties.EventSourceArn = { 'Fn::GetAtt': ['EfoConsumer', 'ConsumerARN'] };
      }
      return JSON.stringify(t);
    });
    expect(fork.stream).toMatchObject({ logicalId: 'MyStream', shardCount: 4 });
    expect(fork.consumers.map((c) => [c.fn.name, c.efo])).toEqual([
      ['notifications', false],
      ['payments', false],
      ['analytics', true],
    ]);
  });

  it('resolves Fn::GetStackOutput cross-stack references as well as Fn::ImportValue', () => {
    const fork = forked((j) =>
      j.replace(
        /\{"Fn::ImportValue":"QueueAndStream-Dev-Stateful:ExportsOutput(\w+)"\}/g,
        '{"Fn::GetStackOutput":{"StackName":"QueueAndStream-Dev-Stateful","Region":"us-east-1","OutputName":"ExportsOutput$1"}}',
      ),
    );
    expect(fork.consumers).toHaveLength(3);
    expect(fork.workers[0].queue?.maxReceiveCount).toBe(3);
  });

  it('reads an on-demand stream with 7-day retention', () => {
    const fork = forked((j) =>
      j.replace(
        '"ShardCount":2,"RetentionPeriodHours":24,"StreamModeDetails":{"StreamMode":"PROVISIONED"}',
        '"RetentionPeriodHours":168,"StreamModeDetails":{"StreamMode":"ON_DEMAND"}',
      ),
    );
    expect(fork.stream).toEqual({ logicalId: 'EventStream5A3B6E2F', mode: 'ON_DEMAND', shardCount: undefined, retentionHours: 168 });
  });
});

describe('monthly cost', () => {
  const s = readAssembly(FIXTURE);

  it('bills provisioned shards as shards × 730 h × the shard-hour price', () => {
    const e = estimateMonthlyCost(s, workload({}), PRICES);
    const l = find(e.lines, 'Kinesis', /provisioned shards/);
    expect(l.quantity).toBe(2 * 730);
    expect(l.usd).toBeCloseTo(2 * 730 * 0.015, 10); // $21.90
  });

  it('bills the EventCount metrics a mapping publishes when its MetricsConfig asks for them (6 per stream mapping, 5 per SQS mapping)', () => {
    expect(s.esmMetrics).toBe(0);
    expect(estimateMonthlyCost(s, workload({}), PRICES).lines.filter((l) => /event source mapping metrics/.test(l.what))).toEqual([]);
    const fork = forked((j) => {
      const t = JSON.parse(j);
      for (const r of Object.values(t.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>)) {
        if (r.Type === 'AWS::Lambda::EventSourceMapping') r.Properties.MetricsConfig = { Metrics: ['EventCount'] };
      }
      return JSON.stringify(t);
    });
    expect(fork.esmMetrics).toBe(3 * 6 + 5);
    const l = find(estimateMonthlyCost(fork, workload({}), PRICES).lines, 'CloudWatch', /event source mapping metrics/);
    expect(l.quantity).toBe(23);
    expect(l.usd).toBeCloseTo(23 * PRICES.cloudwatch.customMetricMonth.usd, 10);
  });

  it('bills PUT payload units per started 25 KB of each record', () => {
    expect([putPayloadUnits(1), putPayloadUnits(25 * KB), putPayloadUnits(25 * KB + 1), putPayloadUnits(30 * KB)]).toEqual([1, 1, 2, 2]);
    const e = estimateMonthlyCost(s, workload({ eventsPerDay: 1_000_000, avgSizeKb: 30 }), PRICES);
    const l = find(e.lines, 'Kinesis', /PUT payload units/);
    expect(l.usd).toBeCloseTo(((1_000_000 * DAYS_PER_MONTH * 2) / 1e6) * 0.014, 10);
  });

  it('bills SQS per 64 KB chunk: a 100 KB job is 2 send + 2 receive requests, plus 1 batched delete', () => {
    expect([sqsChunks(1), sqsChunks(64 * KB), sqsChunks(64 * KB + 1), sqsChunks(100 * KB), sqsChunks(256 * KB)]).toEqual([1, 1, 2, 2, 4]);
    // 15,000 jobs/day is well under one job per poller per second, so each invocation gets one message;
    // the consumers' invocations get one event each, so each SendMessageBatch carries one job.
    const e = estimateMonthlyCost(s, workload({ jobsPerDay: 15_000, avgSizeKb: 100 }), PRICES);
    const jobs = 15_000 * DAYS_PER_MONTH;
    const sends = e.lines.filter((l) => l.service === 'SQS' && /^SendMessage/.test(l.what));
    expect(sends.map((l) => l.what)).toEqual([
      'SendMessageBatch by notifications (jobs for every event: ~1.0 per invocation, ~1.0 per request, 2 request units of 64 KB each)',
      'SendMessageBatch by payments (jobs for OrderPlaced, 50 % of events: ~0.5 per invocation, ~1.0 per request, 2 request units of 64 KB each)',
    ]);
    expect(sends.reduce((t, l) => t + l.quantity, 0)).toBeCloseTo((jobs * 2) / 1e6, 10);
    expect(find(e.lines, 'SQS', /ReceiveMessage/).quantity).toBeCloseTo((jobs * 2) / 1e6, 10);
    expect(find(e.lines, 'SQS', /DeleteMessageBatch/).quantity).toBeCloseTo(jobs / 1e6, 10);
    const paid = e.lines.filter((l) => l.service === 'SQS' && !/empty/.test(l.what)).reduce((t, l) => t + l.usd, 0);
    expect(paid).toBeCloseTo(((jobs * 5) / 1e6) * 0.4, 10);
  });

  it('bills Firehose on records rounded up to 5 KB', () => {
    expect([firehoseBilledBytes(1), firehoseBilledBytes(2 * KB), firehoseBilledBytes(5 * KB), firehoseBilledBytes(6 * KB)]).toEqual([
      5 * KB,
      5 * KB,
      5 * KB,
      10 * KB,
    ]);
    const e = estimateMonthlyCost(s, workload({ eventsPerDay: 1_000_000, avgSizeKb: 2 }), PRICES);
    const l = find(e.lines, 'Firehose', /5 KB rounding/);
    expect(l.quantity).toBeCloseTo((1_000_000 * DAYS_PER_MONTH * 5 * KB) / GB, 10); // not 2 KB per record
    expect(l.usd).toBeCloseTo(l.quantity * 0.029, 10);
  });

  it('moves archive objects through lifecycle classes, except objects under 128 KB (S3 default)', () => {
    const fork = forked((j) =>
      j.replace('"ExpirationInDays":365', '"ExpirationInDays":365,"Transitions":[{"StorageClass":"STANDARD_IA","TransitionInDays":30}]'),
    );
    expect(fork.archive?.transitions).toEqual([{ days: 30, storageClass: 'STANDARD_IA' }]);
    const objects = (730 * 3600) / 60; // one 60 s flush a minute
    // 10 M events/day × 2 KB, gzip ×0.2 → ~2.8 MB per flush: transitions at day 30
    const big = estimateMonthlyCost(fork, workload({ eventsPerDay: 10_000_000 }), PRICES);
    const gbPerMonth = (10_000_000 * DAYS_PER_MONTH * (2 * KB + 1) * 0.2) / GB;
    expect(find(big.lines, 'S3', /Standard, 0–30 days/).quantity).toBeCloseTo(gbPerMonth * (30 / DAYS_PER_MONTH), 6);
    expect(find(big.lines, 'S3', /Standard-IA, 30–365 days/).quantity).toBeCloseTo(gbPerMonth * ((365 - 30) / DAYS_PER_MONTH), 6);
    expect(find(big.lines, 'S3', /transitions to Standard-IA/).quantity).toBeCloseTo(objects / 1000, 6);
    // 10,000 events/day → ~2.8 KB per flush: stays in Standard all year
    const small = estimateMonthlyCost(fork, workload({ eventsPerDay: 10_000 }), PRICES);
    expect(find(small.lines, 'S3', /Standard, 0–365 days/).quantity).toBeGreaterThan(0);
    expect(small.lines.some((l) => /Standard-IA/.test(l.what))).toBe(false);
    expect(small.notes.join('\n')).toMatch(/under the 128 KB S3 lifecycle default minimum/);
  });

  it('costs the Lambda functions the mappings invoke, with their memory and architecture', () => {
    const e = estimateMonthlyCost(s, workload({ jobsPerDay: 15_000 }), PRICES);
    const gbs = find(e.lines, 'Lambda', /job-worker: 512 MB arm64/);
    expect(gbs.quantity).toBeCloseTo(15_000 * DAYS_PER_MONTH * 0.1 * 0.5, 6); // batch 1, 100 ms, 0.5 GB
    expect(gbs.unitPrice).toBe(PRICES.lambda.gbSecondArm64.usd);
  });

  it('adds the CloudWatch alarms and dashboards the template declares', () => {
    const e = estimateMonthlyCost(s, workload({}), PRICES);
    expect(find(e.lines, 'CloudWatch', /alarms/).usd).toBeCloseTo(6 * 0.1, 10);
    expect(find(e.lines, 'CloudWatch', /dashboard/).usd).toBe(3);
  });

  it('totals its line items', () => {
    const e = estimateMonthlyCost(s, workload({ eventsPerDay: 1_000_000, jobsPerDay: 1_500_000 }), PRICES);
    expect(e.total).toBeCloseTo(
      e.lines.reduce((t, l) => t + l.usd, 0),
      10,
    );
    expect(Object.values(e.byService).reduce((a, b) => a + b, 0)).toBeCloseTo(e.total, 10);
  });
});

describe('on-demand vs provisioned', () => {
  const s = readAssembly(FIXTURE);

  it('prefers provisioned for steady traffic and on-demand once the peak is far above the average', () => {
    const steady = verdict(s, workload({ eventsPerDay: 1_000_000 }), PRICES);
    expect(steady.provisionedUsd).toBeLessThan(steady.onDemandUsd);
    expect(steady.onDemandBreakEvenPeakFactor).toBeGreaterThan(3);
    const spiky = verdict(s, workload({ eventsPerDay: 1_000_000, peakFactor: (steady.onDemandBreakEvenPeakFactor ?? 0) * 1.5 }), PRICES);
    expect(spiky.onDemandUsd).toBeLessThan(spiky.provisionedUsd);
  });

  it('charges on-demand per stream-hour and per GB written (1 KB rounding) and read by every shared reader', () => {
    const od = forked((j) => j.replace('"ShardCount":2,', '').replace('"StreamMode":"PROVISIONED"', '"StreamMode":"ON_DEMAND"'));
    const e = estimateMonthlyCost(od, workload({ eventsPerDay: 1_000_000, avgSizeKb: 1.5 }), PRICES);
    const gb = (1_000_000 * DAYS_PER_MONTH * 2 * KB) / GB; // 1.5 KB bills as 2 KB
    expect(find(e.lines, 'Kinesis', /on-demand stream/).usd).toBeCloseTo(730 * 0.04, 10);
    expect(find(e.lines, 'Kinesis', /on-demand writes/).quantity).toBeCloseTo(gb, 10);
    expect(find(e.lines, 'Kinesis', /shared reads \(4 readers/).quantity).toBeCloseTo(4 * gb, 10); // 3 consumers + Firehose
  });
});

describe('capacity headroom', () => {
  const s = readAssembly(FIXTURE);
  const rowOf = (rows: ReturnType<typeof capacity>, re: RegExp) => {
    const r = rows.find((x) => re.test(x.check));
    expect(r, String(re)).toBeDefined();
    return r!;
  };

  it('checks shard writes at the peak: 50 M events/day of 2 KB overflow 2 shards', () => {
    const rows = capacity(s, workload({ eventsPerDay: 50_000_000, avgSizeKb: 2 }));
    const perShard = ((50_000_000 / 86_400) * 3 * 2048) / 1024 ** 2 / 2;
    expect(rowOf(rows, /shard write, MB\/s/).demand).toBeCloseTo(perShard, 10); // ≈ 1.70 MB/s
    expect(rowOf(rows, /shard write, MB\/s/).status).toBe('over');
    expect(rowOf(rows, /records\/s per shard$/).demand).toBeCloseTo(((50_000_000 / 86_400) * 3) / 2, 6);
  });

  it('counts Firehose as a polling reader of the shared 2 MB/s and 5 GetRecords/s', () => {
    const rows = capacity(s, workload({}));
    expect(rowOf(rows, /GetRecords/).demand).toBe(4);
    expect(rowOf(rows, /GetRecords/).status).toBe('tight');
  });

  it('shows enhanced fan-out relieving the shared read limits that 6 polling consumers exceed', () => {
    const w = workload({ consumers: 6, eventsPerDay: 20_000_000 });
    const shared = capacity(s, w);
    expect(rowOf(shared, /GetRecords/).demand).toBe(7);
    expect(rowOf(shared, /GetRecords/).status).toBe('over');
    expect(rowOf(shared, /shared read/).status).toBe('over');

    const efo = forked((j) => j); // same template, every consumer switched to EFO
    for (const c of efo.consumers) c.efo = true;
    const rows = capacity(efo, w);
    expect(rowOf(rows, /GetRecords/).demand).toBe(1); // Firehose only
    expect(rowOf(rows, /EFO read/).status).toBe('ok');

    const v = verdict(s, w, PRICES);
    expect(v.lines.join('\n')).toMatch(/Shared reads run out here: 7 polling readers.*→ EFO pays off/);
    // provisioned EFO: 6 consumers × 2 shards × 730 h × $0.015 + 6 × GB read × $0.013
    const gb = (20_000_000 * DAYS_PER_MONTH * 2 * KB) / GB;
    expect(v.allEfoUsd - v.sharedUsd).toBeCloseTo(6 * 2 * 730 * 0.015 + 6 * gb * 0.013, 6);
  });

  it('sums Lambda concurrency as shards × parallelization factor per consumer plus the worker', () => {
    const rows = capacity(s, workload({}));
    // notifications 2×1 + payments 2×1 + analytics 2×2 = 8 slots; the worker is capped at 50
    expect(rowOf(rows, /worst case/).demand).toBe(8 + 50);
    expect(rowOf(rows, /job-worker: concurrent/).limit).toBe(50);
  });
});

describe('idempotency table (DynamoDB)', () => {
  const s = readAssembly(FIXTURE);
  const small = workload({ jobsPerDay: 15_000, eventsPerDay: 10_000 });
  // Item sizes by hand (see idempotencyItemBytes): id = 2 + name + '#' + 24, status 15, expiration 16,
  // in_progress_expiration 30, data 4 + 100 (the default stored result).
  const ITEM = { 'job-worker': 37 + 61 + 104, notifications: 40 + 61 + 104, payments: 35 + 61 + 104, analytics: 36 + 61 + 104 };

  it('finds the table by type through IDEMPOTENCY_TABLE_NAME across stacks, with its expiry', () => {
    expect(s.tables).toEqual([
      {
        logicalId: 'IdempotencyTable3F4E5D6C',
        billingMode: 'PAY_PER_REQUEST',
        readCapacityUnits: undefined,
        writeCapacityUnits: undefined,
        ttlEnabled: true,
        pointInTimeRecovery: true,
        globalSecondaryIndexes: 0,
        streamEnabled: false,
        kms: false,
        idempotentFunctions: ['job-worker', 'notifications', 'payments', 'analytics'],
      },
    ]);
    expect(s.workers[0].fn.idempotency).toEqual({ tableLogicalId: 'IdempotencyTable3F4E5D6C', expirySeconds: 14 * 86_400 });
  });

  it('follows the variable, not the logical id; another variable naming a table only earns a note', () => {
    const renamed = forked((j) => j.replaceAll('IdempotencyTable3F4E5D6C', 'Dedup'));
    expect(renamed.tables.map((t) => t.logicalId)).toEqual(['Dedup']);
    const other = forked((j) => j.replaceAll('"IDEMPOTENCY_TABLE_NAME"', '"ORDERS_TABLE"'));
    expect(other.tables).toEqual([]);
    expect(other.notes.join('\n')).toMatch(
      /job-worker: ORDERS_TABLE names DynamoDB table IdempotencyTable3F4E5D6C; only idempotency records/,
    );
    expect(estimateMonthlyCost(other, small, PRICES).lines.some((l) => l.service === 'DynamoDB')).toBe(false);
  });

  it("uses Powertools' 1 hour default when IDEMPOTENCY_EXPIRY_SECONDS is absent", () => {
    const fork = forked((j) => j.replaceAll(',"IDEMPOTENCY_EXPIRY_SECONDS":"1209600"', ''));
    expect(fork.workers[0].fn.idempotency?.expirySeconds).toBe(3600);
  });

  it('sizes a record by DynamoDB rules and bills 1 WRU per started KB', () => {
    expect(idempotencyItemBytes('job-worker', 100)).toBe(ITEM['job-worker']); // 202 B
    expect([dynamoWriteUnits(1), dynamoWriteUnits(1024), dynamoWriteUnits(1025)]).toEqual([1, 1, 2]);
  });

  it('bills two writes per record per idempotent function: the worker per job, each consumer per event it handles', () => {
    const e = estimateMonthlyCost(s, small, PRICES);
    const worker = find(e.lines, 'DynamoDB', /job-worker: idempotency writes/);
    expect(worker.quantity).toBeCloseTo((15_000 * DAYS_PER_MONTH * 2) / 1e6, 10); // 0.9125 M WRU
    expect(worker.usd).toBeCloseTo(0.9125 * 0.625, 10); // $0.57
    for (const name of ['notifications', 'analytics'])
      expect(find(e.lines, 'DynamoDB', new RegExp(`${name}: idempotency writes`)).quantity).toBeCloseTo(
        (10_000 * DAYS_PER_MONTH * 2) / 1e6,
        10,
      );
    // payments handles OrderPlaced only: half of the events, although this template invokes it for all of them
    expect(find(e.lines, 'DynamoDB', /payments: idempotency writes/).quantity).toBeCloseTo((5_000 * DAYS_PER_MONTH * 2) / 1e6, 10);
    const writes = e.lines.filter((l) => /idempotency writes/.test(l.what)).reduce((t, l) => t + l.usd, 0);
    expect(writes).toBeCloseTo(((40_000 * DAYS_PER_MONTH * 2) / 1e6) * 0.625, 10); // 2,433,333 WRU = $1.52
    expect(e.notes.join('\n')).not.toMatch(/upper bound/);
  });

  it('bills a result over ~900 B as 2 WRU per write', () => {
    const e = estimateMonthlyCost(s, { ...small, idempotencyResultBytes: 1000 }, PRICES);
    expect(find(e.lines, 'DynamoDB', /job-worker: idempotency writes \(claim \+ complete, 4 WRU/).quantity).toBeCloseTo(
      (15_000 * DAYS_PER_MONTH * 4) / 1e6,
      10,
    );
  });

  it('stores 14 days of records (+100 B overhead each) and bills PITR on the same size', () => {
    const e = estimateMonthlyCost(s, small, PRICES);
    const bytes =
      15_000 * 14 * (ITEM['job-worker'] + 100) +
      10_000 * 14 * (ITEM.notifications + ITEM.analytics + 200) +
      5_000 * 14 * (ITEM.payments + 100);
    expect(bytes).toBe(169_260_000);
    expect(find(e.lines, 'DynamoDB', /storage \(14 days/).quantity).toBeCloseTo(bytes / GB, 10);
    expect(find(e.lines, 'DynamoDB', /storage/).usd).toBeCloseTo((bytes / GB) * 0.25, 10);
    expect(find(e.lines, 'DynamoDB', /point-in-time recovery/).usd).toBeCloseTo((bytes / GB) * 0.2, 10);
    expect(e.byService.DynamoDB).toBeCloseTo(((40_000 * DAYS_PER_MONTH * 2) / 1e6) * 0.625 + (bytes / GB) * 0.45, 10);
  });

  it('keeps every record without TTL, and drops PITR when it is off', () => {
    const fork = forked((j) =>
      j.replace('"Enabled":true', '"Enabled":false').replace('"PointInTimeRecoveryEnabled":true', '"PointInTimeRecoveryEnabled":false'),
    );
    const e = estimateMonthlyCost(fork, small, PRICES);
    const months = DEFAULT_ASSUMPTIONS.archiveMonths;
    const perMonth =
      15_000 * DAYS_PER_MONTH * (ITEM['job-worker'] + 100) +
      10_000 * DAYS_PER_MONTH * (ITEM.notifications + ITEM.analytics + 200) +
      5_000 * DAYS_PER_MONTH * (ITEM.payments + 100);
    expect(find(e.lines, 'DynamoDB', /storage \(12 months, no TTL/).quantity).toBeCloseTo((perMonth * months) / GB, 8);
    expect(e.lines.some((l) => /point-in-time/.test(l.what))).toBe(false);
    expect(e.notes.join('\n')).toMatch(/no TTL, records are never deleted/);
  });

  it('checks peak writes against the table quota and a new table’s 4,000 WRU/s', () => {
    const rows = capacity(s, workload({ jobsPerDay: 75_000_000, eventsPerDay: 50_000_000 }));
    const peak = ((75_000_000 + 2.5 * 50_000_000) / 86_400) * 3 * 2; // 13,889 WRU/s: payments writes for half the events
    const quota = rows.find((r) => /table quota/.test(r.check));
    const fresh = rows.find((r) => /new on-demand table/.test(r.check));
    expect(quota?.demand).toBeCloseTo(peak, 6);
    expect([quota?.status, fresh?.status]).toEqual(['ok', 'over']);
  });

  it('compares on-demand writes with WCUs provisioned for the peak; break-even at ~3.5× peak ÷ average', () => {
    const v = verdict(s, workload({ jobsPerDay: 1_500_000, eventsPerDay: 1_000_000 }), PRICES);
    const avgWru = ((1_500_000 + 2.5 * 1_000_000) / 86_400) * 2; // 92.59 WRU/s
    expect(v.dynamo?.onDemandUsd).toBeCloseTo(((avgWru * 730 * 3600) / 1e6) * 0.625, 6); // $152.08
    expect(v.dynamo?.provisionedWcu).toBe(278);
    expect(v.dynamo?.provisionedUsd).toBeCloseTo(278 * 730 * 0.00065, 10); // $131.91
    expect(v.dynamo?.breakEvenPeakFactor).toBeCloseTo((2.628 * 0.625) / (730 * 0.00065), 10); // 3.46
    expect(v.lines.join('\n')).toMatch(/DynamoDB idempotency writes: .* provisioned is cheaper on price alone/);
  });
});

describe('event mix and filter criteria', () => {
  it('splits events evenly over the registered types by default, and normalises a given mix', () => {
    expect(evenMix()).toEqual(Object.fromEntries(eventTypes.map((t) => [t, 1 / eventTypes.length])));
    expect(DEFAULT_ASSUMPTIONS.eventMix).toEqual(evenMix());
    expect(parseEventMix('OrderPlaced=2, OrderShipped=1')).toEqual({ OrderPlaced: 2 / 3, OrderShipped: 1 / 3 });
    expect(parseEventMix('OrderPlaced=1')).toEqual({ OrderPlaced: 1 });
    expect(() => parseEventMix('OrderCancelled=1')).toThrow(`"OrderCancelled" is not a registered event type (${eventTypes.join(', ')})`);
    expect(() => parseEventMix('OrderPlaced=-0.5')).toThrow(/share of OrderPlaced must be a number ≥ 0/);
    expect(() => parseEventMix('OrderPlaced')).toThrow(/not TYPE=SHARE/);
    expect(() => parseEventMix('OrderPlaced=0')).toThrow(/add up to more than 0/);
  });

  it("evaluates the manifest's own filter patterns to exactly the types each consumer handles", () => {
    for (const [name, entry] of Object.entries(CONSUMERS)) {
      const patterns = filterPatternsFor(entry);
      const passing = eventTypes.filter((t) => filterPasses(patterns.length ? patterns : undefined, t) === true);
      expect(passing.sort(), name).toEqual([...entry.handles].sort());
    }
    // an unregistered type still reaches the filtered consumer (it reports it to the failure bucket)
    expect(filterPasses(filterPatternsFor(CONSUMERS.payments), 'OrderRefunded')).toBe(true);
  });

  it('evaluates the EventBridge matchers on data.type and says "unknown" for any other field', () => {
    const type = (m: unknown) => [{ data: { type: [m] } }];
    expect(filterPasses(type('OrderPlaced'), 'OrderPlaced')).toBe(true);
    expect(filterPasses(type('OrderPlaced'), 'OrderShipped')).toBe(false);
    expect(filterPasses(type({ prefix: 'Order' }), 'OrderShipped')).toBe(true);
    expect(filterPasses(type({ 'anything-but': { prefix: 'OrderS' } }), 'OrderShipped')).toBe(false);
    expect(filterPasses(type({ 'equals-ignore-case': 'orderplaced' }), 'OrderPlaced')).toBe(true);
    expect(filterPasses(type({ exists: true }), 'OrderPlaced')).toBe(true);
    expect(filterPasses([{ data: { version: [1] } }], 'OrderPlaced')).toBe('unknown');
    // ORed: one pattern that matches settles it even if another cannot be evaluated
    expect(filterPasses([{ data: { version: [1] } }, { data: { type: ['OrderPlaced'] } }], 'OrderPlaced')).toBe(true);
  });

  it('falls back to the manifest (by name) for a filter it cannot evaluate, and to every event for a stranger', () => {
    const s = readAssembly(FIXTURE);
    const payments = { ...s.consumers[1], filterPatterns: [{ data: { data: { totalCents: [{ numeric: ['>', 0] }] } } }] };
    expect(payments.fn.name).toBe('payments');
    const t = consumerTraffic(payments, FIXTURE_MIX);
    expect([t.source, t.deliveredShare, t.handledShare]).toEqual(['manifest', 0.5, 0.5]);
    expect(t.note).toMatch(/payments: its mapping's filter tests more than the event type.*manifest's types \(OrderPlaced\)/);
    const stranger = consumerTraffic({ ...payments, fn: { ...payments.fn, name: 'fraud-check' } }, FIXTURE_MIX);
    expect([stranger.source, stranger.deliveredShare]).toEqual(['assumed all', 1]);
    expect(stranger.note).toMatch(/not in the consumer manifest; every event is assumed to invoke it \(an upper bound\)/);
  });
});

describe('the manifest template: filters, idempotency only where declared, batched jobs, measured time', () => {
  const m = readAssembly(MANIFEST_FIXTURE);
  const before = readAssembly(FIXTURE);
  // The README's Large example (25 M orders a day) on the fixture's 2 provisioned shards.
  const large = workload({ jobsPerDay: 75_000_000, eventsPerDay: 50_000_000, measured: MEASURED });
  const perShard = 50_000_000 / 86_400 / 2; // 289.4 events/s per shard on average
  const e = estimateMonthlyCost(m, large, PRICES);

  it('reads filters and job queues from the template, and idempotency tables only where the environment names them', () => {
    expect(m.consumers.map((c) => [c.fn.name, c.filterPatterns, c.fn.enqueuesTo?.queueLogicalId, c.fn.idempotency])).toEqual([
      ['notifications', undefined, 'JobQueue9A8B7C6D', undefined],
      [
        'payments',
        [{ data: { type: [{ 'anything-but': ['OrderShipped'] }] } }, { data: { type: [{ exists: false }] } }],
        'JobQueue9A8B7C6D',
        undefined,
      ],
      ['analytics', undefined, undefined, undefined],
    ]);
    expect(m.tables.map((t) => t.idempotentFunctions)).toEqual([['job-worker']]);
    expect(before.consumers.map((c) => c.fn.enqueuesTo?.queueLogicalId)).toEqual(['JobQueue9A8B7C6D', 'JobQueue9A8B7C6D', undefined]);
  });

  it('bills idempotency writes, storage and PITR for the worker only', () => {
    const writes = e.lines.filter((l) => /idempotency writes/.test(l.what));
    expect(writes.map((l) => l.what)).toEqual(['job-worker: idempotency writes (claim + complete, 2 WRU per record)']);
    expect(writes[0].quantity).toBeCloseTo((75_000_000 * DAYS_PER_MONTH * 2) / 1e6, 6); // 4,563 M WRU
    expect(writes[0].usd).toBeCloseTo(((75_000_000 * DAYS_PER_MONTH * 2) / 1e6) * 0.625, 6); // $2,851.56
    const bytes = 75_000_000 * 14 * (idempotencyItemBytes('job-worker', 100) + 100);
    expect(find(e.lines, 'DynamoDB', /storage \(14 days/).quantity).toBeCloseTo(bytes / GB, 8);
    expect(find(e.lines, 'DynamoDB', /point-in-time/).quantity).toBeCloseTo(bytes / GB, 8);
    expect(e.notes.join('\n')).toMatch(/records are kept by job-worker .*; notifications, payments, analytics keep none and write nothing/);
  });

  it('invokes payments for OrderPlaced only, in batches of what passed its filter, timed by the measured line', () => {
    // payments: 144.7 OrderPlaced/s per shard → full batches of 100; 28 ms + 2 ms × 100 = 228 ms each
    const invocations = (25_000_000 * DAYS_PER_MONTH) / 100;
    expect(find(e.lines, 'Lambda', /payments: invocations \(OrderPlaced, 50 % of events, batch 100\.0\)/).quantity).toBeCloseTo(
      invocations / 1e6,
      6,
    );
    const gbs = find(e.lines, 'Lambda', /payments: 256 MB arm64 × 228 ms per invocation/);
    expect(gbs.what).toBe(
      'payments: 256 MB arm64 × 228 ms per invocation (measured 2026-11-28 under DynamoDB 5 ms / SQS 8 ms latency: 28 + 2 ms × 100.0 records)',
    );
    expect(gbs.quantity).toBeCloseTo(invocations * 0.228 * 0.25, 4);
    // analytics (PF 2, batch 500): 289.4 / 2 = 144.7 records per invocation, 11 + 1 ms each
    const batch = perShard / 2;
    const analytics = find(e.lines, 'Lambda', /analytics: 256 MB arm64/);
    expect(analytics.quantity).toBeCloseTo(((50_000_000 * DAYS_PER_MONTH) / batch) * ((11 + batch) / 1000) * 0.25, 4);
    // the worker: batches of 10 jobs, 20 ms + 20 ms × 10, 512 MB
    expect(find(e.lines, 'Lambda', /job-worker: 512 MB arm64 × 220 ms per invocation \(measured/).quantity).toBeCloseTo(
      ((75_000_000 * DAYS_PER_MONTH) / 10) * 0.22 * 0.5,
      4,
    );
    expect(e.notes.join('\n')).not.toMatch(/no measured duration/);
  });

  it("sends each consumer's jobs of one invocation with SendMessageBatch, ≤ 10 per request; all 75 M jobs come from consumers", () => {
    const sends = e.lines.filter((l) => l.service === 'SQS' && /^SendMessage/.test(l.what));
    expect(sends.map((l) => l.what)).toEqual([
      'SendMessageBatch by notifications (jobs for every event: ~100.0 per invocation, ~10.0 per request)',
      'SendMessageBatch by payments (jobs for OrderPlaced, 50 % of events: ~100.0 per invocation, ~10.0 per request)',
    ]);
    expect(sends[0].quantity).toBeCloseTo((50_000_000 * DAYS_PER_MONTH) / 10 / 1e6, 6);
    expect(sends[1].quantity).toBeCloseTo((25_000_000 * DAYS_PER_MONTH) / 10 / 1e6, 6);
    expect(e.notes.join('\n')).toMatch(
      /jobs: 75,000,000\/day through the queue: notifications 50,000,000, payments 25,000,000 from consumers .*none from outside producers/,
    );
    // per-job SendMessage would have been 10× the requests
    expect(sends.reduce((t, l) => t + l.usd, 0)).toBeCloseTo(((75_000_000 * DAYS_PER_MONTH) / 10 / 1e6) * 0.4, 6);
  });

  it('costs less than the same template before the manifest, by the consumers’ writes and the batched sends', () => {
    const old = estimateMonthlyCost(before, large, PRICES);
    const consumerWrites = (50_000_000 + 25_000_000 + 50_000_000) * DAYS_PER_MONTH * 2 * 0.625e-6; // payments handled half
    expect(old.byService.DynamoDB - e.byService.DynamoDB).toBeGreaterThan(consumerWrites);
    expect(old.byService.SQS).toBeCloseTo(e.byService.SQS, 6); // the old template's consumers batch too; only filters changed
    expect(old.byService.Lambda).toBeGreaterThan(e.byService.Lambda); // payments was invoked for OrderShipped too
    expect(old.notes.join('\n')).toMatch(
      /payments: its mapping has no filter, so it is invoked for OrderPlaced \+ OrderShipped \(100 % of events\), but its handler acts on OrderPlaced only \(50 %, manifest\)/,
    );
  });

  it('checks each consumer against what its parallelization factor processes, naming the factor that keeps up', () => {
    const rows = capacity(m, large);
    const rowOf = (re: RegExp) => rows.find((r) => re.test(r.check))!;
    const notifications = rowOf(/^notifications: records\/s per shard/);
    expect(notifications.demand).toBeCloseTo(perShard * 3, 6); // 868 at the peak
    expect(notifications.limit).toBeCloseTo(100 / 0.228, 6); // 439: a batch of 100 in 228 ms
    expect([notifications.status, notifications.remedy]).toEqual(['over', 'needs PF 2']);
    expect(notifications.explanation).toMatch(/parallelization factor 2 keeps up/);
    const payments = rowOf(/^payments: records\/s per shard at peak \(OrderPlaced, 50 % of events\)/);
    expect(payments.demand).toBeCloseTo(perShard * 3 * 0.5, 6); // 434
    expect(payments.status).toBe('tight');
    // the fixture's 2 provisioned shards are too few for this peak, and the row says how many would do
    expect([rowOf(/^shard write, MB\/s/).status, rowOf(/^shard write, MB\/s/).remedy]).toEqual(['over', 'needs 7 shards']);
    const analytics = rowOf(/^analytics: /);
    expect(analytics.limit).toBeCloseTo((2 * 500) / 0.511, 6);
    expect(analytics.status).toBe('ok');
  });

  it('checks the worker with its measured time against MaximumConcurrency, and explains the backlog', () => {
    const worker = capacity(m, large).find((r) => /job-worker: concurrent executions/.test(r.check))!;
    const peakJobs = (75_000_000 / 86_400) * 3;
    expect(worker.demand).toBeCloseTo((peakJobs / 10) * 0.22, 6); // 57.3
    expect([worker.limit, worker.status, worker.remedy]).toEqual([50, 'over', 'needs MaximumConcurrency 58']);
    expect(worker.explanation).toMatch(
      /the queue holds the other ~331\/s and drains them after the peak \(the average needs 19\.1 executions\)/,
    );
  });

  it('explains a new on-demand table’s 4,000 WRU/s and prices pre-warming it', () => {
    const fresh = capacity(m, large).find((r) => /new on-demand table/.test(r.check))!;
    expect(fresh.demand).toBeCloseTo((75_000_000 / 86_400) * 3 * 2, 6); // 5,208 WRU/s
    expect([fresh.status, fresh.remedy]).toEqual(['over', 'new table only: pre-warm']);
    expect(fresh.explanation).toMatch(
      /provision 5,209 WCU for an hour and switch back to on-demand \(~\$3\.39 once at \$0\.00065 per WCU-hour\)/,
    );
    // every row over the limit says why or what keeps up
    expect(capacity(m, large).filter((r) => r.status === 'over' && !r.explanation)).toEqual([]);
  });

  it('follows the event mix: more OrderPlaced means more payments invocations and jobs', () => {
    // 25 M orders a day again, but a fifth of them never ship: 50 M events, 40 M OrderPlaced, 90 M jobs
    const mixed = estimateMonthlyCost(
      m,
      { ...large, jobsPerDay: 90_000_000, eventMix: parseEventMix('OrderPlaced=0.8,OrderShipped=0.2') },
      PRICES,
    );
    expect(find(mixed.lines, 'SQS', /SendMessageBatch by payments \(jobs for OrderPlaced, 80 % of events/).quantity).toBeCloseTo(
      (0.8 * 50_000_000 * DAYS_PER_MONTH) / 10 / 1e6,
      6,
    );
    expect(find(mixed.lines, 'Lambda', /payments: invocations/).quantity).toBeCloseTo((0.8 * 50_000_000 * DAYS_PER_MONTH) / 100 / 1e6, 6);
    expect(mixed.notes.join('\n')).toMatch(/none from outside producers/);
  });
});

describe('jobs from outside producers', () => {
  const m = readAssembly(MANIFEST_FIXTURE);

  it('costs the jobs beyond the consumers’ as SendMessage per job, or batched with --producer-batch', () => {
    const w = workload({ jobsPerDay: 100_000_000, eventsPerDay: 50_000_000 });
    const one = estimateMonthlyCost(m, w, PRICES);
    expect(find(one.lines, 'SQS', /SendMessage by producers outside the template \(1 request\(s\) per job\)/).quantity).toBeCloseTo(
      (25_000_000 * DAYS_PER_MONTH) / 1e6,
      6,
    );
    expect(one.notes.join('\n')).toMatch(
      /25,000,000 from producers outside the template \(SendMessage per job; --producer-batch 10 for producers built on enqueueJobs/,
    );
    const ten = estimateMonthlyCost(m, { ...w, producerBatch: 10 }, PRICES);
    expect(find(ten.lines, 'SQS', /SendMessageBatch by producers outside the template \(~10\.0 jobs per request\)/).quantity).toBeCloseTo(
      (2_500_000 * DAYS_PER_MONTH) / 1e6,
      6,
    );
  });

  it('scales the consumers’ jobs down to --jobs-per-day when one per handled event would be more', () => {
    const e = estimateMonthlyCost(m, workload({ jobsPerDay: 30_000_000, eventsPerDay: 50_000_000 }), PRICES);
    expect(find(e.lines, 'SQS', /SendMessageBatch by notifications/).quantity).toBeCloseTo((20_000_000 * DAYS_PER_MONTH) / 10 / 1e6, 6);
    expect(find(e.lines, 'SQS', /SendMessageBatch by payments/).quantity).toBeCloseTo((10_000_000 * DAYS_PER_MONTH) / 10 / 1e6, 6);
    expect(e.lines.some((l) => /outside/.test(l.what))).toBe(false);
    expect(e.notes.join('\n')).toMatch(
      /one job per handled event would be 75,000,000\/day, more than the 30,000,000 jobs\/day given; .* scaled down to it \(40 %\)/,
    );
  });

  it('packs at most 10 jobs, and no more than the batch payload limit, into one request', () => {
    expect(entriesPerRequest(0.5, 2 * KB)).toBe(1);
    expect(entriesPerRequest(7, 2 * KB)).toBe(7);
    expect(entriesPerRequest(23, 2 * KB)).toBeCloseTo(23 / 3, 10); // 3 requests
    expect(entriesPerRequest(100, 200 * KB)).toBe(5); // 5 × 200 KB fit in 1 MiB
    expect(entriesPerRequest(100, 2 * KB, 10 * KB)).toBe(5);
  });
});

describe('Lambda durations', () => {
  it('derives fixed + per record from the measured batch-1 and batch-100 (worker: batch-10) times', () => {
    const w = workload({ measured: MEASURED });
    expect(durationModel(w, 'consumer', 'notifications')).toMatchObject({ fixedMs: 28, perRecordMs: 2, source: 'measured' });
    expect(durationModel(w, 'consumer', 'analytics')).toMatchObject({ fixedMs: 11, perRecordMs: 1 }); // no delivered count: 100
    // payments' filter delivered 50 of the 100 stream records: (128 − 30) ÷ 49 = 2 ms per record
    expect(durationModel(w, 'consumer', 'payments')).toMatchObject({ fixedMs: 28, perRecordMs: 2 });
    const worker = durationModel(w, 'worker', 'job-worker');
    expect([worker.fixedMs, worker.perRecordMs, invocationMs(worker, 10)]).toEqual([20, 20, 220]);
    expect(worker.basis).toBe('measured 2026-11-28 under DynamoDB 5 ms / SQS 8 ms latency');
    // noise: a batch of 100 measured faster than a batch of 1 costs the batch-1 time
    const noisy = {
      ...MEASURED,
      consumers: { x: { msPerInvocationBatch1: 50, msPerInvocationBatch100: 40, recordsPerSecondPerShard: 2500 } },
    };
    expect(durationModel(workload({ measured: noisy }), 'consumer', 'x')).toMatchObject({ fixedMs: 50, perRecordMs: 0 });
  });

  it('takes --avg-duration-ms over the measurements, and assumes 100 ms with a note when nothing was measured', () => {
    expect(durationModel(workload({ measured: MEASURED, avgDurationMs: 250 }), 'consumer', 'notifications')).toMatchObject({
      fixedMs: 250,
      perRecordMs: 0,
      source: 'override',
    });
    const s = readAssembly(FIXTURE);
    const none = estimateMonthlyCost(s, workload({}), PRICES);
    expect(find(none.lines, 'Lambda', /notifications: 256 MB arm64/).what).toBe(
      'notifications: 256 MB arm64 × 100 ms per invocation (assumed: no measured durations)',
    );
    expect(none.notes.join('\n')).toMatch(
      /no measured durations \(tools\/cost\/measured\.json, written by `npm run bench` figure 7, is absent\): assuming 100 ms per invocation/,
    );
    const partial = { ...MEASURED, consumers: { notifications: MEASURED.consumers.notifications } };
    const some = estimateMonthlyCost(s, workload({ measured: partial }), PRICES);
    expect(some.notes.join('\n')).toMatch(/no measured duration for payments, analytics: assuming 100 ms per invocation/);
  });

  it('times a what-if extra consumer like the one it copies', () => {
    const s = readAssembly(FIXTURE);
    const e = estimateMonthlyCost(s, workload({ consumers: 4, measured: MEASURED }), PRICES);
    expect(find(e.lines, 'Lambda', /extra-1: 256 MB arm64/).what).toMatch(/\(measured 2026-11-28 .*: 11 \+ 1 ms ×/);
  });

  it('rejects a measured.json that lacks a figure, naming it', () => {
    const { worker: _drop, ...noWorker } = MEASURED;
    expect(() => validateMeasured(noWorker, 'm.json')).toThrow(/m\.json: worker must be an object/);
    expect(() =>
      validateMeasured(
        { ...MEASURED, consumers: { payments: { ...MEASURED.consumers.payments, recordsDeliveredPerBatch100: 150 } } },
        'm.json',
      ),
    ).toThrow(/m\.json: consumers\.payments\.recordsDeliveredPerBatch100 must be at most 100/);
    expect(() =>
      validateMeasured(
        { ...MEASURED, consumers: { payments: { msPerInvocationBatch1: 1, msPerInvocationBatch100: -1, recordsPerSecondPerShard: 1 } } },
        'm.json',
      ),
    ).toThrow(/m\.json: consumers\.payments\.msPerInvocationBatch100 must be a number ≥ 0/);
  });
});
