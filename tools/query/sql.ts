/**
 * The SQL text both engines run: named parameters (`:key`) bound as `?` placeholders with values (DuckDB prepared
 * statement, Athena ExecutionParameters), one statement only, and on Athena the time range as a predicate on the
 * archive's projected hour partitions (a CTE named `events` in front of the query).
 */
import { OpsError } from '../ops/errors';
import { hourPrefixes, type ArchiveRange } from '../ops/archive-reader';

export interface BoundSql {
  /** the text with every bound `:name` replaced by `?` */
  readonly text: string;
  /** the values, in placeholder order */
  readonly values: readonly string[];
  /** declared parameters the text does not use (the range, for a query that selects by hours only) */
  readonly unused: readonly string[];
}

/**
 * Calls `visit` for every stretch of code outside string literals, quoted identifiers and comments, and copies
 * everything else as it is. Returns the rebuilt text.
 */
function mapCode(sql: string, visit: (code: string) => string, other: (text: string) => string = (t) => t): string {
  let out = '';
  let code = '';
  let i = 0;
  const flush = (): void => {
    out += visit(code);
    code = '';
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const two = sql.slice(i, i + 2);
    let end = -1;
    if (c === "'" || c === '"') {
      end = i + 1;
      for (;;) {
        const j = sql.indexOf(c, end);
        if (j < 0) throw new OpsError(`the SQL has an unterminated ${c === "'" ? 'string literal' : 'quoted identifier'}`, 2);
        if (sql[j + 1] === c)
          end = j + 2; // doubled quote inside
        else {
          end = j + 1;
          break;
        }
      }
    } else if (two === '--') {
      const j = sql.indexOf('\n', i);
      end = j < 0 ? sql.length : j;
    } else if (two === '/*') {
      const j = sql.indexOf('*/', i + 2);
      if (j < 0) throw new OpsError('the SQL has an unterminated /* comment', 2);
      end = j + 2;
    }
    if (end < 0) {
      code += c;
      i++;
    } else {
      flush();
      out += other(sql.slice(i, end));
      i = end;
    }
  }
  flush();
  return out;
}

/** The text with literals, quoted identifiers and comments blanked to spaces (same length): for checks on its shape. */
function codeOnly(sql: string): string {
  return mapCode(
    sql,
    (code) => code,
    (text) => text.replace(/[^\n]/g, ' '),
  );
}

/**
 * Replaces `:name` for every declared parameter with `?` and collects its value, outside literals and comments.
 * A `::` cast (DuckDB) is left alone; an undeclared `:name` is an error naming it.
 */
export function bindNamed(sql: string, declared: readonly string[], values: Readonly<Record<string, string | undefined>>): BoundSql {
  const known = new Set(declared);
  const used = new Set<string>();
  const bound: string[] = [];
  const text = mapCode(sql, (code) =>
    code.replace(/(::?)([A-Za-z_][A-Za-z0-9_]*)/g, (m, colons: string, name: string) => {
      if (colons === '::') return m;
      if (!known.has(name))
        throw new OpsError(
          `the SQL uses :${name}, which is not a parameter of this query (parameters: ${declared.join(', ') || 'none'})`,
          2,
        );
      const value = values[name];
      if (value === undefined) throw new OpsError(`the query needs --${name} (it uses :${name})`, 2);
      used.add(name);
      bound.push(value);
      return '?';
    }),
  );
  return { text, values: bound, unused: declared.filter((d) => !used.has(d)) };
}

/** One statement that reads (SELECT, WITH … SELECT, VALUES); a trailing semicolon is dropped. */
export function singleReadStatement(sql: string): string {
  const trimmed = sql.trim().replace(/;\s*$/, '');
  const code = codeOnly(trimmed);
  if (code.includes(';')) throw new OpsError('one statement at a time: the SQL has a ";" between statements', 2);
  const first = /^\s*(\w+)/.exec(code)?.[1]?.toUpperCase();
  if (first === undefined) throw new OpsError('the SQL is empty', 2);
  if (!['SELECT', 'WITH', 'VALUES'].includes(first)) throw new OpsError(`only queries run here (SELECT or WITH … SELECT), not ${first}`, 2);
  return trimmed;
}

/** UTC hour number YYYYMMDDHH of an archive prefix `…year=YYYY/month=MM/day=DD/hour=HH/`. */
function hourNumber(prefix: string): number {
  const m = /year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})\/$/.exec(prefix);
  if (!m) throw new Error(`not an archive hour prefix: ${prefix}`);
  return Number(`${m[1]}${m[2]}${m[3]}${m[4]}`);
}

/** The first and last archive hour a range reads (its hours plus the late-arrival hours), as YYYYMMDDHH. */
function hourSpan(range: ArchiveRange): { first: number; last: number; hours: number } {
  const prefixes = hourPrefixes(range);
  return { first: hourNumber(prefixes[0]!), last: hourNumber(prefixes[prefixes.length - 1]!), hours: prefixes.length };
}

/**
 * A predicate on the projected partition columns selecting exactly the hours of `range`: simple per-column bounds
 * (what the engine prunes with first) and the exact hour span.
 */
export function partitionPredicate(range: ArchiveRange): string {
  const { first, last } = hourSpan(range);
  const parts = (n: number) => ({ year: Math.floor(n / 1e6), month: Math.floor(n / 1e4) % 100, day: Math.floor(n / 100) % 100 });
  const a = parts(first);
  const b = parts(last);
  const bounds = [`"year" BETWEEN ${a.year} AND ${b.year}`];
  if (a.year === b.year) bounds.push(`"month" BETWEEN ${a.month} AND ${b.month}`);
  if (a.year === b.year && a.month === b.month) bounds.push(`"day" BETWEEN ${a.day} AND ${b.day}`);
  bounds.push(`("year" * 1000000 + "month" * 10000 + "day" * 100 + "hour") BETWEEN ${first} AND ${last}`);
  return bounds.join(' AND ');
}

/**
 * Puts `events AS (SELECT * FROM <table> WHERE <predicate>)` in front of the query, so every `events` it names is
 * the range's hours only. A query that starts with its own WITH gets the CTE added to its list.
 */
export function withEventsCte(sql: string, table: string, predicate: string): string {
  const cte = `events AS (SELECT * FROM ${table} WHERE ${predicate})`;
  // the position of a leading WITH, past comments and whitespace (same length in the code-only copy)
  const code = codeOnly(sql);
  const m = /^(\s*)WITH(\s+RECURSIVE)?\s/i.exec(code);
  if (m) {
    const at = m[0].length;
    return `${sql.slice(0, at)}${cte},\n${sql.slice(at)}`;
  }
  return `WITH ${cte}\n${sql}`;
}

/** A string as an Athena ExecutionParameters value: a SQL literal. */
export const sqlStringLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;
