// npm run cost -- --jobs-per-day N --events-per-day M --avg-size KB [--consumers C] [--stage prod]
// Costs the synthesized template (cdk.out, or --assembly DIR, or a fresh synth into a temp dir) under a workload,
// with the Lambda durations the bench measured (tools/cost/measured.json, or --measured FILE) when there are any.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { STAGES, type Stage } from '../../lib/contract';
import { assemblyHasStage, readAssembly, type AssemblySettings } from './assembly';
import { DEFAULT_MEASURED_FILE, loadMeasured, type MeasuredDurations } from './measured';
import { capacity } from './capacity';
import { estimateMonthlyCost, EXAMPLES } from './model';
import { parseEventMix, type EventMix } from './traffic';
import { PRICES, priceTableMarkdown, type PriceTable } from './prices';
import { README_FILE, readmeBlock, replaceReadmeBlock } from './readme';
import { render, type Format, type Report } from './render';
import { verdict } from './verdict';
import { DEFAULT_ASSUMPTIONS, type Workload } from './workload';

export interface CliOptions {
  jobsPerDay?: number;
  eventsPerDay?: number;
  avgSize?: number;
  consumers?: number;
  stage?: Stage;
  assembly?: string;
  peakFactor: number;
  /** explicit duration for every function; undefined = measured (or assumed) */
  avgDurationMs?: number;
  /** --measured FILE, or false for --no-measured; undefined = tools/cost/measured.json if it exists */
  measured?: string | false;
  /** what parseOptions read from the measured file */
  measuredDurations?: MeasuredDurations;
  eventMix?: EventMix;
  producerBatch: number;
  logBytes: number;
  compressionRatio: number;
  archiveMonths: number;
  customMetrics: number;
  idempotencyResultBytes: number;
  format: Format;
  examples: boolean;
  prices: boolean;
  readme: boolean;
  writeReadme: boolean;
}

