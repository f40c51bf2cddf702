import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { examplesMarkdown, main, parseOptions } from '../../tools/cost/cli';
import { readAssembly } from '../../tools/cost/assembly';

const FIXTURE = path.join(__dirname, '../fixtures/cost/assembly');

function capture(argv: string[]) {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
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
      '--jobs-per-day', '1500', '--events-per-day', '1000', '--avg-size', '2.5', '--consumers', '5',
      '--stage', 'prod', '--peak-factor', '4', '--avg-duration-ms', '250', '--format', 'json',
    ]);
    expect(o).toMatchObject({ jobsPerDay: 1500, eventsPerDay: 1000, avgSize: 2.5, consumers: 5, stage: 'prod', peakFactor: 4, avgDurationMs: 250, format: 'json' });
  });

  it('applies the stated defaults', () => {
    const o = parseOptions(['--jobs-per-day', '1', '--events-per-day', '1', '--avg-size', '1']);
    expect(o).toMatchObject({ peakFactor: 3, avgDurationMs: 100, format: 'table', examples: false });
  });

  it('rejects a negative volume, naming the flag', () => {
    expect(() => parseOptions(['--jobs-per-day', '-5', '--events-per-day', '1', '--avg-size', '1'])).toThrow(/--jobs-per-day must be ≥ 0, got -5/);
  });

  it('rejects a volume that is not a number', () => {
    expect(() => parseOptions(['--jobs-per-day', '1', '--events-per-day', 'lots', '--avg-size', '1'])).toThrow(/--events-per-day must be a number, got "lots"/);
  });

  it('rejects missing volumes, listing each one', () => {
    expect(() => parseOptions(['--events-per-day', '1'])).toThrow(/missing required volume option\(s\): --jobs-per-day <n>, --avg-size <kb>/);
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
    expect(r.out).toMatch(/^\nGenerated from the synthesized default template by `npm run cost -- --examples --stage prod --readme --write-readme`/);
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
