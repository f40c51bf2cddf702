/**
 * npm run replay -- --from <iso> --to <iso> --target stream|consumer:<name> [filters] [--dry-run] ...
 * Same code against the local cloud and a deployed stage.
 */
import { Command } from 'commander';
import { parseIsoTime } from './archive-reader';
import { addCommonOptions, collect, formatCounts, nonNegativeInt, openEnvironment, positiveInt, positiveNumber, printJson, runAction, type CommonFlags } from './cli-common';
import { LambdaConsumerInvoker } from './consumer-invoker';
import { OpsError } from './errors';
import { createProgress } from './progress';
import { TokenBucket } from './rate-limiter';
import { parseTarget, runReplay, type ReplaySummary } from './replay';

interface ReplayFlags extends CommonFlags {
  from: string;
  to: string;
  target?: string;
  type?: string[];
  id?: string[];
  dryRun?: boolean;
  rate?: number;
  checkpoint?: string;
  restart?: boolean;
  batchSize?: number;
  maxRetries?: number;
  lateHours: number;
  prefix: string;
}

const program = addCommonOptions(
  new Command('replay')
    .description('Re-deliver archived events (S3, Firehose GZIP NDJSON) to the events stream or to one consumer.')
    .requiredOption('--from <time>', 'start of the range, inclusive, ISO-8601 with zone (e.g. 2026-05-01T00:00:00Z); selects on occurredAt')
    .requiredOption('--to <time>', 'end of the range, exclusive, ISO-8601 with zone')
    .option('--target <target>', '"stream" (every consumer sees them again) or "consumer:<name>" (that consumer only)')
    .option('--type <type>', 'only these event types (repeat or comma-separate)', collect)
    .option('--id <id>', 'only these envelope ids (repeat or comma-separate)', collect)
    .option('--dry-run', 'count matching events per type and per hour; send nothing')
    .option('--rate <records/s>', 'cap the send rate (token bucket)', positiveNumber('--rate'))
    .option('--checkpoint <file>', 'progress file for resuming (default .local/replay-<hash of the arguments>.json)')
    .option('--restart', 'ignore an existing checkpoint and start over')
    .option('--batch-size <n>', 'consumer target: records per invocation (default: the mapping\'s batch size)', positiveInt('--batch-size'))
    .option('--max-retries <n>', 'consumer target: retries of a failed batch tail before giving up on it (default 3)', nonNegativeInt('--max-retries'))
    .option('--late-hours <n>', 'extra archive hours listed after --to for events that arrived late', nonNegativeInt('--late-hours'), 1)
    .option('--prefix <prefix>', 'archive key prefix', 'events/'),
)
  .addHelpText(
    'after',
    `
Examples:
  npm run replay -- --from 2026-05-01T00:00:00Z --to 2026-05-02T00:00:00Z --dry-run
  npm run replay -- --from 2026-05-01T00:00:00Z --to 2026-05-02T00:00:00Z --target stream --rate 500
  npm run replay -- --from 2026-04-01T00:00:00Z --to 2026-05-01T00:00:00Z --target consumer:analytics --type OrderPlaced
  npm run replay -- --stage prod --from ... --to ... --target consumer:payments   # deployed stage

Exit status: 0 when nothing failed (corrupt archive lines are reported and skipped), 1 when a record failed or the
run was interrupted (rerun the same command to resume from the checkpoint), 2 for bad arguments.`,
  )
  .action((flags: ReplayFlags) =>
    runAction(async () => {
      const from = parseIsoTime(flags.from, '--from');
      const to = parseIsoTime(flags.to, '--to');
      const target = flags.target === undefined ? undefined : parseTarget(flags.target);
      if (!target && !flags.dryRun) throw new OpsError('--target is required (stream or consumer:<name>), or pass --dry-run', 2);
      const { env, clients } = await openEnvironment(flags);
      const abort = new AbortController();
      let interrupts = 0;
      const onSigint = (): void => {
        if (++interrupts > 1) process.exit(130);
        process.stderr.write('\ninterrupted: finishing the current chunk and saving the checkpoint (Ctrl-C again to quit now)\n');
        abort.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const summary = await runReplay({
          env,
          s3: clients.s3,
          kinesis: clients.kinesis,
          ...(target?.kind === 'consumer' ? { invoker: new LambdaConsumerInvoker(env, () => clients.lambda()) } : {}),
          from,
          to,
          ...(target ? { target } : {}),
          ...(flags.type ? { types: flags.type } : {}),
          ...(flags.id ? { ids: flags.id } : {}),
          dryRun: flags.dryRun ?? false,
          ...(flags.rate ? { limiter: new TokenBucket(flags.rate) } : {}),
          ...(flags.checkpoint ? { checkpointFile: flags.checkpoint } : {}),
          restart: flags.restart ?? false,
          ...(flags.batchSize ? { batchSize: flags.batchSize } : {}),
          ...(flags.maxRetries !== undefined ? { maxRetries: flags.maxRetries } : {}),
          lateHours: flags.lateHours,
          prefix: flags.prefix,
          signal: abort.signal,
          progress: createProgress(process.stderr, { quiet: flags.quiet || flags.json }),
        });
        if (flags.json) printJson(summary);
        else printSummary(summary);
        return summary.failed > 0 || summary.interrupted ? 1 : 0;
      } finally {
        process.off('SIGINT', onSigint);
        clients.destroy();
      }
    }),
  );

function printSummary(s: ReplaySummary): void {
  const out: string[] = [];
  if (s.alreadyComplete) {
    out.push(`replay ${s.replayId} already completed (checkpoint ${s.checkpointFile}); pass --restart to run it again`);
    process.stdout.write(out.join('\n') + '\n');
    return;
  }
  out.push(`${s.dryRun ? 'dry run' : `replay ${s.replayId}`} on ${s.environment}: ${s.from} .. ${s.to} → ${s.target}${s.resumed ? ' (resumed from checkpoint)' : ''}`);
  out.push(`  objects ${s.objects}  read ${s.read}  matched ${s.matched}  sent ${s.sent}  skipped ${s.skipped}  failed ${s.failed}  filtered out ${s.filteredOut}${s.alreadyDone ? `  already done ${s.alreadyDone}` : ''}`);
  if (s.dryRun) {
    out.push('  by type:', formatCounts(s.counts.byType), '  by hour (occurredAt, UTC):', formatCounts(s.counts.byHour));
  }
  for (const i of s.issues.slice(0, 20)) out.push(`  skipped ${i.key}${i.line > 0 ? ` line ${i.line}` : ''}: ${i.reason}`);
  if (s.issues.length > 20) out.push(`  … and ${s.issues.length - 20} more skipped (--json lists them all)`);
  for (const f of s.failures.slice(0, 20)) out.push(`  failed ${f.id} (${f.key} line ${f.line}): ${f.reason}`);
  if (s.failed > 0 && s.failuresFile) out.push(`  failed records written to ${s.failuresFile}`);
  if (s.interrupted) out.push(`  interrupted: rerun the same command to resume (checkpoint ${s.checkpointFile})`);
  if (!s.dryRun && s.sent > 0) out.push(`  ${s.recordsPerSecond} records/s over ${(s.elapsedMs / 1000).toFixed(1)} s`);
  process.stdout.write(out.join('\n') + '\n');
}

void program.parseAsync(process.argv);
