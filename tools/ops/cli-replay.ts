/**
 * npm run replay -- --from <iso> --to <iso> --target stream|consumer:<name> [filters] [--dry-run] ...
 * Same code against the local cloud and a deployed stage.
 */
import { Command } from 'commander';
import { parseIsoTime } from './archive-reader';
import {
  addCheckpointOptions,
  addCommonOptions,
  addDeliveryOptions,
  collect,
  formatCounts,
  nonNegativeInt,
  positiveNumber,
  runAction,
  runResumable,
  type ResumableFlags,
} from './cli-common';
import { LambdaConsumerInvoker } from './consumer-invoker';
import { OpsError } from './errors';
import { TokenBucket } from './rate-limiter';
import { runReplay, type ReplaySummary } from './replay';
import { parseTarget } from './replay-targets';
import { idsOfResult, readIdsFile } from '../query/ids';
import { loadNamedQuery } from '../query/named-queries';
import { runQuery } from '../query/run-query';

interface ReplayFlags extends ResumableFlags {
  from: string;
  to: string;
  target?: string;
  type?: string[];
  id?: string[];
  rate?: number;
  lateHours: number;
  prefix: string;
  query?: string;
  idsFrom?: string;
  key?: string;
}

const program = addCommonOptions(
  addDeliveryOptions(
    addCheckpointOptions(
      new Command('replay')
        .description('Re-deliver archived events (S3, Firehose GZIP NDJSON) to the events stream or to one consumer.')
        .requiredOption(
          '--from <time>',
          'start of the range, inclusive, ISO-8601 with zone (e.g. 2026-05-01T00:00:00Z); selects on occurredAt',
        )
        .requiredOption('--to <time>', 'end of the range, exclusive, ISO-8601 with zone')
        .option('--target <target>', '"stream" (every consumer sees them again) or "consumer:<name>" (that consumer only)')
        .option('--type <type>', 'only these event types (repeat or comma-separate)', collect)
        .option('--id <id>', 'only these envelope ids (repeat or comma-separate)', collect)
        .option('--dry-run', 'count matching events per type and per hour; send nothing')
        .option('--rate <records/s>', 'cap the send rate (token bucket)', positiveNumber('--rate')),
      'replay',
    ),
    'consumer target: ',
  )
    .option('--late-hours <n>', 'extra archive hours listed after --to for events that arrived late', nonNegativeInt('--late-hours'), 1)
    .option('--prefix <prefix>', 'archive key prefix', 'events/')
    .option('--query <name>', 'replay the events a named query finds (queries/<name>.sql, run over the same range: its id column)')
    .option('--key <key>', 'with --query: its :key parameter (--type and --id also fill :type and :id)')
    .option('--ids-from <file>', 'replay these envelope ids: one per line, or the --json / --csv output of npm run query (- = stdin)'),
)
  .addHelpText(
    'after',
    `
Examples:
  npm run replay -- --from 2026-05-01T00:00:00Z --to 2026-05-02T00:00:00Z --dry-run
  npm run replay -- --from 2026-05-01T00:00:00Z --to 2026-05-02T00:00:00Z --target stream --rate 500
  npm run replay -- --from 2026-04-01T00:00:00Z --to 2026-05-01T00:00:00Z --target consumer:analytics --type OrderPlaced
  npm run replay -- --stage prod --from ... --to ... --target consumer:payments   # deployed stage
  npm run replay -- --query events-of-key --key order-123 --from ... --to ... --target consumer:analytics
  npm run replay -- --ids-from ids.txt --from ... --to ... --target stream

With --query or --ids-from each selected id is replayed once per original: archived copies that carry a replay
marker (an earlier --target stream replay) are skipped.

Exit status: 0 when nothing failed (corrupt archive lines are reported and skipped), 1 when a record failed or the
run was interrupted (rerun the same command to resume from the checkpoint), 2 for bad arguments.`,
  )
  .action((flags: ReplayFlags) =>
    runAction(async () => {
      const from = parseIsoTime(flags.from, '--from');
      const to = parseIsoTime(flags.to, '--to');
      const target = flags.target === undefined ? undefined : parseTarget(flags.target);
      if (!target && !flags.dryRun) throw new OpsError('--target is required (stream or consumer:<name>), or pass --dry-run', 2);
      const selected = await selectIds(flags, from, to);
      if (selected?.length === 0) {
        process.stdout.write(`${flags.query ? `query ${flags.query}` : flags.idsFrom} selected no events: nothing to replay\n`);
        return 0;
      }
      const ids = selected ?? flags.id;
      return runResumable(
        flags,
        'chunk',
        (env, clients, options) =>
          runReplay({
            env,
            s3: clients.s3,
            kinesis: clients.kinesis,
            ...(target?.kind === 'consumer' ? { invoker: new LambdaConsumerInvoker(env, () => clients.lambda()) } : {}),
            from,
            to,
            ...(target ? { target } : {}),
            ...(flags.type ? { types: flags.type } : {}),
            ...(ids ? { ids } : {}),
            ...(selected ? { originalsOnly: true } : {}),
            ...(flags.rate ? { limiter: new TokenBucket(flags.rate) } : {}),
            lateHours: flags.lateHours,
            prefix: flags.prefix,
            ...options,
          }),
        replayLines,
      );
    }),
  );

