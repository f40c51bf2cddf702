// `npm start`: the local cloud in a terminal. `npm run demo`: the scripted demo.
import * as path from 'node:path';
import { Command, Option, InvalidArgumentError } from 'commander';
import { LocalCloudError } from './assembly';
import { DEFAULT_KINESIS_ENGINE, KINESIS_ENGINES, type KinesisEngine } from './emulators';
import { DEFAULT_PORTS } from './ports';
import { DEFAULT_LAMBDA_API_PORT, StartAbortedError, startLocalCloud, type LocalCloud } from './index';
import { createStopRequests, onStopSignals } from './stop-signals';
import { createStatusSampler, formatBanner, formatStatusLine, formatStatusTable } from './status';
import { DEMO_TIME_SCALE, formatDemoSummary, runDemo } from './demo';
import { DEFAULT_CONSOLE_PORT } from './console/defaults';

interface CliOptions {
  assembly?: string;
  synth: boolean;
  timeScale?: number;
  kinesis: KinesisEngine;
  portSqs: number;
  portKinesis: number;
  portDynamodb: number;
  portLambda: number;
  /** --no-console sets it false */
  console: boolean;
  portConsole: number;
  stateDir: string;
  allowUnsupported?: boolean;
  keepArchive?: boolean;
  persist?: boolean;
  demo?: boolean;
  json?: boolean;
  deadline: number;
  quiet?: boolean;
}

