/** What an engine hands back, and how the CLI prints it (table, JSON, CSV) with one summary line. */

export interface QueryColumn {
  readonly name: string;
  /** the engine's type name, lower case (bigint, varchar, integer, row(…) / struct(…), …) */
  readonly type: string;
}

export type Cell = string | number | boolean | null | Record<string, unknown> | unknown[];

export interface QueryResult {
  readonly engine: 'duckdb' | 'athena';
  readonly columns: readonly QueryColumn[];
  readonly rows: readonly (readonly Cell[])[];
  /** bytes the engine read: GZIP bytes of the archive objects (DuckDB: what it downloaded; Athena: DataScannedInBytes) */
  readonly scannedBytes: number;
  /** archive objects read (DuckDB) */
  readonly objects?: number;
  /** archive hours the range covers (both engines read only these) */
  readonly hours?: number;
  /** wall time of the whole run, and its parts */
  readonly elapsedMs: number;
  readonly downloadMs?: number;
  readonly engineMs?: number;
  readonly queryExecutionId?: string;
}

const INTEGER_TYPES = new Set([
  'tinyint',
  'smallint',
  'integer',
  'int',
  'bigint',
  'hugeint',
  'ubigint',
  'uinteger',
  'usmallint',
  'utinyint',
]);
const FLOAT_TYPES = new Set(['double', 'float', 'real', 'decimal']);

/** A cell as both engines should show it: integers and floats as numbers (when exact), NULL as null. */
export function normalizeCell(type: string, value: unknown): Cell {
  if (value === null || value === undefined) return null;
  const base = type.toLowerCase().replace(/\(.*$/, '');
  if (INTEGER_TYPES.has(base) || FLOAT_TYPES.has(base)) {
    const n = typeof value === 'bigint' ? Number(value) : Number(value);
    if (Number.isFinite(n) && (!INTEGER_TYPES.has(base) || Number.isSafeInteger(n))) return n;
    return String(value);
  }
  if (base === 'boolean') return value === true || value === 'true';
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'object') return value as Record<string, unknown>;
  return value as string | number | boolean;
}

const text = (cell: Cell): string => (cell === null ? '' : typeof cell === 'object' ? JSON.stringify(cell) : String(cell));

/** A plain-text table; cells longer than `maxWidth` are cut with an ellipsis (--json and --csv keep them whole). */
export function formatTable(result: Pick<QueryResult, 'columns' | 'rows'>, maxWidth = 60): string {
  const header = result.columns.map((c) => c.name);
  const cells = result.rows.map((row) =>
    row.map((cell) => {
      const t = cell === null ? 'NULL' : text(cell).replace(/\s+/g, ' ');
      return t.length > maxWidth ? `${t.slice(0, maxWidth - 1)}…` : t;
    }),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const numeric = result.columns.map(
    (_c, i) => result.rows.some((r) => typeof r[i] === 'number') && result.rows.every((r) => r[i] === null || typeof r[i] === 'number'),
  );
  const line = (r: readonly string[]): string =>
    r
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')}\n`;
}

/** RFC 4180 CSV with a header row; NULL is an empty field. */
export function formatCsv(result: Pick<QueryResult, 'columns' | 'rows'>): string {
  const field = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return `${[result.columns.map((c) => field(c.name)), ...result.rows.map((r) => r.map((c) => field(text(c))))].map((r) => r.join(',')).join('\r\n')}\r\n`;
}

/** Rows as objects keyed by column name. */
export function rowObjects(result: Pick<QueryResult, 'columns' | 'rows'>): Record<string, Cell>[] {
  return result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c.name, r[i] ?? null])));
}

/** Athena's price: $5 per TB scanned, at least 10 MB per query, rounded up to the MB. */
export const ATHENA_USD_PER_TB = 5;
export function athenaCostUsd(scannedBytes: number): number {
  const mb = Math.max(10, Math.ceil(scannedBytes / 1e6));
  return (mb * 1e6 * ATHENA_USD_PER_TB) / 1e12;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** The one summary line: rows, what was scanned, what it would cost on Athena, how long it took. */
export function summaryLine(r: QueryResult, where: string): string {
  const rows = `${r.rows.length} row${r.rows.length === 1 ? '' : 's'}`;
  const scanned =
    r.engine === 'duckdb'
      ? `scanned ${formatBytes(r.scannedBytes)} (GZIP) in ${r.objects ?? 0} archive object${r.objects === 1 ? '' : 's'}${r.hours ? ` of ${r.hours} hour${r.hours === 1 ? '' : 's'}` : ''}`
      : `scanned ${formatBytes(r.scannedBytes)}`;
  const cost = `≈ $${athenaCostUsd(r.scannedBytes).toFixed(6)} at Athena's $${ATHENA_USD_PER_TB}/TB (10 MB minimum)`;
  const time =
    r.engine === 'duckdb'
      ? `${r.elapsedMs} ms (download ${r.downloadMs ?? 0} ms, DuckDB ${r.engineMs ?? 0} ms)`
      : `${r.elapsedMs} ms (Athena engine ${r.engineMs ?? 0} ms${r.queryExecutionId ? `, query ${r.queryExecutionId}` : ''})`;
  return `${rows} · ${where} · ${scanned} · ${cost} · ${time}`;
}
