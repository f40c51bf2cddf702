/**
 * One query, from arguments to rows: a named query (queries/<name>.sql) or ad-hoc SQL, its parameters bound, run
 * by DuckDB over the local cloud's archive or by Athena over a deployed stage's (`--stage`, resolved like every
 * operator tool: the stateful stack's outputs). `npm run query` and `npm run replay -- --query` both call it.
 */
import { STATEFUL_OUTPUTS } from '../../lib/contract';
import { OpsError } from '../ops/errors';
import { DEFAULT_ARCHIVE_PREFIX, type ArchiveRange } from '../ops/archive-reader';
import { awsError, createOpsClients, describeStackOutputs, need, resolveEnvironment, type OpsEnvironment } from '../ops/resolve-stage';
import { runAthena, type AthenaSender } from './athena-engine';
import { runDuckDb } from './duckdb-engine';
import { loadNamedQuery, QUERY_PARAMS, type NamedQuery, type QueryParam } from './named-queries';
import type { QueryResult } from './result';
import { bindNamed, singleReadStatement } from './sql';

export const ENGINES = ['duckdb', 'athena'] as const;
export type Engine = (typeof ENGINES)[number];

export interface QueryRequest {
  /** a named query, or … */
  readonly name?: string;
  /** … ad-hoc SQL over the table `events` */
  readonly sql?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly params?: Partial<Record<Exclude<QueryParam, 'from' | 'to'>, string>>;
  readonly lateHours?: number;
  readonly prefix?: string;
  /** default: duckdb on the local cloud, athena on a stage */
  readonly engine?: Engine;
  readonly local?: boolean;
  readonly stage?: string;
  readonly projectDir?: string;
  readonly endpointsFile?: string;
  readonly queriesDir?: string;
  /** tests: the stack outputs and the Athena client */
  readonly describeStackOutputs?: (stackName: string) => Promise<Record<string, string>>;
  readonly athena?: AthenaSender;
  readonly signal?: AbortSignal;
}

export interface QueryOutcome {
  readonly result: QueryResult;
  readonly query: { readonly name?: string; readonly purpose?: string };
  readonly environment: string;
  readonly from?: string;
  readonly to?: string;
  /** nothing in the archive for the range (no object, or nothing scanned) */
  readonly noData: boolean;
}

export interface PreparedStatement {
  readonly named?: NamedQuery;
  readonly sql: string;
  readonly values: readonly string[];
  readonly range?: ArchiveRange;
}

/** Everything that can fail before touching an environment: the query, its parameters, the range. */
export function prepareStatement(r: Omit<QueryRequest, 'engine' | 'local' | 'stage'>): PreparedStatement {
  if ((r.name === undefined) === (r.sql === undefined))
    throw new OpsError('give a named query or --sql "SELECT … FROM events …", not both', 2);
  if ((r.from === undefined) !== (r.to === undefined)) throw new OpsError('give both --from and --to, or neither', 2);
  const named = r.name !== undefined ? loadNamedQuery(r.name, r.queriesDir) : undefined;
  if (named && r.from === undefined) throw new OpsError(`${named.name} needs --from and --to (the archive hours it reads)`, 2);
  const range: ArchiveRange | undefined =
    r.from && r.to ? { from: r.from, to: r.to, lateHours: r.lateHours ?? 1, prefix: r.prefix ?? DEFAULT_ARCHIVE_PREFIX } : undefined;
  if (range && !(range.from.getTime() < range.to.getTime())) {
    throw new RangeError(`--from must be before --to (got ${range.from.toISOString()} .. ${range.to.toISOString()})`);
  }
  const given = Object.entries(r.params ?? {}).filter(([, v]) => v !== undefined) as [QueryParam, string][];
  const declared: QueryParam[] = named ? [...named.params] : range ? ['from', 'to'] : [];
  if (named) {
    for (const [p] of given) {
      if (!declared.includes(p))
        throw new OpsError(`${named.name} takes no ${QUERY_PARAMS[p].split(' ')[0]} (its parameters: ${declared.join(', ')})`, 2);
    }
  } else if (given.length > 0) {
    throw new OpsError(
      `--sql takes its values in the SQL itself (only :from and :to are bound, from --from and --to); drop ${given.map(([p]) => `--${p}`).join(', ')}`,
      2,
    );
  }
  const values: Record<string, string | undefined> = {
    ...Object.fromEntries(given),
    ...(range ? { from: range.from.toISOString(), to: range.to.toISOString() } : {}),
  };
  for (const p of declared) if (values[p] === undefined) throw new OpsError(`${named!.name} needs ${QUERY_PARAMS[p]}`, 2);
  const statement = singleReadStatement(named ? named.sql : r.sql!);
  const bound = bindNamed(statement, declared, values);
  return { ...(named ? { named } : {}), sql: bound.text, values: bound.values, ...(range ? { range } : {}) };
}

