/** What every operator command shares: where it points, numbers from flags, one-line errors, output. */
import { InvalidArgumentError, type Command } from 'commander';
import { messageOf, OpsError } from './errors';
import { createOpsClients, resolveEnvironment, type OpsClients, type OpsEnvironment } from './resolve-stage';

// The SDK's Node 20 end-of-support notice would open every command's output; the project tracks it (DESIGN.md).
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

export async function openEnvironment(flags: CommonFlags): Promise<{ env: OpsEnvironment; clients: OpsClients }> {
  const env = await resolveEnvironment({ ...(flags.local ? { local: true } : {}), ...(flags.stage !== undefined ? { stage: flags.stage } : {}) });
  return { env, clients: createOpsClients(env) };
}

export const positiveInt = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer`);
  return n;
};

export const nonNegativeInt = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} must be an integer ≥ 0`);
  return n;
};

export const positiveNumber = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive number`);
  return n;
};

export const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

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
    process.stderr.write(`error: ${messageOf(error)}${process.env['QS_DEBUG'] ? `\n${(error as Error).stack ?? ''}` : ' (set QS_DEBUG=1 for details)'}\n`);
    process.exitCode = 1;
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export const formatCounts = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `    ${k.padEnd(28)} ${v}`)
    .join('\n') || '    (none)';
