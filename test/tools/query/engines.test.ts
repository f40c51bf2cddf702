// The two engines behind npm run query: DuckDB over archive objects served by a stand-in S3 (real GZIP NDJSON,
// real DuckDB), and Athena through a recorded client (what it is asked to run, how its answers become rows).
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { describe, expect, it } from 'vitest';
import { archiveColumns } from '../../../lib/archive-query';
import { runAthena } from '../../../tools/query/athena-engine';
import { runDuckDb } from '../../../tools/query/duckdb-engine';
import { prepareStatement } from '../../../tools/query/run-query';
import type { S3Sender } from '../../../tools/ops/s3-objects';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const envelope = (id: string, type: string, at: string, key: string, replay?: object): string =>
  JSON.stringify({
    kind: 'event',
    id,
    type,
    version: 1,
    occurredAt: at,
    partitionKey: key,
    data: { orderId: key },
    ...(replay ? { replay } : {}),
  });

const OBJECTS: Record<string, Buffer> = {
  'events/year=2026/month=11/day=27/hour=10/ds-1-2026-11-27-10-00-00-a.gz': gzipSync(
    [
      envelope(A, 'OrderPlaced', '2026-11-27T10:00:00.000Z', 'order-1'),
      'not json',
      envelope(B, 'OrderShipped', '2026-11-27T10:20:00.000Z', 'order-1'),
      '',
    ].join('\n'),
  ),
  'events/year=2026/month=11/day=27/hour=11/ds-1-2026-11-27-11-00-00-b.gz': gzipSync(
    [
      envelope(A, 'OrderPlaced', '2026-11-27T10:00:00.000Z', 'order-1', {
        replayId: 'r-1',
        replayedAt: '2026-11-27T11:05:00.000Z',
        target: 'stream',
      }),
      '',
    ].join('\n'),
  ),
  // outside the range's hours: never downloaded
  'events/year=2026/month=11/day=28/hour=10/ds-1-2026-11-28-10-00-00-c.gz': gzipSync(
    `${envelope(B, 'OrderShipped', '2026-11-28T10:00:00.000Z', 'order-9')}\n`,
  ),
};

function fakeS3(): S3Sender & { gets: string[] } {
  const gets: string[] = [];
  return {
    gets,
    send: (async (command: unknown) => {
      if (command instanceof ListObjectsV2Command) {
        const prefix = command.input.Prefix ?? '';
        return {
          Contents: Object.keys(OBJECTS)
            .filter((k) => k.startsWith(prefix))
            .map((Key) => ({ Key, Size: OBJECTS[Key]!.length })),
        };
      }
      if (command instanceof GetObjectCommand) {
        gets.push(command.input.Key!);
        return { Body: Readable.from([OBJECTS[command.input.Key!]!]) };
      }
      throw new Error(`unexpected ${String(command)}`);
    }) as S3Sender['send'],
  };
}

const RANGE = { from: new Date('2026-11-27T10:00:00Z'), to: new Date('2026-11-27T11:00:00Z') };

async function duck(name: string, params: Record<string, string> = {}) {
  const p = prepareStatement({ name, ...RANGE, params });
  const s3 = fakeS3();
  const result = await runDuckDb({ s3, bucket: 'archive', prefix: 'events/', range: p.range!, sql: p.sql, values: p.values });
  return { result, s3, rows: result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c.name, r[i]]))) };
}