function intArg(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${name} must be a port number (0 = any free port)`);
    return n;
  };
}

function positive(v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError('must be a positive number');
  return n;
}

export function buildProgram(): Command {
  return new Command('local-cloud')
    .description('Runs the synthesized CDK app on this machine: emulators, resources from cdk.out, local Lambda service.')
    .option('--assembly <dir>', 'run this synthesized cloud assembly (any cdk.out) instead of synthesizing the project')
    .option('--no-synth', 'reuse the last synthesized assembly in <state-dir>/cdk.out')
    .option('--time-scale <factor>', 'scale every wait the template implies (0.1 = ten times faster)', positive)
    .addOption(new Option('--kinesis <engine>', 'Kinesis emulator').choices(KINESIS_ENGINES as string[]).default(DEFAULT_KINESIS_ENGINE))
    .option('--port-sqs <port>', 'SQS + S3 port (fauxqs)', intArg('--port-sqs'), DEFAULT_PORTS.sqs)
    .option('--port-kinesis <port>', 'Kinesis port', intArg('--port-kinesis'), DEFAULT_PORTS.kinesis)
    .option('--port-dynamodb <port>', 'DynamoDB port (dynalite: idempotency records)', intArg('--port-dynamodb'), DEFAULT_PORTS.dynamodb)
    .option(
      '--port-lambda <port>',
      'Lambda Invoke API port (used by replay --target consumer:<name> and redrive events)',
      intArg('--port-lambda'),
      DEFAULT_LAMBDA_API_PORT,
    )
    .option('--port-console <port>', 'port of the local console (a web page on 127.0.0.1)', intArg('--port-console'), DEFAULT_CONSOLE_PORT)
    .option('--no-console', 'do not serve the local console')
    .option('--state-dir <dir>', 'where the assembly and endpoints.json go', '.local')
    .option('--allow-unsupported', 'warn about unsupported resource types instead of failing')
    .option(
      '--keep-archive',
      'keep the archive across restarts (a copy under <state-dir>/archive-copy, put back at start): restart with a new consumer and backfill it',
    )
    .option(
      '--persist',
      'keep queues, streams, buckets, idempotency records and stream positions on disk under <state-dir>/state: a restart with --persist loses nothing',
    )
    .option('--demo', 'run the scripted demo (jobs, a poison job, events, a malformed event) and exit')
    .option('--json', 'with --demo: print the summary as JSON')
    .option('--deadline <seconds>', 'with --demo: give up after this long', positive, 120)
    .option('--quiet', 'no function logs');
}

/** Prints a one-line error (with any captured tool output above it) and returns the exit code. */
function reportError(err: unknown): number {
  if (err instanceof LocalCloudError) {
    if (err.details) console.error(err.details.trimEnd());
    console.error(`error: ${err.message}`);
  } else {
    console.error(`error: ${(err as Error)?.stack ?? String(err)}`);
  }
  return 1;
}

async function runDemoCommand(opts: CliOptions): Promise<number> {
  // Ctrl-C ends the demo at once; the 'exit' hooks remove its endpoints file and lock, its functions follow us
  const removeSignals = onStopSignals(() => {
    console.error('\ndemo interrupted');
    process.exit(130);
  });
  try {
    const summary = await runDemo({
      ...(opts.assembly ? { assemblyDir: opts.assembly } : {}),
      synth: opts.assembly ? false : opts.synth,
      timeScale: opts.timeScale ?? DEMO_TIME_SCALE,
      kinesis: opts.kinesis,
      // the demo must not collide with a running `npm start`: any free ports unless asked
      ports: {
        sqs: opts.portSqs === DEFAULT_PORTS.sqs ? 0 : opts.portSqs,
        kinesis: opts.portKinesis === DEFAULT_PORTS.kinesis ? 0 : opts.portKinesis,
        dynamodb: opts.portDynamodb === DEFAULT_PORTS.dynamodb ? 0 : opts.portDynamodb,
      },
      lambdaPort: opts.portLambda === DEFAULT_LAMBDA_API_PORT ? 0 : opts.portLambda,
      stateDir: path.join(opts.stateDir, 'demo'),
      deadlineSeconds: opts.deadline,
      log: opts.json ? () => undefined : (line) => console.error(line),
    });
    console.log(opts.json ? JSON.stringify(summary, null, 2) : formatDemoSummary(summary).join('\n'));
    if (!summary.ok) console.error(`error: demo failed: ${summary.failure}`);
    return summary.ok ? 0 : 1;
  } catch (err) {
    return reportError(err);
  } finally {
    removeSignals();
  }
}

async function runInteractive(opts: CliOptions): Promise<number> {
  const tty = Boolean(process.stdout.isTTY);
  let drawn = 0;
  const clearTable = (): void => {
    if (tty && drawn > 0) process.stdout.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  let cloud: LocalCloud | undefined;
  let interrupted = false;
  let stopping: Promise<void> | undefined;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const aborter = new AbortController();
  const stop = (): void => {
    if (!cloud) return; // still starting: the abort below ends the start, and the start's caller stops
    stopping ??= cloud.stop().then(() => {
      console.error(`stopped: functions, pollers and emulators are down, ${path.join(opts.stateDir, 'endpoints.json')} removed`);
      finish(0);
    });
  };
  // One Ctrl-C is one clean stop: copies of the signal that launchers relay within the window are the same
  // request (see stop-signals.ts); only a later one forces, and even then the exit hooks remove endpoints.json.
  const removeSignals = onStopSignals(
    createStopRequests({
      onStop: () => {
        interrupted = true;
        clearTable();
        console.error('\nstopping ... (Ctrl-C again to force)');
        aborter.abort();
        stop();
      },
      onForce: () => {
        console.error('\nforced exit');
        process.exit(130);
      },
      onRepeat: (signal, ms) => {
        if (process.env['QS_DEBUG']) console.error(`(${signal} again after ${ms} ms: the same stop request, relayed)`);
      },
    }),
  );
  try {
    cloud = await startLocalCloud({
      ...(opts.assembly ? { assemblyDir: opts.assembly } : {}),
      synth: opts.assembly ? false : opts.synth,
      timeScale: opts.timeScale ?? 1,
      kinesis: opts.kinesis,
      ports: { sqs: opts.portSqs, kinesis: opts.portKinesis, dynamodb: opts.portDynamodb },
      lambdaPort: opts.portLambda,
      stateDir: opts.stateDir,
      allowUnsupported: opts.allowUnsupported,
      keepArchive: opts.keepArchive === true,
      persist: opts.persist === true,
      console: opts.console
        ? {
            port: opts.portConsole,
            log: (line: string) => {
              clearTable();
              console.log(line);
            },
          }
        : false,
      quiet: opts.quiet,
      signal: aborter.signal,
      ...(opts.quiet
        ? {}
        : {
            onFunctionLog: (l: { functionName: string; stream: string; line: string }) => {
              clearTable();
              console.log(`[${l.functionName}] ${l.line}`);
            },
          }),
      onFatal: (err) => {
        clearTable();
        reportError(err);
        finish(1);
      },
    });
  } catch (err) {
    removeSignals();
    if (interrupted || err instanceof StartAbortedError) {
      // Ctrl-C during the synth: the synth died with it (or was stopped); that is a stop, not an error
      console.error('stopped before the local cloud was ready: nothing is left running');
      return 0;
    }
    return reportError(err);
  }
  if (interrupted) {
    await cloud.stop();
    removeSignals();
    console.error('stopped: nothing is left running');
    return 0;
  }
  console.log(formatBanner(cloud).join('\n'));
  const sampler = createStatusSampler(cloud.topology, cloud.roles, cloud.stats);
  let busy = false;
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
    if (busy || interrupted || (!tty && ticks % 10 !== 0)) return; // not a TTY: one line every ~10 s
    busy = true;
    sampler
      .sample()
      .then((s) => {
        if (interrupted) return;
        if (tty) {
          clearTable();
          const lines = formatStatusTable(s);
          process.stdout.write(`${lines.join('\n')}\n`);
          drawn = lines.length;
        } else {
          console.log(formatStatusLine(s));
        }
      })
      .catch(() => undefined) // an emulator stopping mid-sample: the next tick (or the fatal handler) tells
      .finally(() => (busy = false));
  }, 1000);
  const code = await done;
  clearInterval(timer);
  sampler.close();
  await stopping;
  removeSignals();
  return code;
}

export async function main(argv: string[]): Promise<number> {
  // npm start runs on the project's Node 24; started by hand on an older Node, the SDK's "Node < 22" notice need
  // not repeat on every run (the emulators refuse such a Node anyway, with one line saying how to start it).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const program = buildProgram();
  program.parse(argv);
  const opts = program.opts<CliOptions>();
  if (opts.json && !opts.demo) {
    console.error('error: --json applies to --demo only');
    return 2;
  }
  return opts.demo ? runDemoCommand(opts) : runInteractive(opts);
}

if (require.main === module) {
  main(process.argv).then(
    (code) => process.exit(code),
    (err) => process.exit(reportError(err)),
  );
}
