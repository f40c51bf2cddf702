// npm run query end to end on the local cloud: events published through the producers (two orders, a producer
// retry of one envelope, a malformed record), one event replayed to the stream by the replay tool (its archived
// copy carries the replay marker), then every named query of queries/ run through the `npm run query` entry point
// over the archive Firehose wrote (DuckDB), and `npm run replay -- --query` selecting by a query. Asserts rows and
// ids, never durations.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEvent, type KnownEvent } from '../../lambdas/shared/envelope';
import { listNamedQueries } from '../../tools/query/named-queries';
import { runQuery } from '../../tools/query/run-query';
import { runReplay, type ReplaySummary } from '../../tools/ops/replay';
import { createOpsClients, readEndpointsFile, type OpsClients, type OpsEnvironment } from '../../tools/ops/resolve-stage';
import { removeStateDir, startE2eCloud, type E2eCloud } from './harness';
import { PROJECT_DIR } from '../support/paths';
import { eventually } from '../support/wait';

const SCRIPTS = (JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;
const TSX_LOADER = path.join(PROJECT_DIR, 'node_modules', 'tsx', 'dist', 'loader.mjs');

let e: E2eCloud;
let env: OpsEnvironment;
let ops: OpsClients;
let cliDir: string;
const run = randomUUID().slice(0, 8);
const K1 = `order-q1-${run}`;
const K2 = `order-q2-${run}`;
let placed1: KnownEvent<'OrderPlaced'>;
let shipped1: KnownEvent<'OrderShipped'>;
let placed2: KnownEvent<'OrderPlaced'>;
let replayId: string;
let from: string;
let to: string;
const queriesRun: string[] = [];

/** `npm run <script> -- …args` in cliDir (whose .local is this cloud's state), as the ops e2e test runs them. */
function cli(script: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const m = /^tsx (\S+\.ts)$/.exec(SCRIPTS[script] ?? '');
  if (!m) throw new Error(`package.json has no tsx script "${script}"`);
  if (script === 'query') queriesRun.push(args[0]!);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX_LOADER, path.join(PROJECT_DIR, m[1]!), ...args],
      { cwd: cliDir, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

type Row = Record<string, unknown>;
async function query(name: string, extra: string[] = []): Promise<{ rows: Row[]; stderr: string; scannedBytes: number }> {
  const out = await cli('query', [name, '--from', from, '--to', to, ...extra, '--json']);
  expect(out.code, `npm run query -- ${name}: ${out.stderr}`).toBe(0);
  const parsed = JSON.parse(out.stdout) as { rows: Row[]; scannedBytes: number };
  return { rows: parsed.rows, stderr: out.stderr, scannedBytes: parsed.scannedBytes };
}
const mine = (rows: Row[], key = 'partition_key'): Row[] => rows.filter((r) => r[key] === K1 || r[key] === K2);

beforeAll(async () => {
  e = await startE2eCloud({ timeScale: 0.01 });
  cliDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-query-e2e-cwd-'));
  fs.symlinkSync(path.dirname(e.cloud.endpointsFile), path.join(cliDir, '.local'));
  env = readEndpointsFile(e.cloud.endpointsFile);
  ops = createOpsClients(env);

  const start = new Date();
  from = new Date(Math.floor(start.getTime() / 3_600_000) * 3_600_000 - 3_600_000).toISOString();
  const order = (orderId: string) => ({
    orderId,
    customerEmail: `buyer@example.com`,
    items: [{ sku: 'SKU-1', quantity: 1, unitPriceCents: 1250 }],
    totalCents: 1250,
    currency: 'EUR' as const,
  });
  placed1 = newEvent('OrderPlaced', order(K1), { partitionKey: K1 });
  placed2 = newEvent('OrderPlaced', order(K2), { partitionKey: K2 });
  await e.publish([placed1, placed2]);
  shipped1 = newEvent(
    'OrderShipped',
    { orderId: K1, customerEmail: 'buyer@example.com', carrier: 'DHL', trackingNumber: `T-${run}` },
    { partitionKey: K1 },
  );
  await e.publish([shipped1]);
  await e.publish([placed2]); // a producer retry: the same envelope again
  await e.putRaw(K2, `not json ${run}`); // archived as it is: a row of NULLs, in no named query
  to = new Date(Date.now() + 3_600_000).toISOString();

  // the archive has the four envelopes (the malformed line aside) once Firehose flushed
  const countMine = async (): Promise<number> =>
    (
      await runQuery({
        sql: `SELECT count(*) AS n FROM events WHERE partitionKey IN ('${K1}', '${K2}')`,
        from: new Date(from),
        to: new Date(to),
        endpointsFile: e.cloud.endpointsFile,
      })
    ).result.rows[0]![0] as number;
  await eventually('the four envelopes in the archive', countMine, (n) => n === 4, { timeoutMs: 60_000, abortIf: () => e.fatal() });

  // the replay tool re-publishes placed1 to the stream: Firehose archives the copy with its replay marker
  const replay: ReplaySummary = await runReplay({
    env,
    s3: ops.s3,
    kinesis: ops.kinesis,
    from: new Date(from),
    to: new Date(to),
    ids: [placed1.id],
    target: { kind: 'stream' },
    checkpointFile: path.join(e.stateDir, `replay-query-${run}.json`),
  });
  expect(replay.sent).toBe(1);
  replayId = replay.replayId;
  await eventually('the replayed copy in the archive', countMine, (n) => n === 5, { timeoutMs: 60_000, abortIf: () => e.fatal() });
}, 240_000);

afterAll(async () => {
  ops?.destroy();
  await e?.stop();
  removeStateDir(e);
  if (cliDir) fs.rmSync(cliDir, { recursive: true, force: true });
});

describe('every named query over the local archive', () => {
  it('events-per-hour counts the published events per type, with the replayed copy', async () => {
    // this file's cloud holds only this file's events; the sums hold even if the run straddles an hour
    const { rows, stderr } = await query('events-per-hour');
    const sum = (type: string, col: string) => rows.filter((r) => r['type'] === type).reduce((n, r) => n + (r[col] as number), 0);
    // placed1, its replayed copy, placed2 twice (2 distinct ids); shipped1
    expect([sum('OrderPlaced', 'events'), sum('OrderPlaced', 'replayed_copies'), sum('OrderPlaced', 'distinct_ids')]).toEqual([4, 1, 2]);
    expect([sum('OrderShipped', 'events'), sum('OrderShipped', 'replayed_copies'), sum('OrderShipped', 'distinct_ids')]).toEqual([1, 0, 1]);
    expect(rows.map((r) => r['type']).filter((t) => t !== 'OrderPlaced' && t !== 'OrderShipped')).toEqual([]); // the malformed line is in no hour
    for (const r of rows) expect(r['hour_utc']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/);
    expect(stderr).toMatch(
      /^\d+ rows? · DuckDB on local, .* · scanned [\d.]+ (B|KiB|MiB) \(GZIP\) in \d+ archive objects? of \d+ hours · ≈ \$/,
    );
  });

  it('find-by-id: the original and the replayed copy of placed1, in that order', async () => {
    const { rows } = await query('find-by-id', ['--id', placed1.id]);
    expect(rows.map((r) => [r['id'], r['partition_key'], r['replay_id'], r['replay_target']])).toEqual([
      [placed1.id, K1, null, null],
      [placed1.id, K1, replayId, 'stream'],
    ]);
    expect(JSON.parse(rows[0]!['data'] as string)).toEqual(placed1.data);
  });

  it('events-of-key: K1 in order, the replayed copy right after its original', async () => {
    const { rows } = await query('events-of-key', ['--key', K1]);
    expect(rows.map((r) => [r['type'], r['id'], r['replay_id']])).toEqual([
      ['OrderPlaced', placed1.id, null],
      ['OrderPlaced', placed1.id, replayId],
      ['OrderShipped', shipped1.id, null],
    ]);
  });

  it('replayed-events: the copy with its replay marker', async () => {
    const { rows } = await query('replayed-events');
    expect(mine(rows).map((r) => [r['replay_id'], r['replay_target'], r['id'], r['type']])).toEqual([
      [replayId, 'stream', placed1.id, 'OrderPlaced'],
    ]);
    expect(Date.parse(mine(rows)[0]!['replayed_at'] as string)).toBeGreaterThan(Date.parse(placed1.occurredAt));
  });

  it('duplicates: the producer retry (two originals) and the replayed event (an original and a copy)', async () => {
    const { rows } = await query('duplicates');
    expect(mine(rows).sort((a, b) => String(a['partition_key']).localeCompare(String(b['partition_key'])))).toEqual([
      { id: placed1.id, type: 'OrderPlaced', partition_key: K1, copies: 2, original_copies: 1, replayed_copies: 1 },
      { id: placed2.id, type: 'OrderPlaced', partition_key: K2, copies: 2, original_copies: 2, replayed_copies: 0 },
    ]);
  });

  it('covers every named query of queries/', () => {
    expect([...new Set(queriesRun.filter((q) => !q.startsWith('--')))].sort()).toEqual(listNamedQueries().map((q) => q.name));
  });
});

describe('clear answers', () => {
  it('a range with no data is one line on stderr, exit 0', async () => {
    const out = await cli('query', ['duplicates', '--from', '2020-01-01T00:00:00Z', '--to', '2020-01-01T01:00:00Z']);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe('');
    expect(out.stderr.trim()).toMatch(
      /^no archived events between 2020-01-01T00:00:00.000Z and 2020-01-01T01:00:00.000Z \(DuckDB on local[^\n]*$/,
    );
  });
  it('a bad query is one line, exit 2', async () => {
    const out = await cli('query', ['--sql', 'SELECT nosuchcolumn FROM events', '--from', from, '--to', to]);
    expect(out.code).toBe(2);
    expect(out.stderr.trim()).toMatch(/^error: query failed \(DuckDB\): Binder Error: [^\n]*nosuchcolumn[^\n]*$/);
  });
});

describe('replay selects by query', () => {
  it("--query events-of-key replays K1's events once per original (the archived replay copy is skipped)", async () => {
    const out = await cli('replay', ['--query', 'events-of-key', '--key', K1, '--from', from, '--to', to, '--dry-run', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const s = JSON.parse(out.stdout) as ReplaySummary;
    expect(s.matched).toBe(2);
    expect(s.counts.byType).toEqual({ OrderPlaced: 1, OrderShipped: 1 });
  });

  it('--ids-from the --json output of a query replays exactly those events to one consumer', async () => {
    const found = await cli('query', ['events-of-key', '--key', K2, '--from', from, '--to', to, '--json']);
    const file = path.join(cliDir, `ids-${run}.json`);
    fs.writeFileSync(file, found.stdout);
    const out = await cli('replay', [
      '--ids-from',
      file,
      '--from',
      from,
      '--to',
      to,
      '--target',
      'consumer:analytics',
      '--json',
      '--checkpoint',
      path.join(cliDir, `cp-${run}.json`),
    ]);
    expect(out.code, out.stderr).toBe(0);
    const s = JSON.parse(out.stdout) as ReplaySummary;
    // placed2 was archived twice (the producer retry): both originals go out, nothing else
    expect([s.matched, s.sent, s.failed]).toEqual([2, 2, 0]);
    const delivered = e.functionLog.filter((l) => l.functionName === 'analytics' && l.replayId === s.replayId).map((l) => l.envelopeId);
    expect(new Set(delivered)).toEqual(new Set([placed2.id]));
  });
});
