// npm run query: SQL binding, the Athena range predicate, named-query headers, the CLI's parsing and output.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryCommand, render, requestFromFlags, type QueryFlags } from '../../../tools/query/cli';
import { idsOfResult, parseIdsText } from '../../../tools/query/ids';
import { listNamedQueries, parseNamedQuery, QUERIES_DIR } from '../../../tools/query/named-queries';
import { athenaCostUsd, formatCsv, formatTable, normalizeCell, type QueryResult } from '../../../tools/query/result';
import { prepareStatement } from '../../../tools/query/run-query';
import { bindNamed, partitionPredicate, singleReadStatement, withEventsCte } from '../../../tools/query/sql';

const FROM = new Date('2026-11-27T10:30:00Z');
const TO = new Date('2026-11-27T12:00:00Z');

describe('bindNamed', () => {
  it('replaces declared :names with ? in order and collects their values', () => {
    const b = bindNamed('SELECT * FROM events WHERE partitionKey = :key AND occurredAt >= :from AND id <> :key', ['from', 'to', 'key'], {
      from: 'F',
      to: 'T',
      key: 'K',
    });
    expect(b.text).toBe('SELECT * FROM events WHERE partitionKey = ? AND occurredAt >= ? AND id <> ?');
    expect(b.values).toEqual(['K', 'F', 'K']);
    expect(b.unused).toEqual(['to']);
  });

  it('leaves string literals, quoted identifiers, comments and :: casts alone', () => {
    const sql = `SELECT ':key' AS a, "x:key" AS b, 1::INTEGER AS c -- :key here\n/* :key */ FROM events WHERE id = :id`;
    const b = bindNamed(sql, ['id', 'key'], { id: 'I', key: 'K' });
    expect(b.text).toBe(`SELECT ':key' AS a, "x:key" AS b, 1::INTEGER AS c -- :key here\n/* :key */ FROM events WHERE id = ?`);
    expect(b.values).toEqual(['I']);
  });

  it('names an undeclared or missing parameter', () => {
    expect(() => bindNamed('SELECT :nope', ['from'], {})).toThrow(/:nope, which is not a parameter/);
    expect(() => bindNamed('SELECT :key', ['key'], {})).toThrow(/needs --key/);
    expect(() => bindNamed("SELECT 'open", [], {})).toThrow(/unterminated string literal/);
  });
});

describe('singleReadStatement', () => {
  it('accepts one SELECT or WITH, dropping a trailing semicolon', () => {
    expect(singleReadStatement('  SELECT 1;  ')).toBe('SELECT 1');
    expect(singleReadStatement("-- a comment; with a semicolon\nWITH x AS (SELECT ';') SELECT * FROM x")).toMatch(/^-- a comment/);
  });
  it('refuses two statements and anything but a query', () => {
    expect(() => singleReadStatement('SELECT 1; SELECT 2')).toThrow(/one statement at a time/);
    expect(() => singleReadStatement('DROP TABLE events')).toThrow(/only queries run here .* not DROP/);
    expect(() => singleReadStatement('-- nothing')).toThrow(/empty/);
  });
});

describe('the Athena range', () => {
  it('is a predicate on exactly the hours the range reads (its hours + 1 late hour)', () => {
    const p = partitionPredicate({ from: FROM, to: TO, lateHours: 1 });
    expect(p).toBe(
      '"year" BETWEEN 2026 AND 2026 AND "month" BETWEEN 11 AND 11 AND "day" BETWEEN 27 AND 27 AND ' +
        '("year" * 1000000 + "month" * 10000 + "day" * 100 + "hour") BETWEEN 2026112710 AND 2026112712',
    );
  });
  it('spans years and months with simple bounds only where they hold', () => {
    const p = partitionPredicate({ from: new Date('2026-12-31T23:00:00Z'), to: new Date('2027-01-01T01:00:00Z'), lateHours: 0 });
    expect(p).toBe(
      '"year" BETWEEN 2026 AND 2027 AND ("year" * 1000000 + "month" * 10000 + "day" * 100 + "hour") BETWEEN 2026123123 AND 2027010100',
    );
  });
  it("is a CTE named events in front of the query, or added to the query's own WITH list", () => {
    expect(withEventsCte('SELECT count(*) FROM events', '"db"."events"', 'P')).toBe(
      'WITH events AS (SELECT * FROM "db"."events" WHERE P)\nSELECT count(*) FROM events',
    );
    expect(withEventsCte('-- head\nWITH x AS (SELECT 1) SELECT * FROM x, events', 't', 'P')).toBe(
      '-- head\nWITH events AS (SELECT * FROM t WHERE P),\nx AS (SELECT 1) SELECT * FROM x, events',
    );
  });
});

