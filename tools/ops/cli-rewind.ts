/**
 * npm run rewind -- --consumer <name> --from <iso> [--to <iso>] [--type T] [--dry-run] ...
 * One consumer re-reads the events stream from a point in time within the retention; the same code against the
 * local cloud and a deployed stage.
 */
import { Command } from 'commander';
import { parseIsoTime } from './archive-reader';
import {
  addCheckpointOptions,
  addCommonOptions,
  addDeliveryOptions,
  collect,
  formatCounts,
  runAction,
  runResumable,
  type ResumableFlags,
} from './cli-common';
import { LambdaConsumerInvoker } from './consumer-invoker';
import { runRewind, type RewindSummary } from './rewind';

interface RewindFlags extends ResumableFlags {
  consumer: string;
  from: string;
  to?: string;
  type?: string[];
}

const program = addCommonOptions(
  addDeliveryOptions(
    addCheckpointOptions(
      new Command('rewind')
        .description(
          "Make ONE consumer process the events stream again from a point in time within the stream's retention (its mapping and the other consumers are left alone).",
        )
        .requiredOption('--consumer <name>', 'the consumer (its queue-and-stream:name tag), e.g. analytics')
        .requiredOption(
          '--from <time>',
          're-read records that arrived at or after this time, ISO-8601 with zone (e.g. 2026-11-27T08:00:00Z); within the retention, not in the future',
        )
        .option('--to <time>', "and before this time (default: when the rewind starts; later records are the live mapping's)")
        .option('--type <type>', 'only these event types (repeat or comma-separate)', collect)
        .option('--dry-run', 'count what would be delivered, per type and shard; invoke nothing'),
      'rewind',
    ),
  ),
)
  .addHelpText(
    'after',
    `
Examples:
  npm run rewind -- --consumer analytics --from 2026-11-27T08:00:00Z --dry-run
  npm run rewind -- --consumer analytics --from 2026-11-27T08:00:00Z
  npm run rewind -- --stage prod --consumer payments --from 2026-11-27T08:00:00Z --to 2026-11-27T09:00:00Z

Exit status: 0 when every record was delivered, 1 when a record failed (see the failures file) or the run was
interrupted (rerun the same command to resume from the checkpoint), 2 for bad arguments (e.g. --from in the future
or older than the stream's retention: use npm run replay for the archive).`,
  )
  .action((flags: RewindFlags) =>
    runAction(async () => {
      const from = parseIsoTime(flags.from, '--from');
      const to = flags.to === undefined ? undefined : parseIsoTime(flags.to, '--to');
      return runResumable(
        flags,
        'batch',
        (env, clients, options) =>
          runRewind({
            env,
            kinesis: clients.kinesis,
            invoker: new LambdaConsumerInvoker(env, () => clients.lambda()),
            consumer: flags.consumer,
            from,
            ...(to ? { to } : {}),
            ...(flags.type ? { types: flags.type } : {}),
            ...options,
          }),
        formatRewindSummary,
      );
    }),
  );

function formatRewindSummary(s: RewindSummary): string[] {
  if (s.alreadyComplete) return [`rewind ${s.rewindId} already completed (checkpoint ${s.checkpointFile}); pass --restart to run it again`];
  const out = [
    `${s.dryRun ? 'dry run: ' : `rewind ${s.rewindId}: `}${s.stream} ${s.from} .. ${s.to} → ${s.consumer} (${s.functionName}) on ${s.environment}${s.resumed ? ' (resumed from checkpoint)' : ''}`,
    s.dryRun
      ? `  shards ${s.shards}  read ${s.read}  to deliver ${s.read - s.skipped}  skipped ${s.skipped} (not for this consumer)`
      : `  shards ${s.shards}  read ${s.read}  delivered ${s.delivered}  skipped ${s.skipped}  failed ${s.failed}`,
  ];
  if (s.passedOver > 0) out.push(`  passed over ${s.passedOver} earlier record(s) to reach --from (read from the trim horizon)`);
  out.push(`  ${s.dryRun ? 'would deliver' : 'for the consumer'}, by type:`, formatCounts(s.byType));
  if (s.dryRun)
    out.push('  by shard (to deliver):', formatCounts(Object.fromEntries(Object.entries(s.byShard).map(([k, v]) => [k, v.toDeliver]))));
  for (const f of s.failures.slice(0, 20))
    out.push(`  failed ${f.shardId} seq ${f.sequenceNumber}${f.id ? ` (${f.id})` : ''}: ${f.reason}`);
  if (s.failed > 0 && s.failuresFile) out.push(`  failed records written to ${s.failuresFile}`);
  if (s.interrupted) out.push(`  interrupted: rerun the same command to resume (checkpoint ${s.checkpointFile})`);
  return out;
}

void program.parseAsync(process.argv);
