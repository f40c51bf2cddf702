import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { examplesMarkdown, main, parseOptions, workloadOf } from '../../tools/cost/cli';
import { readAssembly } from '../../tools/cost/assembly';
import { eventTypes } from '../../lambdas/shared/registry';

const FIXTURE = path.join(__dirname, '../fixtures/cost/assembly');
const MANIFEST_FIXTURE = path.join(__dirname, '../fixtures/cost/assembly-manifest');
const MEASURED = path.join(__dirname, '../fixtures/cost/measured.json');

function capture(argv: string[]) {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    const code = main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('cost CLI flags', () => {
  it('parses the volumes and assumptions as numbers', () => {
    const o = parseOptions([
      '--jobs-per-day',
      '1500',
      '--events-per-day',
      '1000',
      '--avg-size',
      '2.5',
      '--consumers',
      '5',
      '--stage',
      'prod',
      '--peak-factor',
      '4',
      '--avg-duration-ms',
      '250',
      '--format',
      'json',
    ]);
    expect(o).toMatchObject({
      jobsPerDay: 1500,
      eventsPerDay: 1000,
      avgSize: 2.5,
      consumers: 5,
      stage: 'prod',
      peakFactor: 4,
      avgDurationMs: 250,
      format: 'json',
    });
  });

  it('applies the stated defaults: no duration override, outside producers one job per request, the even event mix', () => {
    const o = parseOptions(['--jobs-per-day', '1', '--events-per-day', '1', '--avg-size', '1', '--no-measured']);
    expect(o).toMatchObject({ peakFactor: 3, producerBatch: 1, format: 'table', examples: false, measured: false });
    expect(o.avgDurationMs).toBeUndefined();
    expect(o.measuredDurations).toBeUndefined();
    expect(workloadOf(o).eventMix).toEqual(Object.fromEntries(eventTypes.map((t) => [t, 1 / eventTypes.length])));
  });

  it('parses the event mix, the outside producers’ batch and a measured file', () => {
    const o = parseOptions(['--examples', '--event-mix', 'OrderPlaced=3,OrderShipped=1', '--producer-batch', '10', '--measured', MEASURED]);
    expect(o.eventMix).toEqual({ OrderPlaced: 0.75, OrderShipped: 0.25 });
    expect(o.producerBatch).toBe(10);
    expect(o.measuredDurations).toMatchObject({
      generatedAt: '2026-11-28T09:00:00.000Z',
      latencyMs: { dynamodb: 5, sqs: 8 },
      file: MEASURED,
    });
    expect(workloadOf(o).measured?.worker).toEqual({ msPerInvocationBatch1: 40, msPerInvocationBatch10: 220 });
  });

  it('rejects a bad event mix, a producer batch over 10 and a measured file that is not there', () => {
    expect(() => parseOptions(['--examples', '--event-mix', 'OrderPaid=1'])).toThrow(
      /--event-mix.*"OrderPaid" is not a registered event type/,
    );
    expect(() => parseOptions(['--examples', '--producer-batch', '11'])).toThrow(/--producer-batch must be ≤ 10/);
    expect(() => parseOptions(['--examples', '--measured', '/nonexistent/measured.json'])).toThrow(
      /no measured durations at \/nonexistent\/measured\.json/,
    );
  });

  it('rejects a negative volume, naming the flag', () => {
    expect(() => parseOptions(['--jobs-per-day', '-5', '--events-per-day', '1', '--avg-size', '1'])).toThrow(
      /--jobs-per-day must be ≥ 0, got -5/,
    );
  });

  it('rejects a volume that is not a number', () => {
    expect(() => parseOptions(['--jobs-per-day', '1', '--events-per-day', 'lots', '--avg-size', '1'])).toThrow(
      /--events-per-day must be a number, got "lots"/,
    );
  });

  it('rejects missing volumes, listing each one', () => {
    expect(() => parseOptions(['--events-per-day', '1'])).toThrow(
      /missing required volume option\(s\): --jobs-per-day <n>, --avg-size <kb>/,
    );
  });

  it('rejects an unknown format or stage', () => {
    expect(() => parseOptions(['--jobs-per-day', '1', '--events-per-day', '1', '--avg-size', '1', '--format', 'xml'])).toThrow(/--format/);
    expect(() => parseOptions(['--jobs-per-day', '1', '--events-per-day', '1', '--avg-size', '1', '--stage', 'qa'])).toThrow(/--stage/);
  });

  it('does not need volumes for --examples', () => {
    expect(parseOptions(['--examples']).examples).toBe(true);
  });

  it('takes --readme only with --examples, and --write-readme implies --readme', () => {
    expect(() => parseOptions(['--readme'])).toThrow(/--readme goes with --examples/);
    expect(parseOptions(['--examples', '--write-readme'])).toMatchObject({ readme: true, writeReadme: true });
  });

  it('parses the stored idempotency result size', () => {
    expect(parseOptions(['--examples']).idempotencyResultBytes).toBe(100);
    expect(parseOptions(['--examples', '--idempotency-result-bytes', '400']).idempotencyResultBytes).toBe(400);
    expect(() => parseOptions(['--examples', '--idempotency-result-bytes', '-1'])).toThrow(/--idempotency-result-bytes must be ≥ 0/);
  });
});

describe('cost CLI run', () => {
  it('prints line items, total, headroom and verdict for an assembly', () => {
    const r = capture(['--assembly', FIXTURE, '--jobs-per-day', '15000', '--events-per-day', '10000', '--avg-size', '2']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 provisioned shards\s+1,460\s+shard-hour\s+\$0\.015\s+\$21\.90/);
    expect(r.out).toMatch(/TOTAL \$\d+\.\d\d per month/);
    expect(r.out).toMatch(/GetRecords calls\/s per shard/);
    expect(r.out).toMatch(/Verdict:/);
  });

  it('costs the manifest template with measured durations: worker-only idempotency, batched sends, PF and concurrency advice', () => {
    // the fixture's two event types, half each (the default, an even split, would follow the registry)
    const r = capture([
      '--assembly',
      MANIFEST_FIXTURE,
      '--measured',
      MEASURED,
      '--jobs-per-day',
      '75000000',
      '--events-per-day',
      '50000000',
      '--avg-size',
      '2',
      '--event-mix',
      'OrderPlaced=1,OrderShipped=1',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /Assumptions: peak 3× average, events OrderPlaced 50 % \/ OrderShipped 50 %, Lambda durations measured 2026-11-28 by test fixture .* under DynamoDB 5 ms \/ SQS 8 ms latency/,
    );
    expect(r.out).toMatch(/payments: batch 100, PF 1, filter: OrderPlaced, enqueues jobs/);
    expect(r.out).toMatch(/idempotency records of job-worker;/);
    // 4,562.5 M WRU × $0.625
    expect(r.out).toMatch(
      /job-worker: idempotency writes \(claim \+ complete, 2 WRU per record\)\s+4,563\s+1M WRU\s+\$0\.625\s+\$2,851\.56/,
    );
    expect(r.out).not.toMatch(/(notifications|payments|analytics): idempotency writes/);
    // 50 M jobs/day in requests of 10: 152.1 M requests × $0.40
    expect(r.out).toMatch(
      /SendMessageBatch by notifications \(jobs for every event: ~100\.0 per invocation, ~10\.0 per request\)\s+152\s+1M requests\s+\$0\.4\s+\$60\.83/,
    );
    expect(r.out).toMatch(
      /payments: 256 MB arm64 × 228 ms per invocation \(measured 2026-11-28 under DynamoDB 5 ms \/ SQS 8 ms latency: 28 \+ 2 ms × 100\.0 records\)/,
    );
    expect(r.out).toMatch(
      /notifications: records\/s per shard at peak \(every event\) vs processed at PF 1 \(batch 100 in 228 ms, measured\)\s+868\s+439\s+records\/s\s+198%\s+over: needs PF 2/,
    );
    expect(r.out).toMatch(
      /job-worker: concurrent executions at peak .*\s+57\.29\s+50\s+executions\s+115%\s+over: needs MaximumConcurrency 58/,
    );
    expect(r.out).toMatch(/\* IdempotencyTable3F4E5D6C: a new on-demand table serves 4,000 write units\/s at first/);
    expect(r.out).not.toMatch(/no measured durations/);
  });

  it('says so when there are no measured durations, and takes --avg-duration-ms for every function', () => {
    const none = capture([
      '--assembly',
      MANIFEST_FIXTURE,
      '--no-measured',
      '--jobs-per-day',
      '15000',
      '--events-per-day',
      '10000',
      '--avg-size',
      '2',
    ]);
    expect(none.code).toBe(0);
    expect(none.out).toMatch(/100 ms per invocation \(assumed: no measured durations\)/);
    expect(none.out).toMatch(
      /- no measured durations \(tools\/cost\/measured\.json, written by `npm run bench` figure 7, is absent\): assuming 100 ms per invocation/,
    );
    const fixed = capture([
      '--assembly',
      MANIFEST_FIXTURE,
      '--measured',
      MEASURED,
      '--avg-duration-ms',
      '250',
      '--jobs-per-day',
      '15000',
      '--events-per-day',
      '10000',
      '--avg-size',
      '2',
    ]);
    expect(fixed.out).toMatch(/notifications: 256 MB arm64 × 250 ms per invocation \(--avg-duration-ms\)/);
  });

  it('exits 2 naming the measured file when it is not there', () => {
    const r = capture(['--assembly', FIXTURE, '--measured', 'nope.json', '--examples']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^cost: no measured durations at .*nope\.json/);
  });

  it('prints JSON that carries the same total as the line items', () => {
    const r = capture(['--assembly', FIXTURE, '--jobs-per-day', '1', '--events-per-day', '1', '--avg-size', '1', '--format', 'json']);
    const j = JSON.parse(r.out) as { estimate: { total: number; lines: { usd: number }[] } };
    expect(j.estimate.total).toBeCloseTo(
      j.estimate.lines.reduce((t, l) => t + l.usd, 0),
      10,
    );
  });

  it('exits 2 with a clear message on a bad flag', () => {
    const r = capture(['--assembly', FIXTURE, '--jobs-per-day', '-1', '--events-per-day', '1', '--avg-size', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^cost: .*--jobs-per-day must be ≥ 0/);
    expect(r.out).toBe('');
  });

  it('exits 1 naming the directory when the assembly is not one', () => {
    const r = capture(['--assembly', __dirname, '--jobs-per-day', '1', '--events-per-day', '1', '--avg-size', '1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no manifest\.json in .*test\/tools: not a cloud assembly/);
  });

  it('prints the README block: per-service totals including DynamoDB, and the pay-off sentences', () => {
    const r = capture(['--assembly', FIXTURE, '--examples', '--readme']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^\nGenerated from the synthesized default template by `npm run cost -- --examples --stage prod --readme --write-readme`/,
    );
    expect(r.out.match(/\| \*\*total\*\* \| \*\*\$[\d,.]+\*\* \|/g)).toHaveLength(3);
    expect(r.out).toMatch(/\| DynamoDB \| \$[\d,.]+ \|/);
    expect(r.out).toMatch(/### When on-demand, provisioned and enhanced fan-out pay off\n\nFor the small \/ medium \/ large examples/);
  });

  it('renders the three README examples in increasing order of cost', () => {
    const md = examplesMarkdown(readAssembly(FIXTURE), parseOptions(['--examples']));
    const totals = [...md.matchAll(/\*\*Total: \$([\d,.]+) per month\*\*/g)].map((m) => Number(m[1].replace(/,/g, '')));
    expect(md).toMatch(/#### Small: /);
    expect(md).toMatch(/#### Medium: /);
    expect(md).toMatch(/#### Large: /);
    expect(totals).toHaveLength(3);
    expect(totals[0]).toBeLessThan(totals[1]);
    expect(totals[1]).toBeLessThan(totals[2]);
  });
});
