/**
 * The AWS engine: Athena in the stage's workgroup (its settings enforced: result location, encryption, scan limit),
 * the Glue table `events` of the stage's database, the range as a predicate on the projected hour partitions, the
 * parameters as ExecutionParameters.
 */
import type { AthenaClient, QueryExecution } from '@aws-sdk/client-athena';
import { hourPrefixes, type ArchiveRange } from '../ops/archive-reader';
import { OpsError } from '../ops/errors';
import { awsError } from '../ops/resolve-stage';
import { normalizeCell, type Cell, type QueryResult } from './result';
import { partitionPredicate, sqlStringLiteral, withEventsCte } from './sql';

export type AthenaSender = Pick<AthenaClient, 'send'>;

export interface AthenaRun {
  readonly athena: AthenaSender;
  readonly workGroup: string;
  readonly database: string;
  readonly table: string;
  readonly range?: ArchiveRange;
  readonly sql: string;
  readonly values: readonly string[];
  readonly signal?: AbortSignal;
  /** waits between polls (tests pass a fast one) */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The statement Athena runs: the query, with `events` narrowed to the range's hours when there is a range. */
function athenaStatement(o: Pick<AthenaRun, 'database' | 'table' | 'range' | 'sql'>): string {
  if (!o.range) return o.sql;
  return withEventsCte(o.sql, `"${o.database}"."${o.table}"`, partitionPredicate(o.range));
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runAthena(o: AthenaRun): Promise<QueryResult> {
  const { StartQueryExecutionCommand, GetQueryExecutionCommand, GetQueryResultsCommand, StopQueryExecutionCommand } = await import(
    '@aws-sdk/client-athena'
  );
  const started = performance.now();
  const sleep = o.sleep ?? defaultSleep;
  let id: string;
  try {
    const out = await o.athena.send(
      new StartQueryExecutionCommand({
        QueryString: athenaStatement(o),
        WorkGroup: o.workGroup,
        QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: o.database },
        ...(o.values.length > 0 ? { ExecutionParameters: o.values.map(sqlStringLiteral) } : {}),
      }),
    );
    id = out.QueryExecutionId!;
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (e.name === 'InvalidRequestException') throw new OpsError(`query failed (Athena): ${e.message ?? e.name}`, 2);
    throw awsError(error, `starting the query in workgroup ${o.workGroup}`);
  }
  let delay = 200;
  let execution: QueryExecution | undefined;
  for (;;) {
    if (o.signal?.aborted) {
      await o.athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
      throw new OpsError(`interrupted: query ${id} cancelled`, 130);
    }
    execution = (await o.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
    const state = execution?.Status?.State;
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED') {
      const reason = execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage ?? state;
      const scanned = execution?.Statistics?.DataScannedInBytes;
      const limit = /bytes scanned limit|BytesScannedCutoffPerQuery/i.test(reason)
        ? " (the workgroup's scan limit: narrow --from/--to, or raise BytesScannedCutoffPerQuery)"
        : '';
      throw new OpsError(
        `query ${state.toLowerCase()} (Athena ${id}): ${reason.split('\n')[0]}${limit}${scanned ? `; scanned ${scanned} bytes` : ''}`,
        2,
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 1.5, 2000);
  }
  const columns: { name: string; type: string }[] = [];
  const rows: Cell[][] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await o.athena.send(
      new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }),
    );
    if (columns.length === 0) {
      for (const c of page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [])
        columns.push({ name: c.Name ?? c.Label ?? '', type: (c.Type ?? 'varchar').toLowerCase() });
    }
    const data = page.ResultSet?.Rows ?? [];
    // a SELECT's first row is its header
    for (const [i, row] of data.entries()) {
      if (first && i === 0) continue;
      rows.push((row.Data ?? []).map((d, j) => normalizeCell(columns[j]?.type ?? 'varchar', d.VarCharValue ?? null)));
    }
    first = false;
    token = page.NextToken;
  } while (token);
  const stats = execution?.Statistics;
  return {
    engine: 'athena',
    columns,
    rows,
    scannedBytes: stats?.DataScannedInBytes ?? 0,
    ...(o.range ? { hours: hourPrefixes(o.range).length } : {}),
    elapsedMs: Math.round(performance.now() - started),
    engineMs: stats?.EngineExecutionTimeInMillis ?? 0,
    queryExecutionId: id,
  };
}
