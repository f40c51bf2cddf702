import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStacks, readAssembly, settingsFromStacks, type AssemblySettings } from '../../tools/cost/assembly';
import {
  capacity,
  DEFAULT_ASSUMPTIONS,
  estimateMonthlyCost,
  firehoseBilledBytes,
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