describe('named queries (queries/*.sql)', () => {
  const queries = listNamedQueries();

  it('are the five the issue asks for, each with a one-line purpose, its parameters and a dialect note', () => {
    expect(queries.map((q) => q.name)).toEqual(['duplicates', 'events-of-key', 'events-per-hour', 'find-by-id', 'replayed-events']);
    for (const q of queries) {
      expect(q.purpose.length, q.name).toBeGreaterThan(30);
      expect(q.params.slice(0, 2), q.name).toEqual(['from', 'to']);
      expect(q.dialect.length, q.name).toBeGreaterThan(0);
    }
  });

  it('each binds with its parameters and is one read statement', () => {
    for (const q of queries) {
      const all = { key: 'order-1', id: '3d922995-3280-4e03-831a-441e3a6af7ee', type: 'OrderPlaced' } as const;
      const params = Object.fromEntries(Object.entries(all).filter(([k]) => (q.params as readonly string[]).includes(k)));
      const p = prepareStatement({ name: q.name, from: FROM, to: TO, params });
      expect(p.sql, q.name).not.toMatch(/(?<!:):[a-z]/);
      expect(p.values.length, q.name).toBe((q.sql.match(/(?<!:):(from|to|key|id|type)\b/g) ?? []).length);
    }
  });

  it('a header that does not say what the query is for is refused', () => {
    expect(() => parseNamedQuery('x', 'SELECT 1')).toThrow(/first line must be "-- x: <one-line purpose>"/);
    expect(() => parseNamedQuery('x', '-- x: a purpose\n-- params: key\n-- dialect: same\nSELECT 1')).toThrow(/takes the time range/);
    expect(() => parseNamedQuery('x', '-- x: a purpose\n-- params: from, to\nSELECT 1')).toThrow(/no "-- dialect: …" line/);
    expect(() => parseNamedQuery('x', '-- x: a purpose\n-- params: from, to, colour\n-- dialect: same\nSELECT 1')).toThrow(
      /unknown parameter "colour"/,
    );
  });
  it("QUERIES_DIR is the repository's queries/ folder", () => {
    expect(fs.existsSync(path.join(QUERIES_DIR, 'events-per-hour.sql'))).toBe(true);
  });
});

