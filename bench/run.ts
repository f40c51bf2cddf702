/**
 * `npm run bench [-- --quick] [-- --only 1,2] [-- --report-only]` (`-- --help`): measures figures 1–7 of the benchmark issues on this machine and
 * writes bench/results.json and BENCHMARKS.md (a quick or partial run writes to a temp directory instead, so it
 * never overwrites the committed full results). Figure 7 also writes tools/cost/measured.json on any run that is
 * not --quick (a full run, or --only 7), for the cost model.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { bundlesFigure } from './figures/bundles';
import { capacityFigure, DEFAULT_LATENCY_MS, MEASURED_FILE } from './figures/capacity';
import { endToEndFigure, scalingFigure } from './figures/end-to-end';
import { handlerOverheadFigure } from './figures/handler-overhead';
import { producersFigure } from './figures/producers';
import { synthFigure, synthOnce } from './figures/synth';
import { MISS_ANALYSES } from './analysis';
import { loadSavedProfiles } from './lib/cpu-profile';
import { machineInfo } from './lib/machine';
import type { BenchOptions, BenchResults, FigureResult, Row } from './lib/types';
import { formatNumber, renderReport, verdict } from './report';

const METHOD = [
  'Every figure is a ratio against a baseline measured in the same run, on the same machine, in the same process tree.',
  'Variants are interleaved (A, B, B, A, A, B…), never all A then all B, because this 2-core machine is noisy; values are medians, n per row.',
  'Loopback only: emulators are started by the bench on 127.0.0.1 with OS-chosen ports; nothing reaches AWS.',
  'Every loop is bounded (sample counts, per-process and per-phase timeouts); a figure that cannot run says why instead of showing a number.',
  'No test asserts a time: performance lives here. Unit tests (test/bench) cover the pure helpers (median, percentile, interleaving, rendering).',
];

interface Args {
  readonly quick: boolean;
  readonly only: Set<string> | null;
  readonly reportOnly: boolean;
  /** Figure 7's per-call latencies (ms). */
  readonly latencyMs: { readonly dynamodb: number; readonly sqs: number };
}

/** A latency option: a number of ms in [0, 1000]. */
function latencyOption(value: string): number {
  const ms = Number(value);
  if (value.trim() === '' || !Number.isFinite(ms) || ms < 0 || ms > 1000) throw new InvalidArgumentError('a latency in ms, 0–1000');
  return ms;
}

function parseArgs(argv: readonly string[]): Args {
  const program = new Command('npm run bench --')
    .description('Measures figures 1–7 (BENCHMARKS.md) on this machine; a full run rewrites bench/results.json and BENCHMARKS.md.')
    .option('--quick', 'small counts, one round: a smoke run written to a temp directory, not the committed report')
    .option('--only <figures>', 'comma-separated figure numbers, e.g. 1,3 (a partial run is written to a temp directory)')
    .option('--report-only', 'measure nothing: re-render BENCHMARKS.md from bench/results.json')
    .option('--latency-dynamodb-ms <ms>', 'figure 7: latency added to every DynamoDB call', latencyOption, DEFAULT_LATENCY_MS.dynamodb)
    .option('--latency-sqs-ms <ms>', 'figure 7: latency added to every SQS call', latencyOption, DEFAULT_LATENCY_MS.sqs)
    .allowExcessArguments(false)
    .parse(argv, { from: 'user' });
  const o = program.opts<{ quick?: boolean; only?: string; reportOnly?: boolean; latencyDynamodbMs: number; latencySqsMs: number }>();
  const only = o.only === undefined ? null : new Set(o.only.split(',').map((s) => s.trim()));
  for (const id of only ?? []) if (!/^[1-7]$/.test(id)) program.error(`--only takes figure numbers 1–7 (got "${id}")`);
  return {
    quick: o.quick === true,
    only,
    reportOnly: o.reportOnly === true,
    latencyMs: { dynamodb: o.latencyDynamodbMs, sqs: o.latencySqsMs },
  };
}

