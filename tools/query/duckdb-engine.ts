/**
 * The local engine: the archive objects of the range, downloaded through the S3 client (the local cloud's S3, or a
 * stage's) into a temporary directory, read by DuckDB's read_json as the table `events`: the columns of the Glue
 * table (lib/archive-query.ts, generated from the envelope schema), the date partitions from the key path, a
 * malformed line a row of NULLs as the OpenX SerDe makes it. A few macros give DuckDB the Trino functions the
 * named queries use, so one SQL text runs on both engines.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { archiveColumns, PARTITION_COLUMNS } from '../../lib/archive-query';
import { hourPrefixes, type ArchiveRange } from '../ops/archive-reader';
import { type ListedObject, listObjects, type S3Sender } from '../ops/s3-objects';
import { OpsError } from '../ops/errors';
import { normalizeCell, type QueryResult } from './result';

/** Trino functions the named queries use, as DuckDB macros of the same name (the session runs in UTC). */
const TRINO_COMPAT_MACROS = [
  `CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)`,
  `CREATE MACRO to_iso8601(t) AS strftime(t, '%Y-%m-%dT%H:%M:%S.%gZ')`,
  `CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)`,
];

/** Objects under the range's hour prefixes (or the whole prefix when there is no range), with their sizes. */
async function listRangeObjects(s3: S3Sender, bucket: string, prefix: string, range?: ArchiveRange): Promise<ListedObject[]> {
  const prefixes = range ? hourPrefixes({ ...range, prefix }) : [prefix];
  const out: ListedObject[] = [];
  for (const p of prefixes) out.push(...(await listObjects(s3, bucket, p)));
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Downloads objects under `dir/<key>`, a few at a time; returns the bytes written. */
async function downloadObjects(
  s3: S3Sender,
  bucket: string,
  objects: readonly ListedObject[],
  dir: string,
  concurrency = 8,
): Promise<number> {
  let next = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < objects.length) {
      const { key } = objects[next++]!;
      const file = path.join(dir, ...key.split('/'));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await pipeline(out.Body as Readable, fs.createWriteStream(file));
      bytes += fs.statSync(file).size;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, objects.length) }, worker));
  return bytes;
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const quoteString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** `CREATE VIEW events` over the downloaded files, or an empty table of the same shape when there are none. */
function eventsViewSql(dataDir: string | undefined): string {
  const cols = archiveColumns();
  const parts = PARTITION_COLUMNS.map((c) => `${quoteIdent(c)} INTEGER`);
  if (dataDir === undefined) {
    const typed = cols.map((c) => `${quoteIdent(c.name)} ${c.payload ? 'VARCHAR' : c.duckdbType}`);
    return `CREATE TABLE events (${[...typed, ...parts].join(', ')})`;
  }
  const read = `{${cols.map((c) => `${quoteString(c.field)}: ${quoteString(c.duckdbType)}`).join(', ')}}`;
  const hiveTypes = `{${PARTITION_COLUMNS.map((c) => `${quoteString(c)}: 'INTEGER'`).join(', ')}}`;
  const select = cols.map((c) =>
    c.payload ? `CAST(${quoteIdent(c.field)} AS VARCHAR) AS ${quoteIdent(c.name)}` : `${quoteIdent(c.field)} AS ${quoteIdent(c.name)}`,
  );
  const glob = path.join(dataDir, '**', '*').split(path.sep).join('/');
  return (
    `CREATE VIEW events AS SELECT ${[...select, ...PARTITION_COLUMNS.map(quoteIdent)].join(', ')} ` +
    `FROM read_json(${quoteString(glob)}, format = 'newline_delimited', columns = ${read}, ` +
    `hive_partitioning = true, hive_types = ${hiveTypes}, ignore_errors = true)`
  );
}

export interface DuckDbRun {
  readonly s3: S3Sender;
  readonly bucket: string;
  readonly prefix: string;
  /** no range: every object under the prefix */
  readonly range?: ArchiveRange;
  /** the statement, `?` placeholders */
  readonly sql: string;
  readonly values: readonly string[];
  /** where the temporary directory goes (default the OS's) */
  readonly tmpRoot?: string;
}

/** First line of an engine error, without DuckDB's "LINE 1: …" caret block. */
const oneLine = (message: string): string =>
  message
    .split('\n')
    .find((l) => l.trim() !== '')!
    .trim();

export async function runDuckDb(o: DuckDbRun): Promise<QueryResult> {
  const started = performance.now();
  const objects = await listRangeObjects(o.s3, o.bucket, o.prefix, o.range);
  const tmp = fs.mkdtempSync(path.join(o.tmpRoot ?? os.tmpdir(), 'qs-query-'));
  try {
    const scannedBytes = objects.length > 0 ? await downloadObjects(o.s3, o.bucket, objects, tmp) : 0;
    const downloaded = performance.now();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(`SET TimeZone = 'UTC'`);
      for (const macro of TRINO_COMPAT_MACROS) await connection.run(macro);
      await connection.run(eventsViewSql(objects.length > 0 ? tmp : undefined));
      let reader: import('@duckdb/node-api').DuckDBResultReader;
      try {
        const prepared = await connection.prepare(o.sql);
        if (prepared.parameterCount !== o.values.length) {
          throw new OpsError(`the SQL has ${prepared.parameterCount} ? placeholders and ${o.values.length} values`, 2);
        }
        for (const [i, v] of o.values.entries()) prepared.bindVarchar(i + 1, v);
        reader = await prepared.runAndReadAll();
      } catch (error) {
        if (error instanceof OpsError) throw error;
        throw new OpsError(`query failed (DuckDB): ${oneLine((error as Error).message)}`, 2);
      }
      const names = reader.columnNames();
      const types = reader.columnTypes().map((t) => t.toString().toLowerCase());
      const rows = reader.getRowsJson().map((row) => row.map((v, i) => normalizeCell(types[i]!, v)));
      const finished = performance.now();
      return {
        engine: 'duckdb',
        columns: names.map((name, i) => ({ name, type: types[i]! })),
        rows,
        scannedBytes,
        objects: objects.length,
        ...(o.range ? { hours: hourPrefixes(o.range).length } : {}),
        elapsedMs: Math.round(finished - started),
        downloadMs: Math.round(downloaded - started),
        engineMs: Math.round(finished - downloaded),
      };
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
