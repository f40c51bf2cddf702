/** What every operator command shares: where it points, numbers from flags, one-line errors, output. */
import { InvalidArgumentError, type Command } from 'commander';
import { messageOf, OpsError } from './errors';
import { createProgress, type ProgressSink } from './progress';
import { createOpsClients, resolveEnvironment, type OpsClients, type OpsEnvironment } from './resolve-stage';

// The SDK's Node 20 end-of-support notice would open every command's output.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

export interface CommonFlags {
  local?: boolean;
  stage?: string;
  json?: boolean;
  quiet?: boolean;
}

export function addCommonOptions(command: Command): Command {
  return command
    .option('--local', 'the local cloud (.local/endpoints.json); the default when that file exists')
    .option('--stage <stage>', 'a deployed stage: dev or prod (stack outputs of QueueAndStream-<Stage>-Stateful, standard AWS credentials)')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--quiet', 'no progress output');
}

async function openEnvironment(flags: CommonFlags): Promise<{ env: OpsEnvironment; clients: OpsClients }> {
  const env = await resolveEnvironment({
    ...(flags.local ? { local: true } : {}),
    ...(flags.stage !== undefined ? { stage: flags.stage } : {}),
  });
  return { env, clients: createOpsClients(env) };
}

/** Opens the environment the flags point at, runs `run` with its clients, and closes them whatever happens. */
export async function withEnvironment<T>(flags: CommonFlags, run: (env: OpsEnvironment, clients: OpsClients) => Promise<T>): Promise<T> {
  const { env, clients } = await openEnvironment(flags);
  try {
    return await run(env, clients);
  } finally {
    clients.destroy();
  }
}

/**
 * Ctrl-C for a resumable run: the first aborts `signal` (the run stops after its current `unit` and saves its
 * checkpoint), a second quits at once. `dispose` removes the handler.
 */
function interruptible(unit: string): { signal: AbortSignal; dispose: () => void } {
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write(`\ninterrupted: finishing the current ${unit} and saving the checkpoint (Ctrl-C again to quit now)\n`);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: abort.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/** The flags of a command that invokes a consumer's function with batches (replay to a consumer, rewind, redrive events). */
export interface DeliveryFlags {
  batchSize?: number;
  maxRetries?: number;
}

/** Adds --batch-size and --max-retries; `scope` prefixes their help (e.g. 'consumer target: '). */
export function addDeliveryOptions(command: Command, scope = ''): Command {
  return command
    .option('--batch-size <n>', `${scope}records per invocation (default: the mapping's batch size)`, positiveInt('--batch-size'))
    .option(
      '--max-retries <n>',
      `${scope}retries of a failed batch tail before giving up on it (default 3)`,
      nonNegativeInt('--max-retries'),
    );
}

/** The flags of a resumable run (replay, rewind): the delivery flags, --dry-run, --checkpoint and --restart. */
export interface ResumableFlags extends CommonFlags, DeliveryFlags {
  dryRun?: boolean;
  checkpoint?: string;
  restart?: boolean;
}

/** Adds --checkpoint and --restart; `run` names the default checkpoint file (.local/<run>-<hash of the arguments>.json). */
export function addCheckpointOptions(command: Command, run: string): Command {
  return command
    .option('--checkpoint <file>', `progress file for resuming (default .local/${run}-<hash of the arguments>.json)`)
    .option('--restart', 'ignore an existing checkpoint and start over');
}

/** The run options a resumable run's flags set, with the run's abort signal and progress sink. */
const resumableOptionsOf = (flags: ResumableFlags, signal: AbortSignal) => ({
  dryRun: flags.dryRun ?? false,
  ...(flags.checkpoint ? { checkpointFile: flags.checkpoint } : {}),
  restart: flags.restart ?? false,
  ...deliveryOptionsOf(flags),
  signal,
  progress: progressFor(flags),
});

/**
 * A resumable run (replay, rewind) against the environment the flags point at: `run` gets the run options its flags
 * set, whose `signal` Ctrl-C aborts while it runs (interruptible); its summary is reported (reportSummary, as its
 * `lines`) and the exit status returned.
 */
export function runResumable<S extends { readonly failed: number; readonly interrupted?: boolean }>(
  flags: ResumableFlags,
  unit: string,
  run: (env: OpsEnvironment, clients: OpsClients, options: ReturnType<typeof resumableOptionsOf>) => Promise<S>,
  lines: (summary: S) => string[],
): Promise<number> {
  return withEnvironment(flags, async (env, clients) => {
    const stop = interruptible(unit);
    try {
      const summary = await run(env, clients, resumableOptionsOf(flags, stop.signal));
      return reportSummary(flags, summary, () => lines(summary));
    } finally {
      stop.dispose();
    }
  });
}

/** The run options --batch-size and --max-retries set (none when they are not given). */
export const deliveryOptionsOf = (flags: DeliveryFlags): { batchSize?: number; maxRetries?: number } => ({
  ...(flags.batchSize ? { batchSize: flags.batchSize } : {}),
  ...(flags.maxRetries !== undefined ? { maxRetries: flags.maxRetries } : {}),
});

export const positiveInt =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer`);
    return n;
  };

export const nonNegativeInt =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} must be an integer ≥ 0`);
    return n;
  };

export const positiveNumber =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive number`);
    return n;
  };

export const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

/**
 * Runs a command's action: expected errors (OpsError, bad arguments) print one line and exit non-zero;
 * an unexpected error also prints one line, with the stack only when QS_DEBUG is set.
 */
export async function runAction(action: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (error) {
    if (error instanceof OpsError || error instanceof RangeError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = error instanceof OpsError ? error.exitCode : 2;
      return;
    }
    process.stderr.write(
      `error: ${messageOf(error)}${process.env['QS_DEBUG'] ? `\n${(error as Error).stack ?? ''}` : ' (set QS_DEBUG=1 for details)'}\n`,
    );
    process.exitCode = 1;
  }
}

/** Progress on stderr, unless --quiet or --json. */
export const progressFor = (flags: CommonFlags): ProgressSink => createProgress(process.stderr, { quiet: flags.quiet || flags.json });

/**
 * Prints a run's summary (as JSON with --json, else its `lines`) and returns the exit status: 1 when a record failed
 * or the run was interrupted.
 */
export function reportSummary(
  flags: CommonFlags,
  summary: { readonly failed: number; readonly interrupted?: boolean },
  lines: () => string[],
): number {
  if (flags.json) printJson(summary);
  else process.stdout.write(`${lines().join('\n')}\n`);
  return summary.failed > 0 || summary.interrupted ? 1 : 0;
}

/** runAction of `run` against the environment the flags point at (withEnvironment). */
export function runWithEnvironment(flags: CommonFlags, run: (env: OpsEnvironment, clients: OpsClients) => Promise<number>): Promise<void> {
  return runAction(() => withEnvironment(flags, run));
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export const formatCounts = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `    ${k.padEnd(28)} ${v}`)
    .join('\n') || '    (none)';