async function figure(id: string, title: string, log: (l: string) => void, run: () => Promise<FigureResult>): Promise<FigureResult> {
  log(`figure ${id}: ${title}`);
  try {
    return await run();
  } catch (error) {
    log(`  failed: ${(error as Error).message}`);
    return { id, title, method: '', rows: [], skipped: `failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

function printRow(id: string, row: Row): string {
  const base = row.baseline ? ` vs ${formatNumber(row.baseline.value)} ${row.baseline.unit}` : '';
  const ratio = row.ratio === undefined ? '' : ` (${formatNumber(row.ratio)}×)`;
  const target = row.target ? ` target ${row.target.text}: ${verdict(row).replace(/\*/g, '')}` : '';
  return `  [${id}] ${row.name}: ${formatNumber(row.value)} ${row.unit}${base}${ratio}${target}`;
}

async function main(): Promise<void> {
  // The SDK warns once per client on Node 20 (NodeVersionSupportWarning); the bench output is the table.
  process.removeAllListeners('warning');
  process.on('warning', (w) =>
    /NodeVersionSupportWarning|node >=22/.test(`${w.name} ${w.message}`) ? undefined : console.error(`warning: ${w.message}`),
  );

  const { quick, only, reportOnly, latencyMs } = parseArgs(process.argv.slice(2));
  const root = path.resolve(__dirname, '..');
  if (reportOnly) {
    // Re-renders BENCHMARKS.md from bench/results.json (after a change to the report's wording), measuring nothing.
    const saved = JSON.parse(fs.readFileSync(path.join(root, 'bench', 'results.json'), 'utf8')) as BenchResults;
    fs.writeFileSync(
      path.join(root, 'BENCHMARKS.md'),
      renderReport(saved, MISS_ANALYSES, loadSavedProfiles(path.join(root, 'bench', 'profiles'))),
    );
    console.log('rewrote BENCHMARKS.md from bench/results.json');
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-bench-'));
  const log = (line: string): void => console.error(line);
  const options: BenchOptions = { quick, root, tmp, log };
  const wants = (id: string): boolean => only === null || only.has(id);
  const started = Date.now();
  const machine = machineInfo();
  log(`bench (${quick ? 'quick' : 'full'}) on Node ${machine.node}, ${machine.cpuModel}, ${machine.cores} cores; scratch ${tmp}`);

  const figures: FigureResult[] = [];
  try {
    // Figure 6 first: its last synth of the project is the assembly figures 1, 4 and 7 read.
    let assemblyDir = '';
    if (wants('6')) {
      const synth = await figure('6', 'cdk synth wall time and memory', log, async () => {
        const s = await synthFigure(options);
        assemblyDir = s.assemblyDir;
        return s.result;
      });
      figures.push(synth);
    }
    if (!assemblyDir && (wants('1') || wants('4') || wants('7'))) {
      log('synthesizing the assembly for figures 1, 4 and 7');
      assemblyDir = path.join(tmp, 'synth-assembly');
      await synthOnce(options, assemblyDir);
    }
    if (wants('1')) figures.push(await figure('1', 'Handler bundles', log, () => bundlesFigure(options, assemblyDir)));
    if (wants('2')) figures.push(await figure('2', 'Producers against the local emulators', log, () => producersFigure(options)));
    if (wants('3')) figures.push(await figure('3', 'Handler framework overhead', log, () => handlerOverheadFigure(options)));
    if (wants('4')) {
      // 3000 events: a burst's last partial batch per shard waits the mappings' 1 s batching window (as on AWS), a
      // fixed tail that a 1000-event burst of ≈ 2 s would count as half its time (figure 4's method)
      const settings = {
        assemblyDir,
        events: quick ? 300 : 3000,
        jobs: quick ? 300 : 2000,
        rounds: quick ? 1 : 3,
        phaseTimeoutMs: 300_000,
      };
      figures.push(await figure('4', 'End to end on the local cloud', log, () => endToEndFigure(options, settings)));
    }
    if (wants('5')) {
      const settings = {
        events: quick ? 200 : 500,
        jobs: quick ? 300 : 1000,
        rounds: quick ? 1 : 2,
        phaseTimeoutMs: 300_000,
        shardCounts: [1, 2, 4],
        pollers: [1, 2, 4],
        ...(assemblyDir ? { assemblyDir } : {}),
      };
      figures.push(await figure('5', 'Scaling', log, () => scalingFigure(options, settings)));
    }
    if (wants('7')) {
      let measured: unknown;
      figures.push(
        await figure('7', 'Consumer capacity under AWS-like latency', log, async () => {
          const c = await capacityFigure(options, { assemblyDir, latencyMs });
          measured = c.measured;
          if (!c.measured) log(`  ${MEASURED_FILE} not written: ${c.measuredMissing}`);
          return c.result;
        }),
      );
      // Only from a run with the full counts (not --quick): the cost model reads it as this machine's measurement.
      if (measured !== undefined && !quick) {
        fs.writeFileSync(path.join(root, MEASURED_FILE), `${JSON.stringify(measured, null, 2)}\n`);
        log(`  wrote ${MEASURED_FILE}`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  figures.sort((a, b) => Number(a.id) - Number(b.id));

  const results: BenchResults = {
    schema: 1,
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine,
    method: METHOD,
    figures,
    durationMs: Date.now() - started,
  };
  const partial = quick || only !== null;
  const outDir = partial ? fs.mkdtempSync(path.join(os.tmpdir(), 'qs-bench-report-')) : root;
  const jsonFile = partial ? path.join(outDir, 'results.json') : path.join(root, 'bench', 'results.json');
  const mdFile = path.join(outDir, 'BENCHMARKS.md');
  fs.writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(mdFile, renderReport(results, MISS_ANALYSES, loadSavedProfiles(path.join(root, 'bench', 'profiles'))));

  console.log(`\nresults (${results.mode}, ${Math.round(results.durationMs / 1000)} s):`);
  for (const f of figures) {
    if (f.skipped !== undefined) console.log(`  [${f.id}] ${f.title}: SKIPPED — ${f.skipped}`);
    for (const row of f.rows) console.log(printRow(f.id, row));
  }
  console.log(
    `\nwrote ${path.relative(process.cwd(), jsonFile) || jsonFile} and ${path.relative(process.cwd(), mdFile) || mdFile}${partial ? ' (quick/partial run: not the committed report)' : ''}`,
  );
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