/** --query / --ids-from: the envelope ids to replay (undefined: neither was given). */
async function selectIds(flags: ReplayFlags, from: Date, to: Date): Promise<string[] | undefined> {
  if (flags.query !== undefined && flags.idsFrom !== undefined) throw new OpsError('choose one of --query and --ids-from', 2);
  if (flags.key !== undefined && flags.query === undefined) throw new OpsError('--key is a parameter of --query', 2);
  if (flags.idsFrom !== undefined) return readIdsFile(flags.idsFrom);
  if (flags.query === undefined) return undefined;
  const named = loadNamedQuery(flags.query);
  const single = (values: string[] | undefined, flag: string): string | undefined => {
    if (values && values.length > 1) throw new OpsError(`${flag} takes one value for :${flag.slice(2)} of ${named.name}`, 2);
    return values?.[0];
  };
  const type = named.params.includes('type') ? single(flags.type, '--type') : undefined;
  const id = named.params.includes('id') ? single(flags.id, '--id') : undefined;
  const outcome = await runQuery({
    name: named.name,
    from,
    to,
    params: {
      ...(flags.key !== undefined ? { key: flags.key } : {}),
      ...(type !== undefined ? { type } : {}),
      ...(id !== undefined ? { id } : {}),
    },
    lateHours: flags.lateHours,
    prefix: flags.prefix,
    ...(flags.local ? { local: true } : {}),
    ...(flags.stage !== undefined ? { stage: flags.stage } : {}),
  });
  const ids = idsOfResult(outcome.result, named.name);
  if (!flags.quiet && !flags.json) {
    process.stderr.write(
      `query ${named.name} (${outcome.result.engine} on ${outcome.environment}): ${outcome.result.rows.length} rows, ${ids.length} envelope ids\n`,
    );
  }
  return ids;
}

function replayLines(s: ReplaySummary): string[] {
  if (s.alreadyComplete) return [`replay ${s.replayId} already completed (checkpoint ${s.checkpointFile}); pass --restart to run it again`];
  const out: string[] = [];
  out.push(
    `${s.dryRun ? 'dry run' : `replay ${s.replayId}`} on ${s.environment}: ${s.from} .. ${s.to} → ${s.target}${s.resumed ? ' (resumed from checkpoint)' : ''}`,
  );
  out.push(
    `  objects ${s.objects}  read ${s.read}  matched ${s.matched}  sent ${s.sent}  skipped ${s.skipped}  failed ${s.failed}  filtered out ${s.filteredOut}${s.alreadyDone ? `  already done ${s.alreadyDone}` : ''}`,
  );
  if (s.dryRun) {
    out.push('  by type:', formatCounts(s.counts.byType), '  by hour (occurredAt, UTC):', formatCounts(s.counts.byHour));
  }
  for (const i of s.issues.slice(0, 20)) out.push(`  skipped ${i.key}${i.line > 0 ? ` line ${i.line}` : ''}: ${i.reason}`);
  if (s.issues.length > 20) out.push(`  … and ${s.issues.length - 20} more skipped (--json lists them all)`);
  for (const f of s.failures.slice(0, 20)) out.push(`  failed ${f.id} (${f.key} line ${f.line}): ${f.reason}`);
  if (s.failed > 0 && s.failuresFile) out.push(`  failed records written to ${s.failuresFile}`);
  if (s.interrupted) out.push(`  interrupted: rerun the same command to resume (checkpoint ${s.checkpointFile})`);
  if (!s.dryRun && s.sent > 0) out.push(`  ${s.recordsPerSecond} records/s over ${(s.elapsedMs / 1000).toFixed(1)} s`);
  return out;
}

void program.parseAsync(process.argv);
