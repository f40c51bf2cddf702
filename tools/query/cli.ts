/**
 * npm run query -- <named query> --from <iso> --to <iso> [--type|--key|--id …]
 * npm run query -- --sql "SELECT … FROM events WHERE …" [--from … --to …]
 * Locally DuckDB over the local cloud's archive; with --stage, Athena over the stage's (same SQL).
 */
import { Command, Option } from 'commander';
import { parseIsoTime } from '../ops/archive-reader';
import { addCommonOptions, nonNegativeInt, runAction, type CommonFlags } from '../ops/cli-common';
import { OpsError } from '../ops/errors';
import { listNamedQueries, type QueryParam } from './named-queries';
import { formatCsv, formatTable, rowObjects, summaryLine } from './result';
import { ENGINES, runQuery, type Engine, type QueryOutcome, type QueryRequest } from './run-query';

export interface QueryFlags extends CommonFlags {
  sql?: string;
  from?: string;
  to?: string;
  type?: string;
  key?: string;
  id?: string;
  csv?: boolean;
  list?: boolean;
  engine?: Engine;
  lateHours: number;
  prefix: string;
}

/** The command, without running it: tests parse with it. */
export function queryCommand(action: (name: string | undefined, flags: QueryFlags) => Promise<void> | void): Command {
  return addCommonOptions(
    new Command('query')
      .description(
        "Query the event archive with SQL: a named query of queries/ or --sql. The table is `events`; its columns are the envelope's fields.",
      )
      .argument('[name]', 'a named query (queries/<name>.sql); --list shows them')
      .option('--sql <sql>', 'ad-hoc SQL over the table events (one SELECT; :from and :to are bound from --from/--to)')
      .option(
        '--from <time>',
        'start of the range, inclusive, ISO-8601 with zone; selects the archive hours read (and the query filters on it)',
      )
      .option('--to <time>', 'end of the range, exclusive, ISO-8601 with zone')
      .option('--type <type>', 'parameter :type of a named query')
      .option('--key <key>', 'parameter :key (partition key) of a named query')
      .option('--id <id>', 'parameter :id (envelope id) of a named query')
      .option('--csv', 'print the rows as CSV')
      .option('--list', 'list the named queries with their purpose and parameters')
      .addOption(new Option('--engine <engine>', 'duckdb (default locally) or athena (default with --stage)').choices(ENGINES))
      .option('--late-hours <n>', 'extra archive hours read after --to, for events that arrived late', nonNegativeInt('--late-hours'), 1)
      .option('--prefix <prefix>', 'archive key prefix', 'events/'),
  )
    .addHelpText(
      'after',
      `
Examples:
  npm run query -- --list
  npm run query -- events-per-hour --from 2026-11-27T00:00:00Z --to 2026-11-28T00:00:00Z
  npm run query -- events-of-key --key order-123 --from 2026-11-27T00:00:00Z --to 2026-11-28T00:00:00Z --json
  npm run query -- --sql "SELECT type, count(*) AS n FROM events GROUP BY type" --from 2026-11-27T00:00:00Z --to 2026-11-28T00:00:00Z
  npm run query -- duplicates --from … --to … --stage prod            # Athena, the stage's workgroup

Rows go to stdout (a table, --json or --csv); the summary line (rows, bytes scanned, Athena's price for them, time)
to stderr. Exit status: 0 with rows or none, 2 for a bad query or bad arguments, 1 for anything else.`,
    )
    .action(action);
}

function listText(): string {
  return `${listNamedQueries()
    .map((q) => `${q.name.padEnd(18)} ${q.purpose}\n${' '.repeat(19)}parameters: ${q.params.map((p) => `--${p}`).join(' ')}`)
    .join('\n')}\n`;
}

/** QueryRequest from the command line (everything checked that can be checked without the archive). */
export function requestFromFlags(name: string | undefined, flags: QueryFlags): QueryRequest {
  if (flags.json && flags.csv) throw new OpsError('choose one of --json and --csv', 2);
  const params: Partial<Record<Exclude<QueryParam, 'from' | 'to'>, string>> = {};
  if (flags.type !== undefined) params.type = flags.type;
  if (flags.key !== undefined) params.key = flags.key;
  if (flags.id !== undefined) params.id = flags.id;
  return {
    ...(name !== undefined ? { name } : {}),
    ...(flags.sql !== undefined ? { sql: flags.sql } : {}),
    ...(flags.from !== undefined ? { from: parseIsoTime(flags.from, '--from') } : {}),
    ...(flags.to !== undefined ? { to: parseIsoTime(flags.to, '--to') } : {}),
    params,
    lateHours: flags.lateHours,
    prefix: flags.prefix,
    ...(flags.engine ? { engine: flags.engine } : {}),
    ...(flags.local ? { local: true } : {}),
    ...(flags.stage !== undefined ? { stage: flags.stage } : {}),
  };
}

/** What the command prints: rows on stdout, the summary (or the no-data answer) on stderr. */
export function render(outcome: QueryOutcome, flags: Pick<QueryFlags, 'json' | 'csv'>): { stdout: string; stderr: string } {
  const { result } = outcome;
  const where = `${result.engine === 'duckdb' ? 'DuckDB' : 'Athena'} on ${outcome.environment}${outcome.from ? `, ${outcome.from} .. ${outcome.to}` : ', the whole archive'}`;
  const stderr = outcome.noData
    ? `no archived events ${outcome.from ? `between ${outcome.from} and ${outcome.to}` : 'at all'} (${where}; the archive receives events after the Firehose buffer: 1 minute in dev)\n`
    : `${summaryLine(result, where)}\n`;
  let stdout: string;
  if (flags.json) {
    stdout = `${JSON.stringify(
      {
        query: outcome.query.name ?? 'sql',
        environment: outcome.environment,
        engine: result.engine,
        from: outcome.from ?? null,
        to: outcome.to ?? null,
        columns: result.columns,
        rows: rowObjects(result),
        rowCount: result.rows.length,
        scannedBytes: result.scannedBytes,
        ...(result.objects !== undefined ? { objects: result.objects } : {}),
        elapsedMs: result.elapsedMs,
        noData: outcome.noData,
      },
      null,
      2,
    )}\n`;
  } else if (flags.csv) stdout = formatCsv(result);
  else stdout = outcome.noData ? '' : result.rows.length === 0 ? '(no rows)\n' : formatTable(result);
  return { stdout, stderr };
}

if (require.main === module) {
  void queryCommand((name, flags) =>
    runAction(async () => {
      if (flags.list) {
        process.stdout.write(listText());
        return 0;
      }
      if (name === undefined && flags.sql === undefined) {
        process.stderr.write(listText());
        throw new OpsError('give a named query (above) or --sql "SELECT … FROM events …"', 2);
      }
      const abort = new AbortController();
      const onSigint = (): void => abort.abort();
      process.on('SIGINT', onSigint);
      try {
        const outcome = await runQuery({ ...requestFromFlags(name, flags), signal: abort.signal });
        const out = render(outcome, flags);
        process.stdout.write(out.stdout);
        process.stderr.write(out.stderr);
        return 0;
      } finally {
        process.off('SIGINT', onSigint);
      }
    }),
  ).parseAsync(process.argv);
}