describe('prepareStatement', () => {
  it('names what a named query needs or does not take', () => {
    expect(() => prepareStatement({ name: 'events-of-key', from: FROM, to: TO })).toThrow(/events-of-key needs --key/);
    expect(() => prepareStatement({ name: 'events-per-hour', from: FROM, to: TO, params: { key: 'k' } })).toThrow(
      /events-per-hour takes no --key/,
    );
    expect(() => prepareStatement({ name: 'events-per-hour' })).toThrow(/needs --from and --to/);
    expect(() => prepareStatement({ name: 'nope', from: FROM, to: TO })).toThrow(
      /no named query "nope" \(known: duplicates, events-of-key/,
    );
    expect(() => prepareStatement({ name: 'events-per-hour', from: TO, to: FROM })).toThrow(/--from must be before --to/);
  });
  it('ad-hoc SQL: :from and :to are bound from the range, other flags are refused', () => {
    const p = prepareStatement({ sql: 'SELECT count(*) FROM events WHERE occurredAt >= :from', from: FROM, to: TO });
    expect(p.values).toEqual([FROM.toISOString()]);
    expect(() => prepareStatement({ sql: 'SELECT 1', params: { key: 'k' } })).toThrow(/--sql takes its values in the SQL itself/);
    expect(() => prepareStatement({ sql: 'SELECT 1', from: FROM })).toThrow(/both --from and --to/);
    expect(() => prepareStatement({ name: 'duplicates', sql: 'SELECT 1', from: FROM, to: TO })).toThrow(/not both/);
  });
});

describe('the command line', () => {
  const parse = (argv: string[]): { name: string | undefined; flags: QueryFlags } => {
    let got: { name: string | undefined; flags: QueryFlags } | undefined;
    queryCommand((name, flags) => {
      got = { name, flags };
    })
      .exitOverride()
      .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
      .parse(argv, { from: 'user' });
    return got!;
  };

  it('turns a named query with its flags into a request', () => {
    const { name, flags } = parse([
      'events-of-key',
      '--key',
      'order-1',
      '--from',
      '2026-11-27T10:30:00Z',
      '--to',
      '2026-11-27T12:00:00Z',
      '--stage',
      'dev',
      '--csv',
    ]);
    expect(requestFromFlags(name, flags)).toEqual({
      name: 'events-of-key',
      from: FROM,
      to: TO,
      params: { key: 'order-1' },
      lateHours: 1,
      prefix: 'events/',
      stage: 'dev',
    });
  });
  it('refuses a time without a zone, an unknown engine, --json with --csv', () => {
    const { name, flags } = parse(['events-per-hour', '--from', '2026-11-27T10:00:00', '--to', '2026-11-27T12:00:00Z']);
    expect(() => requestFromFlags(name, flags)).toThrow(/--from must be an ISO-8601 time with a zone/);
    expect(() => parse(['x', '--engine', 'spark'])).toThrow(/Allowed choices are duckdb, athena/);
    const both = parse(['events-per-hour', '--json', '--csv']);
    expect(() => requestFromFlags(both.name, both.flags)).toThrow(/one of --json and --csv/);
  });
});

const RESULT: QueryResult = {
  engine: 'duckdb',
  columns: [
    { name: 'type', type: 'varchar' },
    { name: 'events', type: 'bigint' },
    { name: 'data', type: 'varchar' },
  ],
  rows: [
    ['OrderPlaced', 3, '{"a":"x, \\"y\\""}'],
    ['OrderShipped', 12, null],
  ],
  scannedBytes: 2048,
  objects: 2,
  hours: 3,
  elapsedMs: 10,
  downloadMs: 4,
  engineMs: 6,
};

describe('output', () => {
  it('a table: numbers right-aligned, NULL spelled out, long cells cut', () => {
    expect(formatTable(RESULT, 12)).toBe(
      [
        'type          events  data',
        '------------  ------  ------------',
        'OrderPlaced        3  {"a":"x, \\"…',
        'OrderShipped      12  NULL',
        '',
      ].join('\n'),
    );
  });
  it('CSV quotes what needs quoting; NULL is an empty field', () => {
    expect(formatCsv(RESULT)).toBe('type,events,data\r\nOrderPlaced,3,"{""a"":""x, \\""y\\""""}"\r\nOrderShipped,12,\r\n');
  });
  it('--json: rows as objects, with what was scanned; the summary goes to stderr', () => {
    const out = render(
      {
        result: RESULT,
        query: { name: 'events-per-hour' },
        environment: 'local',
        from: FROM.toISOString(),
        to: TO.toISOString(),
        noData: false,
      },
      { json: true },
    );
    const parsed = JSON.parse(out.stdout) as { rows: unknown[]; scannedBytes: number; query: string };
    expect(parsed.rows).toEqual([
      { type: 'OrderPlaced', events: 3, data: '{"a":"x, \\"y\\""}' },
      { type: 'OrderShipped', events: 12, data: null },
    ]);
    expect(parsed.scannedBytes).toBe(2048);
    expect(out.stderr).toMatch(
      /^2 rows · DuckDB on local, 2026-11-27T10:30:00.000Z \.\. 2026-11-27T12:00:00.000Z · scanned 2\.0 KiB \(GZIP\) in 2 archive objects of 3 hours · ≈ \$0\.000050/,
    );
  });
  it('a range with no data is one line', () => {
    const out = render(
      { result: { ...RESULT, rows: [], objects: 0 }, query: {}, environment: 'local', from: 'A', to: 'B', noData: true },
      {},
    );
    expect(out.stdout).toBe('');
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(/^no archived events between A and B/);
  });
  it('cells: integers as numbers from both engines (DuckDB BIGINT text, Athena strings), NULL as null', () => {
    expect(normalizeCell('bigint', '42')).toBe(42);
    expect(normalizeCell('BIGINT', 42n)).toBe(42);
    expect(normalizeCell('bigint', '9007199254740993')).toBe('9007199254740993');
    expect(normalizeCell('varchar', null)).toBeNull();
    expect(normalizeCell('boolean', 'true')).toBe(true);
  });
  it("Athena's price: $5 per TB, 10 MB minimum", () => {
    expect(athenaCostUsd(0)).toBeCloseTo(0.00005, 10);
    expect(athenaCostUsd(1e12)).toBeCloseTo(5, 10);
  });
});

describe('ids for replay', () => {
  const A = '3d922995-3280-4e03-831a-441e3a6af7ee';
  const B = 'd5574a72-34f3-4324-a562-2f9fb2dd75ac';
  it('come from the id column of a query, each once', () => {
    expect(
      idsOfResult(
        {
          columns: [
            { name: 'type', type: 'varchar' },
            { name: 'id', type: 'varchar' },
          ],
          rows: [
            ['x', A],
            ['x', A],
            ['y', B],
            ['z', null],
          ],
        },
        'q',
      ),
    ).toEqual([A, B]);
    expect(() => idsOfResult({ columns: [{ name: 'type', type: 'varchar' }], rows: [] }, 'events-per-hour')).toThrow(
      /events-per-hour returns no id column/,
    );
  });
  it('come from a file: lines, npm run query --json or --csv output', () => {
    expect(parseIdsText(`# ids\n${A}\n\n${B}\n`, 'f')).toEqual([A, B]);
    expect(parseIdsText(JSON.stringify({ rows: [{ id: A }, { id: B }, { id: A }] }), 'f')).toEqual([A, B]);
    expect(parseIdsText(`type,id,data\r\nOrderPlaced,${A},"{}"\r\n`, 'f')).toEqual([A]);
    expect(() => parseIdsText('order-1\n', 'f.txt')).toThrow(/f.txt: "order-1" is not an envelope id/);
  });
});