/** The names `npm run query --stage` needs beyond the operator tools' (stack outputs of the stateful stack). */
export interface AthenaTarget {
  readonly workGroup: string;
  readonly database: string;
  readonly table: string;
}

export async function runQuery(r: QueryRequest): Promise<QueryOutcome> {
  const prepared = prepareStatement(r);
  // the operator tools' resolution, with the stack outputs kept for the Athena names
  let outputs: Record<string, string> = {};
  const env: OpsEnvironment = await resolveEnvironment({
    ...(r.local ? { local: true } : {}),
    ...(r.stage !== undefined ? { stage: r.stage } : {}),
    ...(r.projectDir ? { projectDir: r.projectDir } : {}),
    ...(r.endpointsFile ? { endpointsFile: r.endpointsFile } : {}),
    describeStackOutputs: async (stackName) => (outputs = await (r.describeStackOutputs ?? describeStackOutputs)(stackName)),
  });
  const engine: Engine = r.engine ?? (env.kind === 'local' ? 'duckdb' : 'athena');
  if (engine === 'athena' && env.kind === 'local')
    throw new OpsError('the local cloud has no Athena: --engine athena needs --stage dev|prod (locally DuckDB runs the same SQL)', 2);
  const environment = env.label;
  const bucket = need(env.archiveBucket, 'archive bucket', env);
  let result: QueryResult;
  if (engine === 'duckdb') {
    const clients = createOpsClients(env);
    try {
      result = await runDuckDb({
        s3: clients.s3,
        bucket,
        prefix: r.prefix ?? DEFAULT_ARCHIVE_PREFIX,
        ...(prepared.range ? { range: prepared.range } : {}),
        sql: prepared.sql,
        values: prepared.values,
      });
    } catch (error) {
      if (error instanceof OpsError) throw error;
      throw awsError(error, `reading the archive bucket ${bucket}`);
    } finally {
      clients.destroy();
    }
  } else {
    const target = athenaTarget(outputs, env);
    let athena = r.athena;
    let made: { destroy(): void } | undefined;
    if (!athena) {
      const { AthenaClient } = await import('@aws-sdk/client-athena');
      const client = new AthenaClient(env.region ? { region: env.region } : {});
      athena = client;
      made = client;
    }
    try {
      result = await runAthena({
        athena,
        ...target,
        ...(prepared.range ? { range: prepared.range } : {}),
        sql: prepared.sql,
        values: prepared.values,
        ...(r.signal ? { signal: r.signal } : {}),
      });
    } finally {
      made?.destroy();
    }
  }
  return {
    result,
    query: prepared.named ? { name: prepared.named.name, purpose: prepared.named.purpose } : {},
    environment,
    ...(prepared.range ? { from: prepared.range.from.toISOString(), to: prepared.range.to.toISOString() } : {}),
    noData: result.engine === 'duckdb' ? (result.objects ?? 0) === 0 : result.scannedBytes === 0,
  };
}

function athenaTarget(outputs: Record<string, string>, env: OpsEnvironment): AthenaTarget {
  const get = (key: string): string => {
    const v = outputs[key];
    if (v === undefined)
      throw new OpsError(`stage ${env.label} has no output ${key} (deployed before the queryable archive? run \`npm run deploy\`)`);
    return v;
  };
  return {
    workGroup: get(STATEFUL_OUTPUTS.archiveQueryWorkGroup),
    database: get(STATEFUL_OUTPUTS.archiveDatabaseName),
    table: get(STATEFUL_OUTPUTS.archiveTableName),
  };
}