const number = (min: number, what: string) => (raw: string) => {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${what} must be a number, got "${raw}".`);
  if (n < min) throw new InvalidArgumentError(`${what} must be ≥ ${min}, got ${n}.`);
  return n;
};
const eventMix = (raw: string) => {
  try {
    return parseEventMix(raw);
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}.`);
  }
};
const integer = (min: number, what: string) => (raw: string) => {
  const n = number(min, what)(raw);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${what} must be a whole number, got ${n}.`);
  return n;
};

export function buildProgram(): Command {
  return new Command('cost')
    .description('Monthly AWS cost and capacity headroom of the synthesized template under a workload.')
    .option(
      '--jobs-per-day <n>',
      "all jobs through the SQS queue per day (the consumers' and outside producers')",
      number(0, '--jobs-per-day'),
    )
    .option('--events-per-day <n>', 'events put on the Kinesis stream per day', number(0, '--events-per-day'))
    .option('--avg-size <kb>', 'average job / event size in KB (1 KB = 1,024 bytes)', number(0.001, '--avg-size'))
    .option('--consumers <n>', "what-if number of Kinesis consumers (default: the template's)", integer(0, '--consumers'))
    .addOption(new Option('--stage <stage>', 'stage to synthesize/cost when there is no matching cdk.out').choices(STAGES))
    .option('--assembly <dir>', 'cloud assembly to read (default: cdk.out, synthesized if missing)')
    .option('--peak-factor <x>', 'peak ÷ average traffic, sizes capacity', number(1, '--peak-factor'), DEFAULT_ASSUMPTIONS.peakFactor)
    .option(
      '--event-mix <mix>',
      'share of each event type, e.g. OrderPlaced=0.5,OrderShipped=0.5 (default: an even split over the registered types)',
      eventMix,
    )
    .option(
      '--producer-batch <n>',
      'jobs per send request from producers outside the template (1 = SendMessage per job; 10 for producers built on enqueueJobs)',
      integer(1, '--producer-batch'),
      DEFAULT_ASSUMPTIONS.producerBatch,
    )
    .option(
      '--measured <file>',
      `Lambda durations measured by the bench (default: ${path.relative(process.cwd(), DEFAULT_MEASURED_FILE) || DEFAULT_MEASURED_FILE}, if it exists)`,
    )
    .option('--no-measured', 'ignore measured durations')
    .option(
      '--avg-duration-ms <ms>',
      'Lambda duration per invocation (batch) for every function, overriding the measured durations',
      number(1, '--avg-duration-ms'),
    )
    .option(
      '--log-bytes <bytes>',
      'CloudWatch log bytes per invocation',
      number(0, '--log-bytes'),
      DEFAULT_ASSUMPTIONS.logBytesPerInvocation,
    )
    .option(
      '--compression-ratio <x>',
      'archive size after gzip ÷ before',
      number(0.001, '--compression-ratio'),
      DEFAULT_ASSUMPTIONS.compressionRatio,
    )
    .option(
      '--archive-months <n>',
      'months of archive to cost storage for (capped by the bucket expiration)',
      number(0, '--archive-months'),
      DEFAULT_ASSUMPTIONS.archiveMonths,
    )
    .option('--custom-metrics <n>', 'custom (EMF) metrics published', integer(0, '--custom-metrics'), DEFAULT_ASSUMPTIONS.customMetrics)
    .option(
      '--idempotency-result-bytes <bytes>',
      'bytes of the result stored with each idempotency record',
      integer(0, '--idempotency-result-bytes'),
      DEFAULT_ASSUMPTIONS.idempotencyResultBytes,
    )
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'markdown']).default('table'))
    .option('--examples', 'print the three worked examples (small, medium, large) as Markdown for the README', false)
    .option('--prices', 'print the dated price table with sources as Markdown', false)
    .option('--readme', 'with --examples: print the cost section of docs/cost.md (compact examples + when on-demand / EFO pay off)', false)
    .option('--write-readme', 'with --readme: also replace the block between the cost markers in ./docs/cost.md', false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: (s) => process.stdout.write(s) });
}

/** Parses argv (without node and script); throws an Error with a readable message on bad or missing input. */
/** Thrown by parseOptions after --help printed the usage. */
export class HelpShown extends Error {}

export function parseOptions(argv: string[]): CliOptions {
  const program = buildProgram();
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError && e.code === 'commander.helpDisplayed') throw new HelpShown();
    if (e instanceof CommanderError) throw new Error(e.message.replace(/^error: /, ''));
    throw e;
  }
  const o = program.opts<CliOptions>();
  if (o.writeReadme) o.readme = true;
  if (o.producerBatch > 10)
    throw new Error(
      `option '--producer-batch <n>' argument '${o.producerBatch}' is invalid. --producer-batch must be ≤ 10 (SendMessageBatch's limit), got ${o.producerBatch}.`,
    );
  if (o.measured !== false)
    o.measuredDurations = loadMeasured(
      o.measured === undefined ? DEFAULT_MEASURED_FILE : path.resolve(o.measured),
      o.measured !== undefined,
    );
  if (o.readme && !o.examples) throw new Error('--readme goes with --examples');
  if (!o.examples && !o.prices) {
    const missing = (['jobsPerDay', 'eventsPerDay', 'avgSize'] as const)
      .filter((k) => o[k] === undefined)
      .map((k) => ({ jobsPerDay: '--jobs-per-day <n>', eventsPerDay: '--events-per-day <n>', avgSize: '--avg-size <kb>' })[k]);
    if (missing.length) throw new Error(`missing required volume option(s): ${missing.join(', ')} (or use --examples)`);
  }
  return o;
}

export function workloadOf(o: CliOptions, base?: Pick<Workload, 'jobsPerDay' | 'eventsPerDay' | 'avgSizeKb'>): Workload {
  return {
    jobsPerDay: base?.jobsPerDay ?? o.jobsPerDay ?? 0,
    eventsPerDay: base?.eventsPerDay ?? o.eventsPerDay ?? 0,
    avgSizeKb: base?.avgSizeKb ?? o.avgSize ?? 1,
    consumers: o.consumers,
    peakFactor: o.peakFactor,
    ...(o.avgDurationMs !== undefined ? { avgDurationMs: o.avgDurationMs } : {}),
    ...(o.measuredDurations ? { measured: o.measuredDurations } : {}),
    eventMix: o.eventMix ?? DEFAULT_ASSUMPTIONS.eventMix,
    producerBatch: o.producerBatch,
    logBytesPerInvocation: o.logBytes,
    compressionRatio: o.compressionRatio,
    archiveMonths: o.archiveMonths,
    customMetrics: o.customMetrics,
    idempotencyResultBytes: o.idempotencyResultBytes,
  };
}