describe('DuckDB over the archive objects', () => {
  it('downloads only the hours of the range (+1 late hour) and reports their GZIP bytes', async () => {
    const { result, s3 } = await duck('events-per-hour');
    expect(s3.gets.sort()).toEqual(Object.keys(OBJECTS).slice(0, 2));
    expect(result.scannedBytes).toBe(OBJECTS[s3.gets[0]!]!.length + OBJECTS[s3.gets[1]!]!.length);
    expect(result.objects).toBe(2);
    expect(result.hours).toBe(2);
  });

  it('events-per-hour counts per type and hour of occurredAt, with the replayed copy', async () => {
    const { rows } = await duck('events-per-hour');
    expect(rows).toEqual([
      { hour_utc: '2026-11-27T10:00:00.000Z', type: 'OrderPlaced', events: 2, replayed_copies: 1, distinct_ids: 1 },
      { hour_utc: '2026-11-27T10:00:00.000Z', type: 'OrderShipped', events: 1, replayed_copies: 0, distinct_ids: 1 },
    ]);
  });

  it('find-by-id, events-of-key, replayed-events and duplicates answer from the same objects', async () => {
    expect((await duck('find-by-id', { id: A })).rows.map((r) => [r['id'], r['replay_id']])).toEqual([
      [A, null],
      [A, 'r-1'],
    ]);
    expect((await duck('events-of-key', { key: 'order-1' })).rows.map((r) => [r['type'], r['replay_id']])).toEqual([
      ['OrderPlaced', null],
      ['OrderPlaced', 'r-1'],
      ['OrderShipped', null],
    ]);
    const replayed = (await duck('replayed-events', {})).rows;
    // replayed at 11:05: outside [10:00, 11:00) on replayedAt, although its object was read
    expect(replayed).toEqual([]);
    expect((await duck('duplicates')).rows).toEqual([
      { id: A, type: 'OrderPlaced', partition_key: 'order-1', copies: 2, original_copies: 1, replayed_copies: 1 },
    ]);
  });

  it("a malformed line is a row of NULLs, as Athena's OpenX SerDe with ignore.malformed.json makes it", async () => {
    const p = prepareStatement({ sql: 'SELECT count(*) AS all_rows, count(id) AS envelopes FROM events', ...RANGE });
    const r = await runDuckDb({ s3: fakeS3(), bucket: 'archive', prefix: 'events/', range: p.range!, sql: p.sql, values: p.values });
    expect(r.rows).toEqual([[4, 3]]);
  });

  it('has the columns of the Glue table (generated from the envelope), then the partitions', async () => {
    const p = prepareStatement({ sql: 'SELECT * FROM events LIMIT 1', ...RANGE });
    const r = await runDuckDb({ s3: fakeS3(), bucket: 'archive', prefix: 'events/', range: p.range!, sql: p.sql, values: p.values });
    expect(r.columns.map((c) => c.name)).toEqual([...archiveColumns().map((c) => c.name), 'year', 'month', 'day', 'hour']);
  });

  it('a range with nothing in it runs the query over an empty table; a bad query is one line', async () => {
    const empty = prepareStatement({ name: 'duplicates', from: new Date('2030-01-01T00:00:00Z'), to: new Date('2030-01-01T01:00:00Z') });
    const r = await runDuckDb({
      s3: fakeS3(),
      bucket: 'archive',
      prefix: 'events/',
      range: empty.range!,
      sql: empty.sql,
      values: empty.values,
    });
    expect(r.objects).toBe(0);
    expect(r.rows).toEqual([]);
    const bad = prepareStatement({ sql: 'SELECT nosuchcolumn FROM events', ...RANGE });
    const err = await runDuckDb({
      s3: fakeS3(),
      bucket: 'archive',
      prefix: 'events/',
      range: bad.range!,
      sql: bad.sql,
      values: bad.values,
    }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^query failed \(DuckDB\): Binder Error: .*nosuchcolumn[^\n]*$/);
  });
});

describe('Athena', () => {
  function fakeAthena(final: { State: string; StateChangeReason?: string }) {
    const sent: unknown[] = [];
    let polls = 0;
    return {
      sent,
      send: (async (command: unknown) => {
        sent.push(command);
        if (command instanceof StartQueryExecutionCommand) return { QueryExecutionId: 'q-1' };
        if (command instanceof GetQueryExecutionCommand) {
          polls++;
          return {
            QueryExecution: {
              Status: polls < 2 ? { State: 'RUNNING' } : final,
              Statistics: { DataScannedInBytes: 4321, EngineExecutionTimeInMillis: 800 },
            },
          };
        }
        if (command instanceof GetQueryResultsCommand) {
          return {
            ResultSet: {
              ResultSetMetadata: {
                ColumnInfo: [
                  { Name: 'type', Type: 'varchar' },
                  { Name: 'events', Type: 'bigint' },
                ],
              },
              Rows: [
                { Data: [{ VarCharValue: 'type' }, { VarCharValue: 'events' }] },
                { Data: [{ VarCharValue: 'OrderPlaced' }, { VarCharValue: '2' }] },
                { Data: [{}, { VarCharValue: '1' }] },
              ],
            },
          };
        }
        throw new Error('unexpected');
      }) as never,
    };
  }

  it('runs the named query in the workgroup, the range as a partition predicate, parameters as ExecutionParameters', async () => {
    const p = prepareStatement({ name: 'events-of-key', ...RANGE, params: { key: "o'1" } });
    const athena = fakeAthena({ State: 'SUCCEEDED' });
    const r = await runAthena({
      athena,
      workGroup: 'wg',
      database: 'queue_and_stream_dev',
      table: 'events',
      range: p.range!,
      sql: p.sql,
      values: p.values,
      sleep: async () => undefined,
    });
    const start = athena.sent[0] as StartQueryExecutionCommand;
    expect(start.input.WorkGroup).toBe('wg');
    expect(start.input.QueryExecutionContext).toEqual({ Catalog: 'AwsDataCatalog', Database: 'queue_and_stream_dev' });
    expect(start.input.QueryString).toMatch(
      /^WITH events AS \(SELECT \* FROM "queue_and_stream_dev"\."events" WHERE .*BETWEEN 2026112710 AND 2026112711\)\n-- events-of-key:/,
    );
    expect(start.input.ExecutionParameters).toEqual(["'o''1'", "'2026-11-27T10:00:00.000Z'", "'2026-11-27T11:00:00.000Z'"]);
    expect(r.rows).toEqual([
      ['OrderPlaced', 2],
      [null, 1],
    ]);
    expect(r.scannedBytes).toBe(4321);
    expect(r.queryExecutionId).toBe('q-1');
  });

  it("a failed query is one line with Athena's reason", async () => {
    const p = prepareStatement({ sql: 'SELECT x FROM events' });
    const athena = fakeAthena({ State: 'FAILED', StateChangeReason: "COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved\nmore" });
    await expect(
      runAthena({ athena, workGroup: 'wg', database: 'd', table: 'events', sql: p.sql, values: p.values, sleep: async () => undefined }),
    ).rejects.toThrow(/^query failed \(Athena q-1\): COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved; scanned 4321 bytes$/);
  });
});
