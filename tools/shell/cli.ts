/**
 * npm run publish -- <EventType> '<json data>' [--key <partition key>]   an event onto the event stream
 * npm run enqueue -- <job-type> '<json data>' [--key <job key>]          a job onto the job queue
 *
 * The data may also come from --file <path> or stdin (one object, an array of them, or one per line). The
 * local cloud by default (.local/endpoints.json); a deployed stage with --stage dev|prod.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { LocalCloudError } from '../../local/assembly';
import { InputError, send, type Kind, type SendFlags, type ShellIo } from './send';

// The SDK's Node 20 end-of-support notice would open every command's output (README: Node 20 is supported until January 2027).
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const positiveInt =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer`);
    return n;
  };

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(Buffer.from(c)));
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
  });
}

const processIo = (): ShellIo => ({
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  readStdin: () => readAll(process.stdin),
  stdinIsTTY: Boolean(process.stdin.isTTY),
  cwd: process.cwd(),
});

/** One line for what went wrong; the exit code: 2 for bad input, 1 for anything else. */
function report(error: unknown, io: ShellIo): number {
  if (error instanceof InputError) {
    io.err(`error: ${error.message}\n`);
    return 2;
  }
  const e = error as { name?: string; message?: string; exitCode?: number };
  // OpsError (the --stage resolver) and LocalCloudError (no local cloud is running) are already one line
  if (error instanceof LocalCloudError || e.name === 'OpsError') {
    io.err(`error: ${e.message}\n`);
    return typeof e.exitCode === 'number' ? e.exitCode : 1;
  }
  io.err(
    `error: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(error)}${process.env['QS_DEBUG'] ? `\n${(error as Error).stack ?? ''}` : ''}\n`,
  );
  return 1;
}

function addCommand(program: Command, kind: Kind, io: ShellIo, done: (code: number) => void): void {
  const event = kind === 'event';
  program
    .command(event ? 'publish' : 'enqueue')
    .usage('-- <type> [data] [options]')
    .description(
      event
        ? 'Publish domain events to the event stream (validated against lambdas/shared/registry.ts, sent with publishEvents).'
        : 'Enqueue jobs on the job queue (validated against lambdas/shared/registry.ts, sent with enqueueJobs).',
    )
    .argument('<type>', event ? 'event type, e.g. OrderPlaced' : 'job type, e.g. send-email')
    .argument('[data]', "the envelope's data as JSON: an object, an array of objects (one envelope each), or - for stdin")
    .option(
      '--key <key>',
      event
        ? 'partition key (default: the event id, so no order with other events)'
        : 'job key, what the job is about (default: the job id)',
    )
    .option('--file <path>', 'read the data from a file (- = stdin) instead of the argument')
    .option('--id <uuid>', 'envelope id (default: a random UUID); reuse one to send the same envelope again')
    .option('--version <n>', 'envelope version of the type (default: the latest registered)', positiveInt('--version'))
    .option(
      event ? '--occurred-at <iso>' : '--causation-id <id>',
      event ? 'occurredAt (default: now)' : 'id of the event that caused the job',
    )
    .option('--stage <stage>', 'a deployed stage (dev or prod) instead of the local cloud: stack outputs, standard AWS credentials')
    .option('--state-dir <dir>', "the local cloud's state directory (where npm start writes endpoints.json)", '.local')
    .option('--json', 'print the per-entry results as JSON')
    .action(async (type: string, data: string | undefined, flags: SendFlags) => {
      try {
        done(await send(kind, type, data, flags, io));
      } catch (error) {
        done(report(error, io));
      }
    });
}

export function buildProgram(io: ShellIo, done: (code: number) => void): Command {
  const program = new Command('npm run')
    .description('Send events and jobs from the shell, validated as the producers validate them.')
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) });
  addCommand(program, 'event', io, done);
  addCommand(program, 'job', io, done);
  return program;
}

/** Runs the CLI on argv (as process.argv: node, script, ...args) and resolves to the exit code. */
export async function main(argv: readonly string[], io: ShellIo = processIo()): Promise<number> {
  let code: number | undefined;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has printed its one line (or the help)
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.exitCode === 0 ? 0 : 2;
    }
    return report(error, io);
  }
  return code ?? 0;
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
