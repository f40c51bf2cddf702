// The operator tools end to end on the local cloud: the walkthroughs of docs/operate.md (redrive of the jobs DLQ and of the
// failure bucket, replay, backfill, rewind) run command by command through the same entry points `npm run`
// uses (package.json scripts, in a directory whose .local/ is this cloud's state directory), and the last test
// checks that every command of its "Operator tools" section was run here; an interrupted replay and a
// corrupt archive are driven through runReplay directly. One cloud for the file; each test counts only the ids
// it created, and asserts counts and ids, never durations.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECLINED_TOKEN, DECLINED_TOKENS_ENV } from '../../lambdas/job-worker/fakes';
import { newEvent, type EventEnvelope, type KnownEvent } from '../../lambdas/shared/envelope';
import { EVENT_MESSAGES, JOB_MESSAGES } from '../../lambdas/shared/log-messages';
import { actsOn, jobIdsFor } from '../support/consumers';
import { HouseFunction } from '../../lib/house-function';
import { hourPrefix } from '../../tools/ops/archive-reader';
import { LambdaConsumerInvoker } from '../../tools/ops/consumer-invoker';
import { REDRIVEN_PREFIX } from '../../tools/ops/failure-records';
import { silentProgress, type ProgressSink } from '../../tools/ops/progress';
import type { RedriveEventsSummary } from '../../tools/ops/redrive-events';
import type { RedriveJobsSummary } from '../../tools/ops/redrive-jobs';
import { runReplay, type ReplayOptions, type ReplaySummary } from '../../tools/ops/replay';
import { createOpsClients, readEndpointsFile, type OpsClients, type OpsEnvironment } from '../../tools/ops/resolve-stage';
import type { RewindSummary } from '../../tools/ops/rewind';
import type { FunctionEnvResult } from '../../tools/ops/function-env';
import {
  BucketReader,
  countBy,
  gunzip,
  invocationsWith,
  peekAll,
  processedIds,
  removeStateDir,
  startE2eCloud,
  synthesizeDevApp,
  type E2eCloud,
  type FunctionLogEntry,
} from './harness';
import { PROJECT_DIR } from '../support/paths';
import { queueDepth } from '../support/aws';
import { eventually } from '../support/wait';
import { decodeInvocationRecord } from '../../local/lambda/on-failure';

const TIME_SCALE = 0.01;
const WAIT_MS = 30_000;

/**
 * The brand-new consumer of the backfill test: analytics' code under another name (its own tag, its own
 * POWERTOOLS_SERVICE_NAME and so its own idempotency records), added to the dev app through the project's own
 * constructs, exactly as ComputeStack adds a consumer. Its mapping is paused before anything is published and
 * stays paused: it never reads a record from the stream. That is what a consumer deployed after the events aged
 * out of the stream sees — nothing of them on the stream — so the archive replay (Lambda Invoke, as on AWS) is
 * its only way to get them; and since analytics runs the same code live, it is the reference state.
 */
const PROBE = 'backfill-probe';
const REFERENCE = 'analytics';

let e: E2eCloud;
let env: OpsEnvironment;
let ops: OpsClients;
let invoker: LambdaConsumerInvoker;
let assemblyDir: string;
/** where the CLIs run: its .local is this cloud's state directory, as .local is npm start's */
let cliDir: string;
const run = randomUUID().slice(0, 8);