export function buildReport(settings: AssemblySettings, workload: Workload, prices: PriceTable = PRICES): Report {
  return {
    settings,
    workload,
    estimate: estimateMonthlyCost(settings, workload, prices),
    headroom: capacity(settings, workload),
    verdict: verdict(settings, workload, prices),
  };
}

/** The assembly to read: --assembly, else cdk.out when it holds the stage, else a fresh synth into a temp dir. */
function locateAssembly(o: Pick<CliOptions, 'assembly' | 'stage'>, cwd = process.cwd()): string {
  if (o.assembly) return path.resolve(cwd, o.assembly);
  const cdkOut = path.join(cwd, 'cdk.out');
  if (fs.existsSync(path.join(cdkOut, 'manifest.json')) && (!o.stage || assemblyHasStage(cdkOut, o.stage))) return cdkOut;
  // Synthesize into a temp dir: other tools (the local cloud) own cdk.out.
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `queue-and-stream-cost-${o.stage ?? 'dev'}-`));
  // The model costs resources, which do not depend on whether the worker's ports are fakes: allow them, or a prod
  // synth would refuse (lib/compute-stack.ts, assertNoFakeSideEffects).
  const args = [
    'cdk',
    'synth',
    '--quiet',
    '-o',
    out,
    ...(o.stage === 'prod' ? ['-c', 'stage=prod', '-c', 'allowFakeSideEffects=true'] : []),
  ];
  process.stderr.write(`cost: no ${o.stage ?? ''} assembly in cdk.out; running npx ${args.join(' ')}\n`);
  const r = spawnSync('npx', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr ?? '');
    throw new Error(`cdk synth failed (exit ${r.status ?? r.signal}); pass --assembly <dir> to cost an existing assembly`);
  }
  return out;
}

export function examplesMarkdown(settings: AssemblySettings, o: CliOptions, command = 'npm run cost --'): string {
  const out: string[] = [];
  for (const ex of EXAMPLES) {
    const w = workloadOf(o, ex.workload);
    const flags = `--jobs-per-day ${ex.workload.jobsPerDay} --events-per-day ${ex.workload.eventsPerDay} --avg-size ${ex.workload.avgSizeKb}${o.stage ? ` --stage ${o.stage}` : ''}`;
    out.push(
      `#### ${ex.name[0].toUpperCase()}${ex.name.slice(1)}: ${ex.story}`,
      '',
      '```sh',
      `${command} ${flags} --format markdown`,
      '```',
      '',
    );
    out.push(render(buildReport(settings, w), 'markdown'), '');
  }
  return out.join('\n');
}

export function main(argv: string[]): number {
  let o: CliOptions;
  try {
    o = parseOptions(argv);
  } catch (e) {
    if (e instanceof HelpShown) return 0;
    process.stderr.write(`cost: ${(e as Error).message}\n`);
    return 2;
  }
  if (o.prices) {
    process.stdout.write(`${priceTableMarkdown()}\n`);
    if (!o.examples && o.jobsPerDay === undefined) return 0;
  }
  try {
    const dir = locateAssembly(o);
    const settings = readAssembly(dir, o.stage);
    if (!o.assembly && path.basename(dir).startsWith('queue-and-stream-cost-')) fs.rmSync(dir, { recursive: true, force: true });
    if (o.readme) {
      const block = readmeBlock(settings, o);
      if (o.writeReadme) {
        const file = path.resolve(README_FILE);
        fs.writeFileSync(file, replaceReadmeBlock(fs.readFileSync(file, 'utf8'), block));
        process.stderr.write(`cost: wrote the cost section of ${file}\n`);
      } else process.stdout.write(block);
    } else if (o.examples) process.stdout.write(`${examplesMarkdown(settings, o)}\n`);
    else process.stdout.write(`${render(buildReport(settings, workloadOf(o)), o.format)}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`cost: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
