import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStacks, readAssembly, settingsFromStacks, type AssemblySettings } from '../../tools/cost/assembly';
import {
  capacity,
  DEFAULT_ASSUMPTIONS,
  dynamoWriteUnits,
  estimateMonthlyCost,
  firehoseBilledBytes,
  idempotencyItemBytes,
  putPayloadUnits,
  sqsChunks,
  verdict,
  type LineItem,
  type Workload,
} from '../../tools/cost/model';
import { DAYS_PER_MONTH, PRICES } from '../../tools/cost/prices';

const FIXTURE = path.join(__dirname, '../fixtures/cost/assembly');
const KB = 1024;
const GB = 1024 ** 3;

const workload = (w: Partial<Workload>): Workload => ({
  jobsPerDay: 15_000,
  eventsPerDay: 10_000,
  avgSizeKb: 2,
  ...DEFAULT_ASSUMPTIONS,
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
    loadStacks(FIXTURE).map((s) => ({ name: s.name, template: JSON.parse(edit(JSON.stringify(s.template))) })),
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
      j.replace('"ShardCount":2,"RetentionPeriodHours":24,"StreamModeDetails":{"StreamMode":"PROVISIONED"}', '"RetentionPeriodHours":168,"StreamModeDetails":{"StreamMode":"ON_DEMAND"}'),
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

  it('bills PUT payload units per started 25 KB of each record', () => {
    expect([putPayloadUnits(1), putPayloadUnits(25 * KB), putPayloadUnits(25 * KB + 1), putPayloadUnits(30 * KB)]).toEqual([1, 1, 2, 2]);
    const e = estimateMonthlyCost(s, workload({ eventsPerDay: 1_000_000, avgSizeKb: 30 }), PRICES);
    const l = find(e.lines, 'Kinesis', /PUT payload units/);
    expect(l.usd).toBeCloseTo(((1_000_000 * DAYS_PER_MONTH * 2) / 1e6) * 0.014, 10);
  });

  it('bills SQS per 64 KB chunk: a 100 KB job is 2 send + 2 receive requests, plus 1 batched delete', () => {
    expect([sqsChunks(1), sqsChunks(64 * KB), sqsChunks(64 * KB + 1), sqsChunks(100 * KB), sqsChunks(256 * KB)]).toEqual([1, 1, 2, 2, 4]);
    // 15,000 jobs/day is well under one job per poller per second, so each invocation gets one message.
    const e = estimateMonthlyCost(s, workload({ jobsPerDay: 15_000, avgSizeKb: 100 }), PRICES);
    const jobs = 15_000 * DAYS_PER_MONTH;
    expect(find(e.lines, 'SQS', /SendMessage/).quantity).toBeCloseTo((jobs * 2) / 1e6, 10);
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
    const fork = forked((j) => j.replace('"ExpirationInDays":365', '"ExpirationInDays":365,"Transitions":[{"StorageClass":"STANDARD_IA","TransitionInDays":30}]'));
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
    efo.consumers.forEach((c) => (c.efo = true));
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
    expect(other.notes.join('\n')).toMatch(/job-worker: ORDERS_TABLE names DynamoDB table IdempotencyTable3F4E5D6C; only idempotency records/);
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

  it('bills two writes per record per idempotent function: the worker per job, each consumer per event', () => {
    const e = estimateMonthlyCost(s, small, PRICES);
    const worker = find(e.lines, 'DynamoDB', /job-worker: idempotency writes/);
    expect(worker.quantity).toBeCloseTo((15_000 * DAYS_PER_MONTH * 2) / 1e6, 10); // 0.9125 M WRU
    expect(worker.usd).toBeCloseTo(0.9125 * 0.625, 10); // $0.57
    for (const name of ['notifications', 'payments', 'analytics'])
      expect(find(e.lines, 'DynamoDB', new RegExp(`${name}: idempotency writes`)).quantity).toBeCloseTo((10_000 * DAYS_PER_MONTH * 2) / 1e6, 10);
    const writes = e.lines.filter((l) => /idempotency writes/.test(l.what)).reduce((t, l) => t + l.usd, 0);
    expect(writes).toBeCloseTo(((45_000 * DAYS_PER_MONTH * 2) / 1e6) * 0.625, 10); // 2,737,500 WRU = $1.71
  });

  it('bills a result over ~900 B as 2 WRU per write', () => {
    const e = estimateMonthlyCost(s, { ...small, idempotencyResultBytes: 1000 }, PRICES);
    expect(find(e.lines, 'DynamoDB', /job-worker: idempotency writes \(claim \+ complete, 4 WRU/).quantity).toBeCloseTo((15_000 * DAYS_PER_MONTH * 4) / 1e6, 10);
  });

  it('stores 14 days of records (+100 B overhead each) and bills PITR on the same size', () => {
    const e = estimateMonthlyCost(s, small, PRICES);
    const bytes = 15_000 * 14 * (ITEM['job-worker'] + 100) + 10_000 * 14 * (ITEM.notifications + ITEM.payments + ITEM.analytics + 300);
    expect(bytes).toBe(190_260_000);
    expect(find(e.lines, 'DynamoDB', /storage \(14 days/).quantity).toBeCloseTo(bytes / GB, 10);
    expect(find(e.lines, 'DynamoDB', /storage/).usd).toBeCloseTo((bytes / GB) * 0.25, 10);
    expect(find(e.lines, 'DynamoDB', /point-in-time recovery/).usd).toBeCloseTo((bytes / GB) * 0.2, 10);
    expect(e.byService.DynamoDB).toBeCloseTo(((45_000 * DAYS_PER_MONTH * 2) / 1e6) * 0.625 + (bytes / GB) * 0.45, 10);
  });

  it('keeps every record without TTL, and drops PITR when it is off', () => {
    const fork = forked((j) => j.replace('"Enabled":true', '"Enabled":false').replace('"PointInTimeRecoveryEnabled":true', '"PointInTimeRecoveryEnabled":false'));
    const e = estimateMonthlyCost(fork, small, PRICES);
    const months = DEFAULT_ASSUMPTIONS.archiveMonths;
    const perMonth = 15_000 * DAYS_PER_MONTH * (ITEM['job-worker'] + 100) + 10_000 * DAYS_PER_MONTH * (ITEM.notifications + ITEM.payments + ITEM.analytics + 300);
    expect(find(e.lines, 'DynamoDB', /storage \(12 months, no TTL/).quantity).toBeCloseTo((perMonth * months) / GB, 8);
    expect(e.lines.some((l) => /point-in-time/.test(l.what))).toBe(false);
    expect(e.notes.join('\n')).toMatch(/no TTL, records are never deleted/);
  });

  it('checks peak writes against the table quota and a new table’s 4,000 WRU/s', () => {
    const rows = capacity(s, workload({ jobsPerDay: 75_000_000, eventsPerDay: 50_000_000 }));
    const peak = ((75_000_000 + 3 * 50_000_000) / 86_400) * 3 * 2; // 15,625 WRU/s
    const quota = rows.find((r) => /table quota/.test(r.check));
    const fresh = rows.find((r) => /new on-demand table/.test(r.check));
    expect(quota?.demand).toBeCloseTo(peak, 6);
    expect([quota?.status, fresh?.status]).toEqual(['ok', 'over']);
  });

  it('compares on-demand writes with WCUs provisioned for the peak; break-even at ~3.5× peak ÷ average', () => {
    const v = verdict(s, workload({ jobsPerDay: 1_500_000, eventsPerDay: 1_000_000 }), PRICES);
    const avgWru = ((1_500_000 + 3 * 1_000_000) / 86_400) * 2; // 104.17 WRU/s
    expect(v.dynamo?.onDemandUsd).toBeCloseTo(((avgWru * 730 * 3600) / 1e6) * 0.625, 6); // $171.09
    expect(v.dynamo?.provisionedWcu).toBe(313);
    expect(v.dynamo?.provisionedUsd).toBeCloseTo(313 * 730 * 0.00065, 10); // $148.52
    expect(v.dynamo?.breakEvenPeakFactor).toBeCloseTo((2.628 * 0.625) / (730 * 0.00065), 10); // 3.46
    expect(v.lines.join('\n')).toMatch(/DynamoDB idempotency writes: .* provisioned is cheaper on price alone/);
  });
});
