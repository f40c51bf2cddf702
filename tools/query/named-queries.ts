/**
 * Named queries: `queries/<name>.sql`, each opening with a header of SQL comments:
 *
 *   -- <name>: <one-line purpose>
 *   -- params: from, to, key          (what the query needs; --from/--to are always the time range)
 *   -- dialect: <where Athena and DuckDB differ, or that they do not>   (any number of lines)
 *
 * The body runs as it is on both engines; `:name` is a bound parameter.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OpsError } from '../ops/errors';

export const QUERIES_DIR = path.resolve(__dirname, '..', '..', 'queries');

/** Parameters a named query may declare, and the CLI flag that sets each. */
export const QUERY_PARAMS = {
  from: '--from <time>',
  to: '--to <time>',
  id: '--id <envelope id>',
  key: '--key <partition key>',
  type: '--type <event type>',
} as const;
export type QueryParam = keyof typeof QUERY_PARAMS;

export interface NamedQuery {
  readonly name: string;
  readonly file: string;
  readonly purpose: string;
  readonly params: readonly QueryParam[];
  readonly dialect: readonly string[];
  /** the whole file: header comments and the statement */
  readonly sql: string;
}

export function parseNamedQuery(name: string, text: string, file = `${name}.sql`): NamedQuery {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const header: string[] = [];
  for (const line of lines) {
    if (!line.startsWith('--')) break;
    header.push(line.replace(/^--\s?/, ''));
  }
  const first = /^([\w-]+):\s*(.+)$/.exec(header[0] ?? '');
  if (!first || first[1] !== name) throw new OpsError(`${file}: the first line must be "-- ${name}: <one-line purpose>"`);
  const paramsLine = header.find((h) => h.startsWith('params:'));
  if (paramsLine === undefined) throw new OpsError(`${file}: no "-- params: …" line`);
  const params = paramsLine
    .slice('params:'.length)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const p of params) {
    if (!(p in QUERY_PARAMS)) throw new OpsError(`${file}: unknown parameter "${p}" (known: ${Object.keys(QUERY_PARAMS).join(', ')})`);
  }
  if (!params.includes('from') || !params.includes('to'))
    throw new OpsError(`${file}: a named query takes the time range: "-- params: from, to, …"`);
  const dialect = header.filter((h) => h.startsWith('dialect:')).map((h) => h.slice('dialect:'.length).trim());
  if (dialect.length === 0)
    throw new OpsError(`${file}: no "-- dialect: …" line (say where Athena and DuckDB differ, or that one text runs on both)`);
  return { name, file, purpose: first[2]!.trim(), params: params as QueryParam[], dialect, sql: text };
}

export function listNamedQueries(dir = QUERIES_DIR): NamedQuery[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => parseNamedQuery(f.slice(0, -4), fs.readFileSync(path.join(dir, f), 'utf8'), path.join(path.basename(dir), f)));
}

export function loadNamedQuery(name: string, dir = QUERIES_DIR): NamedQuery {
  if (!/^[\w-]+$/.test(name)) throw new OpsError(`not a query name: "${name}"`, 2);
  const file = path.join(dir, `${name}.sql`);
  if (!fs.existsSync(file)) {
    const known = listNamedQueries(dir).map((q) => q.name);
    throw new OpsError(`no named query "${name}" (known: ${known.join(', ')}; or pass --sql "SELECT …")`, 2);
  }
  return parseNamedQuery(name, fs.readFileSync(file, 'utf8'), path.join(path.basename(dir), `${name}.sql`));
}