beforeAll(async () => {
  assemblyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-ops-e2e-assembly-'));
  await synthesizeDevApp(assemblyDir, ({ stateful, compute }, config) => {
    const probe = new HouseFunction(compute, 'BackfillProbe', {
      name: REFERENCE,
      logRetention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    stateful.idempotencyTable.grantRecords(probe);
    stateful.eventStream.addConsumer(PROBE, probe); // tags it and sets POWERTOOLS_SERVICE_NAME = backfill-probe
  });
  e = await startE2eCloud({ timeScale: TIME_SCALE, assemblyDir });
  e.cloud.lambda!.pause(PROBE); // before the first publish: the probe sees nothing live
  cliDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-ops-e2e-cwd-'));
  fs.symlinkSync(path.dirname(e.cloud.endpointsFile), path.join(cliDir, '.local'));
  env = readEndpointsFile(e.cloud.endpointsFile);
  ops = createOpsClients(env);
  invoker = new LambdaConsumerInvoker(env, () => ops.lambda());
}, 180_000);

afterAll(async () => {
  ops?.destroy();
  await e?.stop();
  removeStateDir(e);
  if (assemblyDir) fs.rmSync(assemblyDir, { recursive: true, force: true });
  if (cliDir) fs.rmSync(cliDir, { recursive: true, force: true });
});

// ── the commands, as `npm run` runs them ─────────────────────────────────────────────────────────────────────

const SCRIPTS = (JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;
const TSX_LOADER = path.join(PROJECT_DIR, 'node_modules', 'tsx', 'dist', 'loader.mjs');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** argv of every command this file ran (`<script> ...args`), for the README check at the end */
const ran: string[][] = [];

/**
 * `npm run <script> -- ...args` in cliDir: the script's own entry point and arguments from package.json
 * (`tsx <file> [words]`), run with tsx's loader as `node --import`, without npm's own start-up.
 */
function cli(script: string, args: readonly string[]): Promise<CliRun> {
  const m = /^tsx (\S+\.ts)((?: [\w-]+)*)$/.exec(SCRIPTS[script] ?? '');
  if (!m) throw new Error(`package.json has no tsx script "${script}" (${SCRIPTS[script]})`);
  const argv = [...m[2]!.split(' ').filter(Boolean), ...args];
  ran.push([script, ...args]);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', TSX_LOADER, path.join(PROJECT_DIR, m[1]!), ...argv],
      { cwd: cliDir, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs a command with `--json` and parses its summary; any exit code but `expectCode` fails with its stderr. */
async function cliJson<T>(script: string, args: readonly string[], expectCode = 0): Promise<T> {
  const out = await cli(script, [...args, '--json']);
  expect(out.code, `npm run ${script} -- ${args.join(' ')} --json: ${out.stderr}`).toBe(expectCode);
  return JSON.parse(out.stdout) as T;
}

/** The shape of a command: script, first argument, flags and NAME= assignments; values left out. */
const BOOLEAN_FLAGS = new Set(['--dry-run', '--restart', '--json', '--quiet', '--local']);
const OUTPUT_FLAGS = new Set(['--json', '--quiet']);
function shapeOf([script, ...args]: readonly string[]): string {
  const parts: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      if (!OUTPUT_FLAGS.has(a)) flags.push(a);
      if (!BOOLEAN_FLAGS.has(a) && i + 1 < args.length && !args[i + 1]!.startsWith('--')) i++;
    } else if (parts.length === 0) parts.push(a);
    else if (/^[A-Za-z_]\w*=/.test(a)) parts.push(`${a.slice(0, a.indexOf('='))}=`);
    else parts.push('<value>');
  }
  return [script, ...parts, ...flags.sort()].join(' ');
}

/** Splits a README command line as a shell would (single and double quotes; no expansions). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** Every `npm run` command of the "Operator tools" section of docs/operate.md: fenced lines and inline code. */
function readmeOperatorCommands(): string[][] {
  const readme = fs.readFileSync(path.join(PROJECT_DIR, 'docs', 'operate.md'), 'utf8');
  const start = readme.indexOf('\n## Operator tools');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const fenced = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()),
  );
  const inline = [...section.replace(/```[\s\S]*?```/g, '').matchAll(/`(npm run [^`]+)`/g)].map((m) => m[1]!.replace(/\s+/g, ' '));
  return [...fenced, ...inline]
    .filter((l) => l.startsWith('npm run '))
    .map((l) => l.replace(/<[^>]*>/g, 'PLACEHOLDER'))
    .map((l) => {
      const [, , script, dashes, ...rest] = shellWords(l);
      return dashes === '--' ? [script!, ...rest] : [script!, ...(dashes ? [dashes] : []), ...rest];
    });
}

const iso = (d: Date): string => d.toISOString();

function wait<T>(what: string, observe: () => T | Promise<T>, done: (v: T) => boolean, timeoutMs = WAIT_MS): Promise<T> {
  return eventually(what, observe, done, { timeoutMs, abortIf: () => e.fatal() });
}

const liveConsumers = (): E2eCloud['consumers'] => e.consumers.filter((c) => c.fn.name !== PROBE);
const only = <T>(items: readonly T[], keep: ReadonlySet<T>): T[] => items.filter((i) => keep.has(i));
const checkpoint = (name: string): string => path.join(e.stateDir, `replay-${name}.json`);

function orderPlaced(orderId: string, paymentToken?: string): KnownEvent<'OrderPlaced'> {
  return newEvent(
    'OrderPlaced',
    {
      orderId,
      customerEmail: `buyer-${orderId}@example.com`,
      items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 }],
      totalCents: 2500,
      currency: 'EUR',
      ...(paymentToken ? { paymentToken } : {}),
    },
    { partitionKey: orderId },
  );
}

const orderShipped = (orderId: string, n: number): KnownEvent<'OrderShipped'> =>
  newEvent(
    'OrderShipped',
    { orderId, customerEmail: `buyer-${orderId}@example.com`, carrier: 'DHL', trackingNumber: `TRACK-${n}` },
    { partitionKey: orderId },
  );

/**
 * perKey events per key (an OrderPlaced, then OrderShipped), interleaved across keys, one millisecond apart as
 * a producer stamps them: the archive orders objects Firehose wrote in the same second by that time
 * (tools/ops/archive-reader.ts), so events of one key created in the same millisecond could swap there.
 */
function eventsOn(keys: readonly string[], perKey: number): EventEnvelope[] {
  const out: EventEnvelope[] = [];
  const t0 = Date.now();
  for (let i = 0; i < perKey; i++) {
    for (const k of keys) {
      const event = i === 0 ? orderPlaced(k) : orderShipped(k, i);
      out.push({ ...event, occurredAt: new Date(t0 + out.length).toISOString() });
    }
  }
  return out;
}

const keysFor = (tag: string, n: number): string[] => Array.from({ length: n }, (_, i) => `order-${run}-${tag}-${i + 1}`);

/** A function's log lines with `message` about the given envelope ids, in order. */
const logLines = (fn: string, message: string, ids: ReadonlySet<string>): FunctionLogEntry[] =>
  e.functionLog.filter((l) => l.functionName === fn && l.message === message && l.envelopeId !== undefined && ids.has(l.envelopeId));

const PROCESSED = EVENT_MESSAGES.processed;
const DUPLICATE = EVENT_MESSAGES.duplicate;

/** Every job id the live consumers enqueue for an event. */
const jobsCausedBy = (ev: Pick<EventEnvelope, 'id' | 'type'>): string[] => liveConsumers().flatMap((c) => jobIdsFor(c.fn.name, ev));

/** Ids in order, grouped by partition key. */
function perKey(ids: readonly string[], keyOf: ReadonlyMap<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const id of ids) {
    const key = keyOf.get(id)!;
    out[key] ??= [];
    out[key].push(id);
  }
  return out;
}

async function publishAndSettle(events: readonly EventEnvelope[]): Promise<Set<string>> {
  const ids = new Set(events.map((ev) => ev.id));
  await e.publish(events);
  for (const c of liveConsumers()) {
    const expected = c.receives(events).length;
    await wait(
      `${c.fn.name} to process its ${expected} events live`,
      () => new Set(only(processedIds(e.reports, c.fn.name), ids)).size,
      (n) => n === expected,
    );
  }
  return ids;
}

/** Envelope ids per archived line (replay copies included), after a Firehose flush. */
async function archivedLines(): Promise<Array<{ key: string; envelope: EventEnvelope }>> {
  await e.cloud.firehose!.flush();
  const bodies = await new BucketReader(e.clients, e.archive.name).refresh();
  return [...bodies].flatMap(([key, body]) =>
    gunzip(body)
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => ({ key, envelope: JSON.parse(l) as EventEnvelope })),
  );
}

async function waitArchived(ids: ReadonlySet<string>): Promise<void> {
  await wait(
    `the archive to hold all ${ids.size} events`,
    async () => new Set((await archivedLines()).map((l) => l.envelope.id)),
    (got) => [...ids].every((id) => got.has(id)),
  );
}

function replay(o: Omit<ReplayOptions, 'env' | 's3' | 'kinesis' | 'invoker'>) {
  return runReplay({ env, s3: ops.s3, kinesis: ops.kinesis, invoker, progress: silentProgress, ...o });
}

describe('operator tools on the local cloud', () => {
  it('backfill (README steps 2–4): a brand-new consumer gets the archive to exactly the state of a consumer that saw the events live, and no other consumer sees them', async () => {
    const keys = keysFor('backfill', 6);
    const events = eventsOn(keys, 10); // 60 events, 6 keys
    const ids = await publishAndSettle(events);
    await waitArchived(ids);
    const keyOf = new Map(events.map((ev) => [ev.id, ev.partitionKey]));
    const processedBefore = Object.fromEntries(
      liveConsumers().map((c) => [c.fn.name, countBy(only(processedIds(e.reports, c.fn.name), ids))]),
    );
    expect(logLines(PROBE, PROCESSED, ids), 'the new consumer saw nothing live').toEqual([]);

    // step 2: where the archive begins (this is the file's first test: the archive holds these events only)
    const dry = await cliJson<ReplaySummary>('replay', ['--from', '2026-01-01T00:00:00Z', '--to', iso(new Date()), '--dry-run']);
    expect(dry.matched).toBe(60);
    expect(Object.values(dry.counts.byType).reduce((a, b) => a + b, 0)).toBe(60);
    const archiveStart = `${Object.keys(dry.counts.byHour).sort()[0]!}:00:00Z`;
    // step 3: everything (nothing locally is older than the retention) to the new consumer alone
    const summary = await cliJson<ReplaySummary>('replay', [
      '--from',
      archiveStart,
      '--to',
      iso(new Date()),
      '--target',
      `consumer:${PROBE}`,
    ]);
    expect({
      matched: summary.matched,
      sent: summary.sent,
      failed: summary.failed,
      skipped: summary.skipped,
      interrupted: summary.interrupted,
    }).toEqual({
      matched: 60,
      sent: 60,
      failed: 0,
      skipped: 0,
      interrupted: false,
    });

    // same processed set and same per-key processing order as the live reference consumer (same code)
    const probe = logLines(PROBE, PROCESSED, ids);
    const reference = logLines(REFERENCE, PROCESSED, ids);
    expect(probe.map((l) => l.envelopeId).sort()).toEqual([...ids].sort());
    expect(
      probe.every((l) => l.replayId === summary.replayId),
      'every backfilled event carries the replay marker',
    ).toBe(true);
    expect(reference.map((l) => l.envelopeId).sort()).toEqual([...ids].sort());
    expect(
      perKey(
        probe.map((l) => l.envelopeId!),
        keyOf,
      ),
    ).toEqual(
      perKey(
        reference.map((l) => l.envelopeId!),
        keyOf,
      ),
    );
    expect(
      perKey(
        probe.map((l) => l.envelopeId!),
        keyOf,
      ),
    ).toEqual(
      perKey(
        events.map((ev) => ev.id),
        keyOf,
      ),
    );
    expect(logLines(PROBE, DUPLICATE, ids)).toEqual([]);

    // no other consumer saw the replay: a sentinel per key, processed by every live consumer, comes after
    // anything the replay could have put on those keys (per-key order), so their counts are final here
    const sentinels = keys.map((k) => orderShipped(k, 99));
    await publishAndSettle(sentinels);
    for (const c of liveConsumers()) {
      expect(countBy(only(processedIds(e.reports, c.fn.name), ids)), `${c.fn.name}: processed counts unchanged`).toEqual(
        processedBefore[c.fn.name],
      );
      expect([...processedBefore[c.fn.name]!.values()].every((n) => n === 1)).toBe(true);
      expect(e.functionLog.filter((l) => l.functionName === c.fn.name && l.replayId === summary.replayId)).toEqual([]);
    }
  }, 90_000);

  it('replays to the stream: every consumer receives each event again, marked with its original id, processes it again, and no job side effect repeats', async () => {
    const from = new Date();
    const keys = keysFor('restream', 3);
    const events = eventsOn(keys, 4); // 12 events: 3 OrderPlaced, 9 OrderShipped
    const ids = await publishAndSettle(events);
    const to = new Date(Date.now() + 1);
    const keyOf = new Map(events.map((ev) => [ev.id, ev.partitionKey]));
    // jobs the consumers enqueued live, as the manifest says (each consumer's `enqueues`, for the types it `handles`)
    const jobIds = new Set(events.flatMap(jobsCausedBy));
    await wait(
      'the worker to complete every job the events caused',
      () => new Set(only(processedIds(e.reports, e.worker.name), jobIds)).size,
      (n) => n === jobIds.size,
    );
    await waitArchived(ids);
    const handledLive = Object.fromEntries(
      liveConsumers().map((c) => [c.fn.name, new Set(logLines(c.fn.name, PROCESSED, ids).map((l) => l.envelopeId!))]),
    );

    const summary = await cliJson<ReplaySummary>('replay', ['--from', iso(from), '--to', iso(to), '--target', 'stream', '--rate', '500']);
    expect({ matched: summary.matched, sent: summary.sent, failed: summary.failed, skipped: summary.skipped }).toEqual({
      matched: 12,
      sent: 12,
      failed: 0,
      skipped: 0,
    });

    for (const c of liveConsumers()) {
      const receives = new Set(c.receives(events).map((ev) => ev.id));
      await wait(
        `${c.fn.name} to receive its ${receives.size} events a second time`,
        () => countBy(only(processedIds(e.reports, c.fn.name), ids)),
        (m) => [...receives].every((id) => m.get(id) === 2),
      );
      // the second delivery keeps per-key order
      const second = processedIds(e.reports, c.fn.name).filter((id, i, all) => ids.has(id) && all.indexOf(id) < i);
      expect(perKey(second, keyOf), `${c.fn.name}: replayed per-key order`).toEqual(
        perKey(
          c.receives(events).map((ev) => ev.id),
          keyOf,
        ),
      );
      // no consumer keeps records (manifest: idempotency none): each processes the replayed copy, marked with the replay id
      const replayed = logLines(c.fn.name, PROCESSED, ids).filter((l) => l.replayId === summary.replayId);
      expect(new Set(replayed.map((l) => l.envelopeId)), `${c.fn.name}: replayed copies processed`).toEqual(handledLive[c.fn.name]);
      expect(logLines(c.fn.name, DUPLICATE, ids)).toEqual([]);
    }
    for (const c of liveConsumers()) {
      expect(handledLive[c.fn.name]?.size, `${c.fn.name} acts on the types its manifest entry handles`).toBe(
        events.filter((ev) => actsOn(c.fn.name, ev.type)).length,
      );
    }

    // the replayed records are marked and keep the original id: the archive now holds both copies
    const lines = await wait(
      'the replayed copies in the archive',
      async () => (await archivedLines()).filter((l) => ids.has(l.envelope.id)),
      (ls) => ls.length === 2 * ids.size,
    );
    const byId = new Map(events.map((ev) => [ev.id, ev]));
    for (const id of ids) {
      const copies = lines.filter((l) => l.envelope.id === id).map((l) => l.envelope);
      const marked = copies.filter((c) => c.replay !== undefined);
      expect(marked, `replayed copy of ${id}`).toHaveLength(1);
      expect(marked[0]!.replay).toMatchObject({ replayId: summary.replayId, target: 'stream' });
      const { replay: _marker, ...rest } = marked[0]!;
      expect(rest).toEqual(byId.get(id));
    }

    // the consumers enqueued the same job ids again; the worker did each job once and acknowledged each repeat
    await wait(
      'the worker to acknowledge every repeated job',
      () =>
        new Set(e.workerLog.filter((l) => l.message === JOB_MESSAGES.duplicate && jobIds.has(l.envelopeId!)).map((l) => l.envelopeId)).size,
      (n) => n === jobIds.size,
    );
    await wait(
      'the job queue to be empty',
      () => queueDepth(e.clients.sqs, e.jobs.url),
      (d) => d === 0,
    );
    expect(
      countBy(e.workerLog.filter((l) => l.message === JOB_MESSAGES.processed && jobIds.has(l.envelopeId!)).map((l) => l.envelopeId)),
    ).toEqual(new Map([...jobIds].map((id) => [id, 1])));
  }, 90_000);

  it('resumes an interrupted replay from its checkpoint: every event delivered exactly once across both runs', async () => {
    const from = new Date();
    const keys = keysFor('resume', 3);
    const events = eventsOn(keys, 10); // 30 events
    const ids = await publishAndSettle(events);
    const to = new Date(Date.now() + 1);
    await waitArchived(ids);
    const keyOf = new Map(events.map((ev) => [ev.id, ev.partitionKey]));

    const abort = new AbortController();
    // the operator's Ctrl-C after the second batch: runReplay stops between chunks
    const interruptAfterTen: ProgressSink = { ...silentProgress, update: (c) => (c.sent ?? 0) >= 10 && abort.abort() };
    const options = { from, to, target: { kind: 'consumer', name: PROBE } as const, batchSize: 5, checkpointFile: checkpoint('resume') };
    const first = await replay({ ...options, signal: abort.signal, progress: interruptAfterTen });
    expect({ interrupted: first.interrupted, sent: first.sent, failed: first.failed }).toEqual({ interrupted: true, sent: 10, failed: 0 });
    expect(logLines(PROBE, PROCESSED, ids)).toHaveLength(10);

    const second = await replay(options);
    expect({ resumed: second.resumed, interrupted: second.interrupted, sent: second.sent, failed: second.failed }).toEqual({
      resumed: true,
      interrupted: false,
      sent: 20,
      failed: 0,
    });
    expect(second.replayId, 'the resumed run continues the same replay').toBe(first.replayId);

    // at the target: each id delivered once (processed once, never even acknowledged as a duplicate)
    const delivered = e.functionLog.filter(
      (l) =>
        l.functionName === PROBE &&
        l.envelopeId !== undefined &&
        ids.has(l.envelopeId) &&
        (l.message === PROCESSED || l.message === DUPLICATE),
    );
    expect(countBy(delivered.map((l) => l.envelopeId))).toEqual(new Map([...ids].map((id) => [id, 1])));
    expect(delivered.every((l) => l.message === PROCESSED && l.replayId === first.replayId)).toBe(true);
    expect(
      perKey(
        delivered.map((l) => l.envelopeId!),
        keyOf,
      ),
    ).toEqual(
      perKey(
        events.map((ev) => ev.id),
        keyOf,
      ),
    );

    // a third run finds the replay complete and sends nothing
    const third = await replay(options);
    expect({ alreadyComplete: third.alreadyComplete, sent: third.sent }).toEqual({ alreadyComplete: true, sent: 0 });
  }, 90_000);

  it('redrive jobs, as the README walks it: a declined payment in the DLQ, the dry run names it, the fix, the redrive: processed once, DLQ empty', async () => {
    const orderId = `order-${run}-redrive-job`;
    const maxReceiveCount = e.jobs.redrivePolicy!.maxReceiveCount;
    const workerEnv = async (): Promise<Record<string, string>> =>
      (await cliJson<FunctionEnvResult>('function-env', ['job-worker'])).variables;
    const templateEnv = await workerEnv();
    expect(templateEnv[DECLINED_TOKENS_ENV], 'the template leaves the fake at its default').toBeUndefined();

    const enqueued = await cliJson<{ results: { ok: boolean; envelope: { id: string } }[] }>('enqueue', [
      'process-payment',
      JSON.stringify({ orderId, amountCents: 4200, currency: 'EUR', paymentToken: DECLINED_TOKEN }),
      '--key',
      orderId,
    ]);
    const jobId = enqueued.results[0]!.envelope.id;
    await wait(
      'the poison job in the DLQ',
      async () => (await peekAll(e.clients, e.dlq)).map((m) => m.body),
      (bodies) => bodies.some((b) => b.includes(jobId)),
      45_000,
    );
    expect(invocationsWith(e.reports, e.worker.name, jobId), 'receives before dead-lettering').toHaveLength(maxReceiveCount);
    expect(processedIds(e.reports, e.worker.name)).not.toContain(jobId);
    expect(await peekAll(e.clients, e.dlq), 'only the poison job is dead-lettered').toHaveLength(1);

    // the dry run: by type, the envelope id, and where the reason is; the reason is in that log, under that id
    const peek = await cli('redrive', ['jobs', '--dry-run']);
    expect(peek.code, peek.stderr).toBe(0);
    expect(peek.stdout).toMatch(/dry run on local: 1 message\(s\) in the jobs DLQ; nothing consumed/);
    expect(peek.stdout).toMatch(/process-payment\s+1/);
    expect(peek.stdout).toContain(`grep ${jobId} .local/logs/job-worker.log`);
    expect(peek.stdout).not.toMatch(/by error/);
    const logged = fs
      .readFileSync(path.join(cliDir, '.local', 'logs', `${e.worker.name}.log`), 'utf8')
      .split('\n')
      .filter((l) => l.includes(jobId));
    expect(
      logged.some((l) => l.includes('job failed') && l.includes('declined')),
      'the reason is in the worker log under that id',
    ).toBe(true);
    const peeked = await cliJson<RedriveJobsSummary>('redrive', ['jobs', '--dry-run']);
    expect({
      peeked: peeked.peeked,
      byType: peeked.byType,
      notRunnable: peeked.notRunnable,
      ids: peeked.sample.map((m) => m.envelopeId),
    }).toEqual({
      peeked: 1,
      byType: { 'process-payment': 1 },
      notRunnable: {},
      ids: [jobId],
    });

    // the fix: the fake provider stops declining the token (UpdateFunctionConfiguration on the running worker)
    const fix = await cliJson<FunctionEnvResult>('function-env', ['job-worker', `${DECLINED_TOKENS_ENV}=`]);
    expect(fix.changed).toEqual({ [DECLINED_TOKENS_ENV]: [null, ''] });
    try {
      const summary = await cliJson<RedriveJobsSummary>('redrive', ['jobs']);
      expect({ mode: summary.mode, moved: summary.moved, failed: summary.failed, duplicatesDropped: summary.duplicatesDropped }).toEqual({
        mode: 'loop',
        moved: 1,
        failed: 0,
        duplicatesDropped: 0,
      });
      expect(summary.byType).toEqual({ 'process-payment': 1 });

      await wait(
        'the redriven job to be done',
        () => processedIds(e.reports, e.worker.name).filter((id) => id === jobId).length,
        (n) => n >= 1,
      );
      await wait(
        'the job queue to be empty',
        () => queueDepth(e.clients.sqs, e.jobs.url),
        (d) => d === 0,
      );
      expect(countBy(processedIds(e.reports, e.worker.name)).get(jobId), 'processed once').toBe(1);
      expect(e.workerLog.filter((l) => l.message === JOB_MESSAGES.processed && l.envelopeId === jobId)).toHaveLength(1);
      expect(await peekAll(e.clients, e.dlq), 'DLQ empty').toEqual([]);
      expect(await queueDepth(e.clients.sqs, e.dlq.url)).toBe(0);
      // a second redrive (the README's --max variant) finds nothing
      expect((await cliJson<RedriveJobsSummary>('redrive', ['jobs', '--max', '10'])).moved).toBe(0);
    } finally {
      await cliJson<FunctionEnvResult>('function-env', ['job-worker', '--unset', DECLINED_TOKENS_ENV]);
    }
    expect(await workerEnv(), 'the template environment again').toEqual(templateEnv);
  }, 120_000);

  it('redrive events, as the README walks it: notifications loses its queue, gives up on an event, gets it back once after the fix; a second run does nothing, others unaffected', async () => {
    const notifications = e.consumer('notifications');
    const others = liveConsumers().filter((c) => c !== notifications);
    const shown = await cliJson<FunctionEnvResult>('function-env', ['notifications']);
    const queueUrl = shown.variables['JOB_QUEUE_URL'];
    expect(queueUrl, 'notifications enqueues to the job queue').toBe(notifications.fn.environment['JOB_QUEUE_URL']);
    const orderId = `order-${run}-redrive-events`;
    const data = {
      orderId,
      customerEmail: 'ada@example.com',
      items: [{ sku: 'SKU-1', quantity: 1, unitPriceCents: 1250 }],
      totalCents: 1250,
      currency: 'EUR',
    };

    // the fault: the job queue notifications sends to is gone (as the README sets it)
    await cliJson<FunctionEnvResult>('function-env', [
      'notifications',
      'JOB_QUEUE_URL=http://sqs.us-east-1.localhost:4566/000000000000/gone',
    ]);
    let id = '';
    try {
      const published = await cliJson<{ results: { ok: boolean; envelope: { id: string; type: string } }[] }>('publish', [
        'OrderPlaced',
        JSON.stringify(data),
        '--key',
        orderId,
      ]);
      id = published.results[0]!.envelope.id;
      const ids = new Set([id]);
      for (const c of others) {
        const expected = actsOn(c.fn.name, 'OrderPlaced') ? 1 : 0;
        await wait(
          `${c.fn.name} to process the event`,
          () => new Set(only(processedIds(e.reports, c.fn.name), ids)).size,
          (n) => n === expected,
        );
      }
      const failedRecords = await wait(
        'notifications to give up on the event (failure bucket)',
        async () => {
          const objects = await new BucketReader(e.clients, e.failures.name).refresh();
          const records = [...objects]
            .filter(([k]) => k.startsWith('aws/lambda/'))
            .flatMap(([, b]) => decodeInvocationRecord(b.toString('utf8')).payload?.Records ?? []);
          return new Set(
            records
              .map((r) => (JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as { id: string }).id)
              .filter((x) => ids.has(x)),
          );
        },
        (found) => found.size === 1,
        45_000,
      );
      expect(failedRecords).toEqual(ids);
      expect(logLines(notifications.fn.name, PROCESSED, ids), 'notifications processed none of it').toEqual([]);
    } finally {
      // the fix: its queue URL back, as shown before the fault
      await cliJson<FunctionEnvResult>('function-env', ['notifications', `JOB_QUEUE_URL=${queueUrl}`]);
    }
    const ids = new Set([id]);
    const emailJobs = new Set(jobIdsFor('notifications', { id, type: 'OrderPlaced' }));
    const failureKeys = async (prefix: string): Promise<string[]> =>
      ((await e.clients.s3.send(new ListObjectsV2Command({ Bucket: e.failures.name, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
    const objectsBefore = await failureKeys('aws/lambda/');

    const dry = await cliJson<RedriveEventsSummary>('redrive', ['events', '--consumer', 'notifications', '--dry-run']);
    expect({ records: dry.records, redelivered: dry.redelivered, moved: dry.moved, byType: dry.byType }).toEqual({
      records: 1,
      redelivered: 0,
      moved: 0,
      byType: { OrderPlaced: 1 },
    });
    const summary = await cliJson<RedriveEventsSummary>('redrive', ['events', '--consumer', 'notifications']);
    expect({
      records: summary.records,
      redelivered: summary.redelivered,
      failed: summary.failed,
      objects: summary.objects,
      moved: summary.moved,
    }).toEqual({
      records: 1,
      redelivered: 1,
      failed: 0,
      objects: objectsBefore.length,
      moved: objectsBefore.length,
    });
    // processed once by notifications, and its send-email job done once by the worker
    expect(countBy(logLines(notifications.fn.name, PROCESSED, ids).map((l) => l.envelopeId))).toEqual(new Map([[id, 1]]));
    await wait(
      'the worker to complete the send-email job of the redriven event',
      () => new Set(only(processedIds(e.reports, e.worker.name), emailJobs)).size,
      (n) => n === emailJobs.size,
    );
    await wait(
      'the job queue to be empty',
      () => queueDepth(e.clients.sqs, e.jobs.url),
      (d) => d === 0,
    );
    expect(
      countBy(e.workerLog.filter((l) => l.message === JOB_MESSAGES.processed && emailJobs.has(l.envelopeId!)).map((l) => l.envelopeId)),
    ).toEqual(new Map([...emailJobs].map((j) => [j, 1])));
    // the objects moved under redriven/
    expect(await failureKeys('aws/lambda/')).toEqual([]);
    expect((await failureKeys(REDRIVEN_PREFIX)).sort()).toEqual(objectsBefore.map((k) => `${REDRIVEN_PREFIX}${k}`).sort());

    const again = await cliJson<RedriveEventsSummary>('redrive', ['events', '--consumer', 'notifications']);
    expect({ objects: again.objects, redelivered: again.redelivered, moved: again.moved }).toEqual({
      objects: 0,
      redelivered: 0,
      moved: 0,
    });
    expect(logLines(notifications.fn.name, PROCESSED, ids)).toHaveLength(1);
    expect(logLines(notifications.fn.name, DUPLICATE, ids)).toEqual([]);
    for (const c of others) {
      expect(countBy(only(processedIds(e.reports, c.fn.name), ids)), `${c.fn.name}: the event once`).toEqual(
        new Map(actsOn(c.fn.name, 'OrderPlaced') ? [[id, 1]] : []),
      );
      expect(
        e.functionLog.filter(
          (l) => l.functionName === c.fn.name && l.envelopeId !== undefined && ids.has(l.envelopeId) && l.message !== PROCESSED,
        ),
      ).toEqual([]);
    }
  }, 120_000);

  it('replay, as the README shows it: a dry run counts per type and hour, --type sends only that type to one consumer', async () => {
    const from = new Date();
    const events = eventsOn(keysFor('typed', 2), 3); // per key: OrderPlaced, then OrderShipped twice
    const ids = await publishAndSettle(events);
    const to = new Date(Date.now() + 1);
    await waitArchived(ids);
    const byType = countBy(events.map((ev) => ev.type));

    const dry = await cliJson<ReplaySummary>('replay', ['--from', iso(from), '--to', iso(to), '--dry-run']);
    expect({ matched: dry.matched, sent: dry.sent, byType: dry.counts.byType }).toEqual({
      matched: events.length,
      sent: 0,
      byType: Object.fromEntries(byType),
    });
    expect(Object.values(dry.counts.byHour).reduce((a, b) => a + b, 0)).toBe(events.length);
    expect(logLines(PROBE, PROCESSED, ids), 'a dry run delivers nothing').toEqual([]);

    const placed = events.filter((ev) => ev.type === 'OrderPlaced');
    const typed = await cliJson<ReplaySummary>('replay', [
      '--from',
      iso(from),
      '--to',
      iso(to),
      '--target',
      `consumer:${PROBE}`,
      '--type',
      'OrderPlaced',
    ]);
    expect({ matched: typed.matched, sent: typed.sent, failed: typed.failed }).toEqual({
      matched: placed.length,
      sent: placed.length,
      failed: 0,
    });
    expect(countBy(logLines(PROBE, PROCESSED, ids).map((l) => l.envelopeId))).toEqual(new Map(placed.map((ev) => [ev.id, 1])));
  }, 90_000);

  it('rewind, as the README walks it: one consumer processes the records since --from again, once each, in per-key order; the others are unaffected; a dry run delivers nothing; a future --from is refused', async () => {
    const target = 'analytics';
    const rewound = e.consumer(target);
    const others = liveConsumers().filter((c) => c !== rewound);
    const before = eventsOn(keysFor('rewind-before', 3), 2);
    const beforeIds = await publishAndSettle(before);
    await new Promise((resolve) => setTimeout(resolve, 50)); // arrival times are milliseconds: keep the sides apart
    const from = new Date();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const keys = keysFor('rewind', 6);
    const since = eventsOn(keys, 3); // 18 events on 6 keys (both shards)
    const ids = await publishAndSettle(since);
    const keyOf = new Map(since.map((ev) => [ev.id, ev.partitionKey]));
    const processedBefore = Object.fromEntries(
      liveConsumers().map((c) => [c.fn.name, countBy(only(processedIds(e.reports, c.fn.name), new Set([...ids, ...beforeIds])))]),
    );
    const expected = since.filter((ev) => actsOn(target, ev.type));

    // the dry run: what it would deliver, per type and shard; nothing invoked
    const dryText = await cli('rewind', ['--consumer', target, '--from', iso(from), '--dry-run']);
    expect(dryText.code, dryText.stderr).toBe(0);
    expect(dryText.stdout).toMatch(new RegExp(`to deliver ${expected.length}\\b`));
    const dry = await cliJson<RewindSummary>('rewind', ['--consumer', target, '--from', iso(from), '--dry-run']);
    expect({ dryRun: dry.dryRun, read: dry.read, delivered: dry.delivered, skipped: dry.skipped }).toEqual({
      dryRun: true,
      read: since.length,
      delivered: 0,
      skipped: since.length - expected.length,
    });
    expect(dry.byType).toEqual(Object.fromEntries(countBy(expected.map((ev) => ev.type))));
    expect(
      e.functionLog.filter(
        (l) => l.replayId !== undefined && ids.has(l.envelopeId ?? '') && l.functionName === target && l.message === PROCESSED,
      ),
    ).toEqual([]);

    // a --from in the future: one line, exit 2, nothing read or delivered
    const future = await cli('rewind', ['--consumer', target, '--from', iso(new Date(Date.now() + 3_600_000))]);
    expect(future.code).toBe(2);
    expect(future.stderr.trim().split('\n')).toHaveLength(1);
    expect(future.stderr).toMatch(/^error: --from \S+ is in the future \(now \S+\): a rewind re-reads records the stream already holds\n$/);

    // the rewind (plain output: the progress lines off a terminal end with the summary's counts)
    const out = await cli('rewind', ['--consumer', target, '--from', iso(from)]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(
      new RegExp(`read ${since.length}\\s+delivered ${expected.length}\\s+skipped ${since.length - expected.length}\\s+failed 0`),
    );
    expect(out.stderr.trim().split('\n').pop()).toMatch(
      new RegExp(`^rewinding ${target}: \\d+/\\d+ shards, delivered ${expected.length}, failed 0$`),
    );
    const rewindId = /rewind ([0-9a-f-]{36}):/.exec(out.stdout)![1]!;

    // the rewound consumer: each record since --from once more, marked, in per-key order; nothing from before
    const again = logLines(target, PROCESSED, ids).filter((l) => l.replayId === rewindId);
    expect(countBy(again.map((l) => l.envelopeId))).toEqual(new Map(expected.map((ev) => [ev.id, 1])));
    expect(
      perKey(
        again.map((l) => l.envelopeId!),
        keyOf,
      ),
    ).toEqual(
      perKey(
        expected.map((ev) => ev.id),
        keyOf,
      ),
    );
    expect(
      e.functionLog.filter((l) => l.replayId === rewindId && l.envelopeId !== undefined && beforeIds.has(l.envelopeId)),
      'nothing before --from',
    ).toEqual([]);
    expect(logLines(target, DUPLICATE, ids)).toEqual([]);

    // the others: nothing new. A sentinel per key comes after anything that could have reached them for those keys
    await publishAndSettle(keys.map((k) => orderShipped(k, 99)));
    for (const c of others) {
      expect(
        countBy(only(processedIds(e.reports, c.fn.name), new Set([...ids, ...beforeIds]))),
        `${c.fn.name}: processed counts unchanged`,
      ).toEqual(processedBefore[c.fn.name]);
      expect(e.functionLog.filter((l) => l.functionName === c.fn.name && l.replayId === rewindId)).toEqual([]);
    }
    expect(logLines(PROBE, PROCESSED, ids), 'the paused probe saw nothing').toEqual([]);
    // the rewound consumer's live mapping processed each record once, as before the rewind
    expect(countBy(only(processedIds(e.reports, target), new Set([...ids, ...beforeIds])))).toEqual(processedBefore[target]);
  }, 120_000);

  it('reports a corrupt archive line and a corrupt GZIP object (key, line, reason), skips them and replays everything else', async () => {
    const from = new Date();
    const events = eventsOn(keysFor('corrupt', 2), 5); // 10 events on the stream
    const ids = await publishAndSettle(events);
    await waitArchived(ids);
    // an object with a corrupt line between good ones (events that reached the archive only), and a truncated GZIP object
    const extra = [
      orderPlaced(`order-${run}-corrupt-x`),
      orderShipped(`order-${run}-corrupt-x`, 1),
      orderShipped(`order-${run}-corrupt-x`, 2),
    ];
    const prefix = hourPrefix(new Date());
    const badLineKey = `${prefix}zz-hand-written-${run}.gz`;
    const badGzipKey = `${prefix}zz-truncated-${run}.gz`;
    const body = `${[JSON.stringify(extra[0]), JSON.stringify(extra[1]), '{"kind":"event","id":"cut off', JSON.stringify(extra[2])].join('\n')}\n`;
    await e.clients.s3.send(new PutObjectCommand({ Bucket: e.archive.name, Key: badLineKey, Body: gzipSync(body) }));
    await e.clients.s3.send(
      new PutObjectCommand({
        Bucket: e.archive.name,
        Key: badGzipKey,
        Body: gzipSync(`${JSON.stringify(orderPlaced(`order-${run}-lost`))}\n`).subarray(0, 20),
      }),
    );
    const to = new Date(Date.now() + 1);
    const all = new Set([...ids, ...extra.map((ev) => ev.id)]);

    const summary = await replay({ from, to, target: { kind: 'consumer', name: PROBE }, checkpointFile: checkpoint('corrupt') });
    expect({ matched: summary.matched, sent: summary.sent, skipped: summary.skipped, failed: summary.failed }).toEqual({
      matched: all.size,
      sent: all.size,
      skipped: 2,
      failed: 0,
    });
    expect(summary.issues.map((i) => ({ key: i.key, line: i.line }))).toEqual(
      [
        { key: badGzipKey, line: 0 },
        { key: badLineKey, line: 3 },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    );
    for (const i of summary.issues) expect(i.reason, `${i.key} line ${i.line}`).toMatch(/\S/);
    expect(summary.issues.find((i) => i.key === badGzipKey)!.reason).toMatch(/GZIP/);
    // everything else reached the consumer, once
    expect(countBy(logLines(PROBE, PROCESSED, all).map((l) => l.envelopeId))).toEqual(new Map([...all].map((id) => [id, 1])));
  }, 90_000);

  it("ran every command of the README's Operator tools walkthroughs (same script, same first argument, same flags)", () => {
    const done = new Set(ran.map(shapeOf));
    const readme = readmeOperatorCommands();
    expect(readme.length).toBeGreaterThan(15);
    const missing = [...new Set(readme.map(shapeOf))].filter((shape) => !done.has(shape));
    expect(missing, `README commands no test here ran (ran: ${[...done].join(' | ')})`).toEqual([]);
  });
});
