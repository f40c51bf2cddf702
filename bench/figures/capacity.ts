/**
 * Figure 7: consumer capacity under AWS-like latency (issue #9, item 4). How many stream records per second
 * one shard's consumer keeps up with when Lambda invokes it as it does with parallelization factor 1 (one
 * batch of up to 100 records per shard at a time, so one invocation after another), and every AWS call the
 * handler makes is held for a per-service latency; the job worker the same way with SQS batches of 10.
 *
 * Two designs in the same run, interleaved: "record-at-a-time (before #9)", the handlers as they were at
 * commit ff69914, bundled here from git the way NodejsFunction bundles; and "batch-aware (#9)", the bundles
 * of the synthesized assembly. Each function runs in its own child process (capacity-child.ts) with the
 * environment the template gives it; its SQS and DynamoDB calls go through latency proxies
 * (bench/lib/latency-proxy.ts) to fauxqs and dynalite, started here on 127.0.0.1.
 *
 * A chain's speed counts only if the handler did its work: no invocation error, no batchItemFailures, the
 * EMF counters it printed match the records it handles, every job it owes landed in the queue (counted, then
 * purged), and no job of a partition key was enqueued before the job of an earlier record of that key.
 */
import { kinesisRecordFor } from '../../tools/ops/consumer-delivery';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, PurgeQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent, KinesisStreamRecord, SQSEvent, SQSRecord } from 'aws-lambda';
import { CONSUMERS, filterPatternsFor, isConsumerName, type ConsumerName } from '../../lambdas/consumers';
import { createSqsClient } from '../../lambdas/shared/aws-clients';
import { newEvent, serializeEnvelope, type KnownEvent, type KnownJob } from '../../lambdas/shared/envelope';
import { compileKinesisFilter } from '../../local/lambda/event-filter';
import { PLACEHOLDER, readAssemblyFunctions, type AssemblyFunction } from '../lib/assembly';
import { CREDENTIALS, REGION, startDynalite, startFauxqs, type Emulator } from '../lib/emulators';
import { startLatencyProxy, type LatencyProxy, type ProxyExchange } from '../lib/latency-proxy';
import { interleave, median, round } from '../lib/stats';
import type { BenchOptions, FigureResult, Row } from '../lib/types';
import { CHILD_FLAG, type ChainDone, type InvocationOutcome } from './capacity-child';
import { emailJobs } from './producers';

export const CAPACITY_TARGET = 1000; // stream records per second per shard, parallelization factor 1
/** Per-call latencies laid on the emulators (ms); sources in the figure's method text. */
export const DEFAULT_LATENCY_MS = { dynamodb: 5, sqs: 8 } as const;
/** The last commit with the record-at-a-time consumers (before issue #9). */
export const OLD_DESIGN_COMMIT = 'ff69914';
export const MEASURED_FILE = path.join('tools', 'cost', 'measured.json');

const LATENCY_SOURCES =
  'DynamoDB 5 ms per call: the DynamoDB Developer Guide gives "single-digit millisecond" average SuccessfulRequestLatency for singleton ' +
  'operations such as PutItem and UpdateItem, without the transport (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TroubleshootingLatency.html; ' +
  'also https://repost.aws/knowledge-center/dynamodb-high-latency), so 5 ms is the middle of that range with an in-region network; ' +
  'SQS 8 ms per call: AWS publishes no SendMessage / SendMessageBatch latency; 8 ms is the figure an earlier issue of this project used, ' +
  'in line with the "< 10 ms on publish" commonly quoted for standard queues, while the SQS Developer Guide\'s throughput page uses ' +
  '"averages 20 ms" from an EC2 client in the same region as its worked example (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-throughput-horizontal-scaling-and-batching.html), ' +
  'a pessimistic case to try with --latency-sqs-ms 20';

export interface CapacitySettings {
  /** Cloud assembly whose bundles are the batch-aware design (figure 6's synth output). */
  readonly assemblyDir: string;
  readonly latencyMs: { readonly dynamodb: number; readonly sqs: number };
}

export interface MeasuredCapacity {
  readonly generatedBy: string;
  readonly generatedAt: string;
  readonly latencyMs: { readonly dynamodb: number; readonly sqs: number };
  readonly consumers: Record<
    string,
    {
      msPerInvocationBatch1: number;
      msPerInvocationBatch100: number;
      recordsPerSecondPerShard: number;
      recordsDeliveredPerBatch100: number;
    }
  >;
  readonly worker: { msPerInvocationBatch1: number; msPerInvocationBatch10: number };
}

export interface CapacityFigure {
  readonly result: FigureResult;
  /** New design, keys spread: for tools/cost/measured.json (absent when a series it needs failed). */
  readonly measured?: MeasuredCapacity;
  readonly measuredMissing?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Pure helpers (unit-tested in test/bench/capacity.test.ts)

export type KeyDistribution = 'spread' | 'hot';
export type Design = 'old' | 'new';
export const DESIGN_LABEL: Record<Design, string> = { old: 'record-at-a-time (before #9)', new: 'batch-aware (#9)' };
const DIST_LABEL: Record<KeyDistribution, string> = { spread: 'keys spread (order id)', hot: 'one hot key' };

const STREAM_ARN = `arn:aws:kinesis:${REGION}:000000000000:stream/bench-events`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:000000000000:bench-capacity-jobs`;
const SEQUENCE_BASE = 49590338271490256608559692538361571095921575989136588898n;
const SKUS = ['SKU-TSHIRT-M', 'SKU-MUG-350', 'SKU-POSTER-A2', 'SKU-SOCKS-42', 'SKU-CAP-BLK'];

function orderPlaced(orderId: string, n: number, partitionKey: string): KnownEvent<'OrderPlaced'> {
  const items = Array.from({ length: 1 + (n % 3) }, (_, k) => ({
    sku: SKUS[(n + k) % SKUS.length]!,
    quantity: 1 + ((n + k) % 4),
    unitPriceCents: 499 + 250 * k,
  }));
  const totalCents = items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
  return newEvent(
    'OrderPlaced',
    {
      orderId,
      customerEmail: `customer${n % 997}@example.com`,
      items,
      totalCents,
      currency: 'EUR',
      paymentToken: `tok_${(n * 7919) % 100_000}`,
    },
    { partitionKey },
  );
}

function orderShipped(orderId: string, n: number, partitionKey: string): KnownEvent<'OrderShipped'> {
  return newEvent(
    'OrderShipped',
    { orderId, customerEmail: `customer${n % 997}@example.com`, carrier: 'DHL', trackingNumber: `JD014600${String(n).padStart(8, '0')}` },
    { partitionKey },
  );
}

/**
 * `n` consecutive events of one shard, OrderPlaced and OrderShipped alternating (half each). Keys spread:
 * partition key = order id, and each order's OrderShipped follows its OrderPlaced 50 records later (so a
 * batch of 100 holds 75 distinct keys, 25 of them twice). One hot key: every event carries the same key
 * (the orders of one busy customer).
 */
export function orderStream(n: number, dist: KeyDistribution, seed: string): KnownEvent[] {
  const lag = 25; // orders between an order's placement and its shipment (×2 records)
  const hotKey = `customer-hot-${seed}`;
  return Array.from({ length: n }, (_, p): KnownEvent => {
    const j = p >> 1;
    const order = p % 2 === 0 ? j + lag : j; // placed: order j+lag; shipped: order j (placed lag orders ago)
    const orderId = `ord-${seed}-${String(order).padStart(6, '0')}`;
    const key = dist === 'spread' ? orderId : hotKey;
    return p % 2 === 0 ? orderPlaced(orderId, order, key) : orderShipped(orderId, order, key);
  });
}

/** The Lambda record of `event` at `position` of the shard (sequence numbers increase with the position). */
export function streamRecord(event: KnownEvent, position: number, arrival: number): KinesisStreamRecord {
  return kinesisRecordFor(
    event,
    String(SEQUENCE_BASE + BigInt(position)),
    { shardId: 'shardId-000000000000', eventSourceArn: STREAM_ARN, region: REGION },
    new Date(arrival * 1000),
  );
}

/** What the mapping's filter criteria (from the consumer manifest) let through to `name`, as Lambda filters. */
export function manifestFilter(name: ConsumerName): (record: KinesisStreamRecord) => boolean {
  const patterns = filterPatternsFor(CONSUMERS[name]);
  const matches = compileKinesisFilter({ Filters: patterns.map((p) => ({ Pattern: JSON.stringify(p) })) });
  return (record) => matches === undefined || matches(Buffer.from(record.kinesis.data, 'base64'));
}

/** An SQS event of send-email jobs, as the worker's mapping delivers it. */
export function sqsEvent(jobs: readonly KnownJob[]): SQSEvent {
  const now = String(Date.now());
  return {
    Records: jobs.map(
      (job): SQSRecord => ({
        messageId: job.id,
        receiptHandle: `rh-${job.id}`,
        body: serializeEnvelope(job),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'AIDABENCH', ApproximateFirstReceiveTimestamp: now },
        messageAttributes: { type: { dataType: 'String', stringValue: job.type, stringListValues: [], binaryListValues: [] } },
        md5OfBody: '0'.repeat(32),
        eventSource: 'aws:sqs',
        eventSourceARN: QUEUE_ARN,
        awsRegion: REGION,
      }),
    ),
  };
}

/** One job a handler sent, as the SQS proxy saw it. */
export interface SentJob {
  readonly causationId: string | undefined;
  readonly jobId: string;
  /** Index of the request among the chain's requests (arrival order) and of the entry within it. */
  readonly request: number;
  readonly entry: number;
  readonly arrivedAt: number;
  readonly answeredAt: number;
}

/** The jobs in the SendMessage / SendMessageBatch requests (AWS JSON protocol) the proxy saw, in arrival order. */
export function parseSqsSends(exchanges: readonly Pick<ProxyExchange, 'headers' | 'body' | 'arrivedAt' | 'answeredAt'>[]): {
  jobs: SentJob[];
  requests: number;
  unparsed: number;
} {
  const jobs: SentJob[] = [];
  let requests = 0;
  let unparsed = 0;
  const ordered = [...exchanges].sort((a, b) => a.arrivedAt - b.arrivedAt);
  for (const x of ordered) {
    const target = String(x.headers['x-amz-target'] ?? '');
    if (!/\.SendMessage(Batch)?$/.test(target)) continue;
    const request = requests++;
    try {
      const body = JSON.parse(x.body.toString('utf8')) as { MessageBody?: string; Entries?: { MessageBody?: string }[] };
      const bodies = target.endsWith('Batch') ? (body.Entries ?? []).map((e) => e.MessageBody) : [body.MessageBody];
      bodies.forEach((text, entry) => {
        const job = JSON.parse(text ?? '') as { id: string; causationId?: string };
        jobs.push({ causationId: job.causationId, jobId: job.id, request, entry, arrivedAt: x.arrivedAt, answeredAt: x.answeredAt });
      });
    } catch {
      unparsed++;
    }
  }
  return { jobs, requests, unparsed };
}

export interface KeyOrderCheck {
  /** Event ids with no job sent. */
  readonly missing: readonly string[];
  /** Jobs sent more than once for one event (retries). */
  readonly repeated: number;
  /** Pairs of consecutive records of one key whose jobs were compared. */
  readonly pairs: number;
  /** Of those, pairs whose jobs went in requests that were in flight together (a standard queue does not order them). */
  readonly concurrent: number;
  readonly violations: readonly string[];
}

/**
 * Per-key order of the side effects: for consecutive records a, b of one partition key (stream order), b's job
 * must not be enqueued before a's. A violation is b's job placed before a's in the same request, or b's request
 * answered before a's request had even arrived. Requests in flight together are counted apart (a standard
 * queue keeps no order between them, and the handler started them in order).
 */
export function checkKeyOrder(
  expected: readonly { readonly eventId: string; readonly key: string }[],
  sent: readonly SentJob[],
): KeyOrderCheck {
  const first = new Map<string, SentJob>();
  let repeated = 0;
  for (const job of sent) {
    if (job.causationId === undefined) continue;
    if (first.has(job.causationId)) repeated++;
    else first.set(job.causationId, job);
  }
  const missing: string[] = [];
  const lastOfKey = new Map<string, { eventId: string; job: SentJob }>();
  let pairs = 0;
  let concurrent = 0;
  const violations: string[] = [];
  for (const { eventId, key } of expected) {
    const job = first.get(eventId);
    if (job === undefined) {
      missing.push(eventId);
      continue;
    }
    const prev = lastOfKey.get(key);
    lastOfKey.set(key, { eventId, job });
    if (prev === undefined) continue;
    pairs++;
    const a = prev.job;
    if (a.request === job.request) {
      if (job.entry < a.entry) violations.push(`key ${key}: the job of ${eventId} precedes that of ${prev.eventId} in one request`);
    } else if (job.answeredAt <= a.arrivedAt) {
      violations.push(`key ${key}: the job of ${eventId} was enqueued before that of ${prev.eventId} was sent`);
    } else if (job.arrivedAt < a.answeredAt) {
      concurrent++;
    }
  }
  return { missing, repeated, pairs, concurrent, violations };
}

/** Stream records per second of back-to-back invocations. */
export const perSecond = (records: number, ms: readonly number[]): number => (records * 1000) / ms.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------------------------------------------------
// Child processes

/** Every child of this module: killed if the bench exits without stopping them. */
const liveChildren = new Set<ChildProcess>();
let exitHook = false;

class FunctionChild {
  private serial = 0;
  private readonly stderr: string[] = [];
  private waiting: { id: number; resolve: (d: ChainDone) => void; reject: (e: Error) => void } | undefined;
  private exited = false;
  initMs = 0;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(label: string, script: string, env: Record<string, string>, cwd: string, timeoutMs = 30_000): Promise<FunctionChild> {
    const child = fork(script, [], { cwd, env, execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    liveChildren.add(child);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const c of liveChildren) c.kill('SIGKILL');
      });
    }
    const fc = new FunctionChild(label, child);
    child.stderr?.on('data', (d: Buffer) => {
      fc.stderr.push(d.toString());
      if (fc.stderr.length > 50) fc.stderr.shift();
    });
    child.on('message', (m: { type: string; id?: number }) => {
      if (m.type === 'done' && fc.waiting && m.id === fc.waiting.id) {
        const w = fc.waiting;
        fc.waiting = undefined;
        w.resolve(m as ChainDone);
      }
    });
    child.once('exit', (code, signal) => {
      fc.exited = true;
      liveChildren.delete(child);
      const w = fc.waiting;
      fc.waiting = undefined;
      w?.reject(new Error(`${label}: the child exited (${signal ?? `code ${code}`})${fc.lastErr()}`));
    });
    child.on('error', () => undefined); // EPIPE after a kill: the exit handler reports it
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${label}: not ready within ${timeoutMs} ms${fc.lastErr()}`)), timeoutMs);
      const onMessage = (m: { type: string; initMs?: number; message?: string }): void => {
        if (m.type === 'ready') {
          fc.initMs = m.initMs ?? 0;
          finish(() => resolve());
        } else if (m.type === 'init-error') finish(() => reject(new Error(`${label}: init failed: ${m.message}`)));
      };
      const onExit = (): void => finish(() => reject(new Error(`${label}: exited during init${fc.lastErr()}`)));
      const finish = (then: () => void): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        then();
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    }).catch(async (error: unknown) => {
      await fc.stop();
      throw error;
    });
    return fc;
  }

  private lastErr(): string {
    const text = this.stderr.join('').trim().split('\n').slice(-3).join(' | ');
    return text ? `: ${text.slice(0, 400)}` : '';
  }

  /** Runs `events` back to back (stopping once `capMs` has run); bounded by `timeoutMs`. */
  run(events: readonly unknown[], capMs: number, timeoutMs: number): Promise<ChainDone> {
    if (this.exited) return Promise.reject(new Error(`${this.label}: the child is gone`));
    const id = ++this.serial;
    return new Promise<ChainDone>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.child.kill('SIGKILL');
        reject(new Error(`${this.label}: chain not done within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.waiting = {
        id,
        resolve: (d) => {
          clearTimeout(timer);
          resolve(d);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.child.send({ type: 'run', id, events, capMs });
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect(); // the child exits on disconnect
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await gone;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Bundles and environments

/** The consumer handlers at OLD_DESIGN_COMMIT, bundled as NodejsFunction bundles (lib/house-function.ts). */
async function buildOldBundles(
  options: BenchOptions,
  names: readonly string[],
): Promise<{ bundles: Map<string, string>; reasons: Map<string, string> }> {
  const bundles = new Map<string, string>();
  const reasons = new Map<string, string>();
  try {
    execFileSync('git', ['-C', options.root, 'cat-file', '-e', `${OLD_DESIGN_COMMIT}^{commit}`], { stdio: 'ignore' });
  } catch {
    for (const n of names)
      reasons.set(n, `git history has no commit ${OLD_DESIGN_COMMIT} (a shallow clone?): the record-at-a-time handlers cannot be rebuilt`);
    return { bundles, reasons };
  }
  const dir = path.join(options.tmp, 'capacity-old');
  fs.mkdirSync(dir, { recursive: true });
  const tar = path.join(dir, 'lambdas.tar');
  execFileSync('git', ['-C', options.root, 'archive', '--format=tar', '-o', tar, OLD_DESIGN_COMMIT, 'lambdas'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  execFileSync('tar', ['-xf', tar, '-C', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  for (const name of names) {
    const entry = path.join(dir, 'lambdas', name, 'handler.ts');
    if (!fs.existsSync(entry)) {
      reasons.set(name, `no lambdas/${name}/handler.ts at ${OLD_DESIGN_COMMIT}`);
      continue;
    }
    const outfile = path.join(dir, 'bundles', name, 'index.js');
    try {
      await esbuild.build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        minify: true,
        sourcemap: true,
        sourcesContent: false,
        platform: 'node',
        target: 'node24',
        format: 'cjs',
        external: ['@aws-sdk/*'],
        nodePaths: [path.join(options.root, 'node_modules')],
        tsconfig: path.join(options.root, 'tsconfig.json'),
        logLevel: 'silent',
      });
      bundles.set(name, outfile);
    } catch (error) {
      reasons.set(name, `bundling lambdas/${name}/handler.ts of ${OLD_DESIGN_COMMIT} failed: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { bundles, reasons };
}

interface Local {
  readonly queueUrl: string;
  readonly tableName: string;
  readonly sqsEndpoint: string;
  readonly dynamodbEndpoint: string;
}

/** A template value that was an intrinsic (Ref, GetStackOutput…) replaced by the local resource it names. */
function resolveTokens(env: Record<string, string>, local: Local): { env: Record<string, string>; unresolved: string[] } {
  const out: Record<string, string> = {};
  const unresolved: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (v !== PLACEHOLDER) out[k] = v;
    else if (/QUEUE_URL$/.test(k)) out[k] = local.queueUrl;
    else if (/TABLE_NAME$/.test(k)) out[k] = local.tableName;
    else {
      out[k] = v;
      unresolved.push(k);
    }
  }
  return { env: out, unresolved };
}

/** What a Lambda execution environment adds to the function's own variables; every other AWS endpoint is a closed port. */
function lambdaEnv(
  root: string,
  name: string,
  fnEnv: Record<string, string>,
  local: Local,
  bundle: string,
  timeoutMs: number,
): Record<string, string> {
  const closed = 'http://127.0.0.1:9'; // discard port: nothing listens, so nothing leaves loopback
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: 'UTC',
    ...fnEnv,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    NODE_PATH: path.join(root, 'node_modules'), // the runtime's SDK, as figure 1 resolves it
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL: closed,
    AWS_ENDPOINT_URL_SQS: local.sqsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: local.dynamodbEndpoint,
    AWS_ENDPOINT_URL_KINESIS: closed,
    AWS_ENDPOINT_URL_S3: closed,
    BENCH_BUNDLE: bundle,
    BENCH_FUNCTION_TIMEOUT_MS: String(timeoutMs),
    [CHILD_FLAG]: '1',
  };
}

// ---------------------------------------------------------------------------------------------------------
// The figure

interface Fn {
  readonly name: string;
  readonly kind: 'consumer' | 'worker';
  readonly assembly: AssemblyFunction;
}

interface Series {
  readonly key: string;
  readonly fn: Fn;
  readonly design: Design;
  readonly dist: KeyDistribution;
  /** Records per invocation before filtering (stream records, or jobs for the worker). */
  readonly size: number;
  readonly invocations: number;
}

interface ChainSample {
  readonly ms: readonly number[];
  /** Stream records (jobs for the worker) the invocations covered, and the records they were handed. */
  readonly covered: number;
  readonly delivered: number;
  readonly dynamodbCalls: number;
  readonly sqsCalls: number;
  readonly dynamodbUpstreamMs: number;
  readonly sqsUpstreamMs: number;
  readonly orderPairs: number;
  readonly orderConcurrent: number;
}

interface Chain {
  readonly events: unknown[];
  /** Per invocation: stream records covered, records delivered, and the side effects owed (event id + key). */
  readonly covered: number[];
  readonly delivered: number[];
  readonly owed: { eventId: string; key: string }[][];
}

const fmt = (v: number): string => (Number.isFinite(v) ? String(round(v)) : '—');

export async function capacityFigure(options: BenchOptions, settings: CapacitySettings): Promise<CapacityFigure> {
  const started = Date.now();
  const { quick } = options;
  const rounds = quick ? 2 : 5;
  const batchesPerChain = quick ? 2 : 4; // of 100 records: 20 batches per series in a full run
  const smallPerChain = quick ? 5 : 10; // batch-1 invocations per chain
  const workerPerChain = quick ? 5 : 20; // worker invocations per chain
  const capMs = quick ? 800 : 2000; // a chain stops once it has run this long (at least one invocation)
  const figureBudgetMs = quick ? 90_000 : 170_000; // rounds left when it runs out are not started
  const latency = settings.latencyMs;
  const base = { id: '7', title: 'Consumer capacity under AWS-like latency' };

  const { functions } = readAssemblyFunctions(settings.assemblyDir);
  const fns: Fn[] = [
    ...functions.filter((f) => isConsumerName(f.name)).map((f): Fn => ({ name: f.name, kind: 'consumer', assembly: f })),
    ...functions.filter((f) => f.name === 'job-worker').map((f): Fn => ({ name: f.name, kind: 'worker', assembly: f })),
  ];
  if (!fns.some((f) => f.kind === 'consumer'))
    throw new Error(
      `no consumer of the manifest (lambdas/consumers.ts) among the assembly's functions (${functions.map((f) => f.name).join(', ')})`,
    );

  const old = await buildOldBundles(
    options,
    fns.map((f) => f.name),
  );
  options.log(
    `  record-at-a-time bundles from ${OLD_DESIGN_COMMIT}: ${[...old.bundles.keys()].join(', ') || 'none'}${old.reasons.size ? ` (${[...old.reasons].map(([n, r]) => `${n}: ${r}`).join('; ')})` : ''}`,
  );

  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  const childScript = path.join(options.tmp, 'capacity-child', 'index.js');
  await esbuild.build({
    entryPoints: [path.join(options.root, 'bench', 'figures', 'capacity-child.ts')],
    outfile: childScript,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
  });

  const tableName = 'bench-capacity-idempotency';
  const emulators: Emulator[] = [];
  const proxies: LatencyProxy[] = [];
  const children = new Map<string, FunctionChild>(); // `${fn}|${design}`
  const failed = new Map<string, string>(); // series key or `${fn}|${design}` → reason
  const samples = new Map<string, ChainSample[]>();
  const initMs = new Map<string, number>();
  let sqs: SQSClient | undefined;
  const unresolvedEnv = new Set<string>();

  // What the proxies saw during the current chain.
  let seenSqs: ProxyExchange[] | undefined;
  let seenDynamodb: { calls: number; upstreamMs: number } | undefined;

  try {
    const dynalite = await startDynalite(tableName);
    emulators.push(dynalite);
    const fauxqs = await startFauxqs();
    emulators.push(fauxqs);
    const sqsProxy = await startLatencyProxy({ target: fauxqs.endpoint, latencyMs: latency.sqs, observe: (x) => seenSqs?.push(x) });
    proxies.push(sqsProxy);
    const dynamodbProxy = await startLatencyProxy({
      target: dynalite.endpoint,
      latencyMs: latency.dynamodb,
      observe: (x) => {
        if (seenDynamodb) {
          seenDynamodb.calls++;
          seenDynamodb.upstreamMs += x.answeredAt - x.forwardedAt;
        }
      },
    });
    proxies.push(dynamodbProxy);
    // Created through the proxy: fauxqs names a queue by a URL with the host:port of the request that created
    // it, and keys it by that URL. The handlers' SQS client sends to AWS_ENDPOINT_URL_SQS (useQueueUrlAsEndpoint:
    // false), so the URL only names the queue; the bench's own client talks to fauxqs directly with it.
    const viaProxy = createSqsClient({ endpoint: sqsProxy.endpoint, region: REGION, credentials: CREDENTIALS });
    const { QueueUrl: queueUrl } = await viaProxy.send(
      new CreateQueueCommand({ QueueName: 'bench-capacity-jobs', Attributes: { MaximumMessageSize: '1048576' } }),
    );
    viaProxy.destroy();
    if (!queueUrl) throw new Error('fauxqs returned no queue URL');
    sqs = createSqsClient({ endpoint: fauxqs.endpoint, region: REGION, credentials: CREDENTIALS });
    const local: Local = { queueUrl, tableName, sqsEndpoint: sqsProxy.endpoint, dynamodbEndpoint: dynamodbProxy.endpoint };

    const workerEnv = fns.find((f) => f.kind === 'worker')?.assembly.environment ?? {};
    const expirySeconds = workerEnv['IDEMPOTENCY_EXPIRY_SECONDS'] ?? String(14 * 24 * 3600);
    const designs: Design[] = ['old', 'new'];
    for (const fn of fns) {
      for (const design of designs) {
        const id = `${fn.name}|${design}`;
        const bundle = design === 'new' ? path.join(fn.assembly.assetDir, 'index.js') : old.bundles.get(fn.name);
        if (bundle === undefined) {
          failed.set(id, old.reasons.get(fn.name) ?? 'no bundle');
          continue;
        }
        const resolved = resolveTokens(fn.assembly.environment, local);
        for (const k of resolved.unresolved) unresolvedEnv.add(`${fn.name}: ${k}`);
        // The old handlers read what the template gave them at that commit: idempotency for every function, the job queue for the two that enqueue.
        const extra: Record<string, string> =
          design === 'old'
            ? {
                IDEMPOTENCY_TABLE_NAME: resolved.env['IDEMPOTENCY_TABLE_NAME'] ?? tableName,
                IDEMPOTENCY_EXPIRY_SECONDS: resolved.env['IDEMPOTENCY_EXPIRY_SECONDS'] ?? expirySeconds,
                ...(fn.kind === 'consumer' && CONSUMERS[fn.name as ConsumerName].enqueues.length > 0
                  ? {
                      JOB_QUEUE_URL: resolved.env['JOB_QUEUE_URL'] ?? queueUrl,
                      JOB_MAX_MESSAGE_BYTES: resolved.env['JOB_MAX_MESSAGE_BYTES'] ?? '1048576',
                    }
                  : {}),
              }
            : {};
        const env = lambdaEnv(options.root, fn.name, { ...resolved.env, ...extra }, local, bundle, 30_000);
        try {
          const child = await FunctionChild.start(`${fn.name} (${DESIGN_LABEL[design]})`, childScript, env, options.tmp);
          children.set(id, child);
          initMs.set(id, child.initMs);
        } catch (error) {
          failed.set(id, (error as Error).message);
        }
      }
    }

    let seedCounter = 0;
    const seed = (): string => `${Date.now().toString(36)}${(seedCounter++).toString(36)}`;
    const numericSeed = (): number => Date.now() * 1000 + (seedCounter++ % 1000);

    /** The invocations of one chain, built before the clock starts (fresh envelope ids each time). */
    const buildChain = (s: Series): Chain => {
      const chain: Chain = { events: [], covered: [], delivered: [], owed: [] };
      const arrival = Date.now() / 1000;
      if (s.fn.kind === 'worker') {
        for (let i = 0; i < s.invocations; i++) {
          chain.events.push(sqsEvent(emailJobs(s.size, numericSeed())));
          chain.covered.push(s.size);
          chain.delivered.push(s.size);
          chain.owed.push([]);
        }
        return chain;
      }
      const name = s.fn.name as ConsumerName;
      const handles = new Set<string>(CONSUMERS[name].handles);
      const passes = manifestFilter(name);
      const enqueues = CONSUMERS[name].enqueues.length > 0;
      if (s.size === 1) {
        // One record the consumer acts on per invocation (Lambda invokes a filtered consumer only for those).
        const events = orderStream(s.invocations * 2, 'spread', seed())
          .filter((e) => handles.has(e.type))
          .slice(0, s.invocations);
        events.forEach((e, i) => {
          chain.events.push({ Records: [streamRecord(e, i, arrival)] } satisfies KinesisStreamEvent);
          chain.covered.push(1);
          chain.delivered.push(1);
          chain.owed.push(enqueues ? [{ eventId: e.id, key: e.partitionKey }] : []);
        });
        return chain;
      }
      const events = orderStream(s.invocations * s.size, s.dist, seed());
      for (let b = 0; b < s.invocations; b++) {
        const records = events.slice(b * s.size, (b + 1) * s.size).map((e, i) => ({ e, r: streamRecord(e, b * s.size + i, arrival) }));
        // Before #9 the mappings had no filter criteria: every record reached every consumer. Now Lambda filters by the manifest.
        const kept = s.design === 'new' ? records.filter((x) => passes(x.r)) : records;
        if (kept.length === 0) continue; // Lambda does not invoke for an empty filtered batch
        chain.events.push({ Records: kept.map((x) => x.r) } satisfies KinesisStreamEvent);
        chain.covered.push(s.size);
        chain.delivered.push(kept.length);
        chain.owed.push(enqueues ? kept.filter((x) => handles.has(x.e.type)).map((x) => ({ eventId: x.e.id, key: x.e.partitionKey })) : []);
      }
      return chain;
    };

    const depthAttributes = [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ] as const;
    const queueDepth = async (): Promise<number> => {
      const { Attributes } = await sqs!.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...depthAttributes] }));
      return depthAttributes.reduce((sum, k) => sum + Number(Attributes?.[k] ?? 0), 0);
    };

    /** Runs one chain and checks it; returns the sample or throws with what went wrong. */
    const runChain = async (s: Series, child: FunctionChild): Promise<ChainSample> => {
      const chain = buildChain(s);
      await sqs!.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
      seenSqs = [];
      seenDynamodb = { calls: 0, upstreamMs: 0 };
      // bounded: the cap plus one invocation's worth of the function's 30 s timeout, with room to spare
      const done = await child.run(chain.events, capMs, 60_000 + capMs);
      const sqsSeen = seenSqs;
      const ddbSeen = seenDynamodb;
      seenSqs = undefined;
      seenDynamodb = undefined;
      const ran = done.invocations.length;
      const bad = done.invocations.find((i: InvocationOutcome) => i.error !== undefined || i.failures > 0);
      if (bad) throw new Error(bad.error ?? `${bad.failures} of the batch's records reported in batchItemFailures`);
      const delivered = chain.delivered.slice(0, ran).reduce((a, b) => a + b, 0);
      // Work reported: the EMF counters the handler printed for the records it acted on.
      if (s.fn.kind === 'worker') {
        const processed = done.emf['JobsProcessed'];
        if (processed !== undefined && processed !== delivered)
          throw new Error(`the EMF JobsProcessed count is ${processed}, ${delivered} jobs were run`);
      } else {
        const handles = new Set<string>(CONSUMERS[s.fn.name as ConsumerName].handles);
        const acted = chain.events
          .slice(0, ran)
          .reduce((sum: number, e) => sum + (e as KinesisStreamEvent).Records.filter((r) => handles.has(eventTypeOf(r))).length, 0);
        const processed = done.emf['EventsProcessed'];
        if (processed !== undefined && processed !== acted)
          throw new Error(`the EMF EventsProcessed count is ${processed}, ${acted} records of handled types were delivered`);
      }
      // Side effects: every job owed landed once; per-key order.
      const owed = chain.owed.slice(0, ran).flat();
      const depth = await queueDepth();
      if (depth !== owed.length) throw new Error(`${depth} jobs in the queue after the chain, ${owed.length} owed`);
      let orderPairs = 0;
      let orderConcurrent = 0;
      if (owed.length > 0) {
        const { jobs, unparsed } = parseSqsSends(sqsSeen);
        if (unparsed > 0) throw new Error(`${unparsed} SendMessage request(s) the bench could not read`);
        const check = checkKeyOrder(owed, jobs);
        if (check.missing.length > 0) throw new Error(`no job sent for ${check.missing.length} of ${owed.length} records`);
        if (check.violations.length > 0) throw new Error(`per-key order broken: ${check.violations[0]}`);
        orderPairs = check.pairs;
        orderConcurrent = check.concurrent;
      }
      await sqs!.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
      return {
        ms: done.invocations.map((i) => i.ms),
        covered: chain.covered.slice(0, ran).reduce((a, b) => a + b, 0),
        delivered,
        dynamodbCalls: ddbSeen.calls,
        sqsCalls: sqsSeen.filter((x) => /\.SendMessage(Batch)?$/.test(String(x.headers['x-amz-target'] ?? ''))).length,
        dynamodbUpstreamMs: ddbSeen.upstreamMs,
        sqsUpstreamMs: sqsSeen.reduce((sum, x) => sum + (x.answeredAt - x.forwardedAt), 0),
        orderPairs,
        orderConcurrent,
      };
    };

    // Series: per consumer × design × key distribution at 100 records, per consumer × design at 1; the worker at 10 and 1.
    const series: Series[] = [];
    for (const fn of fns) {
      for (const design of designs) {
        if (fn.kind === 'consumer') {
          for (const dist of ['spread', 'hot'] as const)
            series.push({ key: `${fn.name}|${design}|${dist}|100`, fn, design, dist, size: 100, invocations: batchesPerChain });
          series.push({ key: `${fn.name}|${design}|spread|1`, fn, design, dist: 'spread', size: 1, invocations: smallPerChain });
        } else {
          series.push({ key: `${fn.name}|${design}|spread|10`, fn, design, dist: 'spread', size: 10, invocations: workerPerChain });
          series.push({ key: `${fn.name}|${design}|spread|1`, fn, design, dist: 'spread', size: 1, invocations: workerPerChain });
        }
      }
    }
    const byKey = new Map(series.map((s) => [s.key, s]));

    // Warm-up (not recorded): a cold start's first calls open connections and compile; also the first check of every series.
    for (const s of series) {
      const id = `${s.fn.name}|${s.design}`;
      const child = children.get(id);
      if (!child) continue;
      try {
        await runChain({ ...s, invocations: Math.min(s.invocations, s.size === 100 ? 1 : 2) }, child);
      } catch (error) {
        failed.set(s.key, `warm-up: ${(error as Error).message}`);
      }
    }
    options.log(`  warm-up done (${Math.round((Date.now() - started) / 1000)} s); ${failed.size} series or functions failed so far`);

    const order = interleave(
      series.map((s) => s.key),
      rounds,
    );
    let round_ = 0;
    for (let i = 0; i < order.length; i++) {
      if (i % series.length === 0) {
        if (Date.now() - started > figureBudgetMs) {
          options.log(`  time budget of ${figureBudgetMs / 1000} s used up after ${round_} round(s): the remaining rounds are not run`);
          break;
        }
        round_++;
      }
      const s = byKey.get(order[i]!)!;
      const id = `${s.fn.name}|${s.design}`;
      const child = children.get(id);
      if (child && !failed.has(s.key) && !failed.has(id)) {
        try {
          const sample = await runChain(s, child);
          (samples.get(s.key) ?? samples.set(s.key, []).get(s.key)!).push(sample);
        } catch (error) {
          failed.set(s.key, (error as Error).message);
          options.log(`  ${s.key}: ${(error as Error).message}`);
        }
      }
      if ((i + 1) % series.length === 0) options.log(`  round ${round_} done (${Math.round((Date.now() - started) / 1000)} s)`);
    }
  } finally {
    await Promise.all([...children.values()].map((c) => c.stop().catch(() => undefined)));
    sqs?.destroy();
    for (const p of proxies) await p.stop().catch(() => undefined);
    for (const e of emulators) await e.stop().catch(() => undefined);
  }

  // ------------------------------------------------------------------------------------------------------
  // Rows

  const why = (key: string): string | undefined => {
    const [fn, design] = key.split('|');
    return failed.get(`${fn}|${design}`) ?? failed.get(key) ?? (samples.get(key)?.length ? undefined : 'no sample (time budget)');
  };
  const stat = (
    key: string,
  ):
    | {
        rate: number;
        msPerInvocation: number;
        deliveredPerInvocation: number;
        ddbPer100: number;
        sqsPer100: number;
        ddbUpstream: number;
        sqsUpstream: number;
        pairs: number;
        concurrent: number;
        invocations: number;
        n: number;
      }
    | undefined => {
    const xs = samples.get(key);
    if (!xs || xs.length === 0 || why(key) !== undefined) return undefined;
    const calls = (f: (x: ChainSample) => number) => median(xs.map((x) => (f(x) * 100) / x.covered));
    const perCall = (ms: (x: ChainSample) => number, n: (x: ChainSample) => number) => {
      const total = xs.reduce((a, x) => a + n(x), 0);
      return total === 0 ? NaN : xs.reduce((a, x) => a + ms(x), 0) / total;
    };
    return {
      rate: median(xs.map((x) => perSecond(x.covered, x.ms))),
      msPerInvocation: median(xs.map((x) => x.ms.reduce((a, b) => a + b, 0) / x.ms.length)),
      deliveredPerInvocation: median(xs.map((x) => x.delivered / x.ms.length)),
      ddbPer100: calls((x) => x.dynamodbCalls),
      sqsPer100: calls((x) => x.sqsCalls),
      ddbUpstream: perCall(
        (x) => x.dynamodbUpstreamMs,
        (x) => x.dynamodbCalls,
      ),
      sqsUpstream: perCall(
        (x) => x.sqsUpstreamMs,
        (x) => x.sqsCalls,
      ),
      pairs: xs.reduce((a, x) => a + x.orderPairs, 0),
      concurrent: xs.reduce((a, x) => a + x.orderConcurrent, 0),
      invocations: xs.reduce((a, x) => a + x.ms.length, 0),
      n: xs.length,
    };
  };

  const rows: Row[] = [];
  const notMeasured = (name: string, unit: string, reason: string): Row => ({ name, value: NaN, unit, note: `not measured: ${reason}` });
  type Stat = NonNullable<ReturnType<typeof stat>>;
  const emulatorNote = (st: Stat): string =>
    [
      Number.isFinite(st.ddbUpstream) ? `dynalite ${fmt(st.ddbUpstream)} ms` : '',
      Number.isFinite(st.sqsUpstream) ? `fauxqs ${fmt(st.sqsUpstream)} ms` : '',
    ]
      .filter(Boolean)
      .join(', ') || 'no calls';

  const consumers = fns.filter((f) => f.kind === 'consumer');
  const measured: MeasuredCapacity['consumers'] = {};
  const measuredGaps: string[] = [];
  for (const fn of consumers) {
    for (const dist of ['spread', 'hot'] as const) {
      const name = `${fn.name}: records/s per shard, ${DIST_LABEL[dist]}, ${DESIGN_LABEL.new}`;
      const nk = `${fn.name}|new|${dist}|100`;
      const ok = `${fn.name}|old|${dist}|100`;
      const n = stat(nk);
      const o = stat(ok);
      if (!n) {
        rows.push(notMeasured(name, 'records/s', why(nk)!));
        continue;
      }
      const orderNote =
        CONSUMERS[fn.name as ConsumerName].enqueues.length === 0
          ? "side effects: the batch's EMF metrics only, so per-key order is not observable from outside; counts checked"
          : n.pairs === 0
            ? 'per-key order: no key repeats among the records it is handed, nothing to order; jobs counted'
            : `per-key order of the jobs kept (${n.pairs} same-key pairs checked, ${n.concurrent} of them in requests in flight together)`;
      rows.push({
        name,
        value: round(n.rate),
        unit: 'records/s',
        ...(o
          ? { baseline: { label: `${DESIGN_LABEL.old}, same run`, value: round(o.rate), unit: 'records/s' }, ratio: round(n.rate / o.rate) }
          : {}),
        target: { text: `≥ ${CAPACITY_TARGET.toLocaleString('en-US')} records/s per shard`, pass: n.rate >= CAPACITY_TARGET },
        n: n.n,
        note:
          `stream records covered per second of back-to-back invocations; ${fmt(n.msPerInvocation)} ms per invocation of 100 stream records ` +
          `(${fmt(n.deliveredPerInvocation)} delivered after the mapping's filter)` +
          (o
            ? `, before #9 ${fmt(o.msPerInvocation)} ms (${fmt(o.deliveredPerInvocation)} delivered, no filter then)`
            : `; before #9: not measured: ${why(ok)}`) +
          `; AWS calls per 100 stream records: DynamoDB ${fmt(n.ddbPer100)}${o ? ` (before ${fmt(o.ddbPer100)})` : ''}, SQS ${fmt(n.sqsPer100)}${o ? ` (before ${fmt(o.sqsPer100)})` : ''}` +
          `; emulator time per call on top of the latency: ${emulatorNote(n)}${o ? ` (before: ${emulatorNote(o)})` : ''}` +
          `; invocations timed: ${n.invocations}${o ? ` (before #9: ${o.invocations}, chains stop after ${capMs / 1000} s)` : ''}; ${orderNote}`,
      });
    }
    const n1 = stat(`${fn.name}|new|spread|1`);
    const o1 = stat(`${fn.name}|old|spread|1`);
    const n100 = stat(`${fn.name}|new|spread|100`);
    const o100 = stat(`${fn.name}|old|spread|100`);
    const name1 = `${fn.name}: ms per invocation at batch 1 (fixed cost), ${DESIGN_LABEL.new}`;
    if (!n1) rows.push(notMeasured(name1, 'ms', why(`${fn.name}|new|spread|1`)!));
    else {
      const perRecord = n100 ? (n100.msPerInvocation - n1.msPerInvocation) / Math.max(1, n100.deliveredPerInvocation - 1) : NaN;
      rows.push({
        name: name1,
        value: round(n1.msPerInvocation),
        unit: 'ms',
        ...(o1
          ? {
              baseline: { label: `${DESIGN_LABEL.old}, same run`, value: round(o1.msPerInvocation), unit: 'ms' },
              ratio: round(n1.msPerInvocation / o1.msPerInvocation),
            }
          : {}),
        n: n1.n,
        note:
          `one record of a type it handles per invocation; at 100 stream records (keys spread): ${n100 ? `${fmt(n100.msPerInvocation)} ms` : 'not measured'}` +
          (o100 ? ` (before #9 ${fmt(o100.msPerInvocation)} ms)` : '') +
          (Number.isFinite(perRecord) ? `; ≈ ${fmt(n1.msPerInvocation)} ms + ${fmt(perRecord)} ms per delivered record` : '') +
          (o1 ? '' : `; before #9: not measured: ${why(`${fn.name}|old|spread|1`)}`),
      });
    }
    if (n1 && n100) {
      measured[fn.name] = {
        msPerInvocationBatch1: round(n1.msPerInvocation),
        msPerInvocationBatch100: round(n100.msPerInvocation),
        recordsPerSecondPerShard: round(n100.rate),
        recordsDeliveredPerBatch100: round(n100.deliveredPerInvocation),
      };
    } else measuredGaps.push(fn.name);
  }

  const worker = fns.find((f) => f.kind === 'worker');
  let measuredWorker: MeasuredCapacity['worker'] | undefined;
  if (worker) {
    const n10 = stat(`${worker.name}|new|spread|10`);
    const o10 = stat(`${worker.name}|old|spread|10`);
    const n1 = stat(`${worker.name}|new|spread|1`);
    const o1 = stat(`${worker.name}|old|spread|1`);
    const name10 = `${worker.name}: jobs/s per invocation chain (SQS batch of 10), ${DESIGN_LABEL.new}`;
    if (!n10) rows.push(notMeasured(name10, 'jobs/s', why(`${worker.name}|new|spread|10`)!));
    else
      rows.push({
        name: name10,
        value: round(n10.rate),
        unit: 'jobs/s',
        ...(o10
          ? {
              baseline: { label: `${DESIGN_LABEL.old}, same run`, value: round(o10.rate), unit: 'jobs/s' },
              ratio: round(n10.rate / o10.rate),
            }
          : {}),
        n: n10.n,
        note:
          `send-email jobs; ${fmt(n10.msPerInvocation)} ms per invocation of 10${o10 ? ` (before #9 ${fmt(o10.msPerInvocation)} ms)` : ''}; ` +
          `DynamoDB calls per 100 jobs ${fmt(n10.ddbPer100)}${o10 ? ` (before ${fmt(o10.ddbPer100)})` : ''}; emulator time per call on top of the latency: ` +
          `${emulatorNote(n10)}${o10 ? ` (before: ${emulatorNote(o10)})` : ''}, which includes queueing: the worker runs a batch's jobs concurrently and dynalite, ` +
          `on the bench process's one event loop, serves them one after another, where DynamoDB would not queue them; informative: one invocation chain is what one poller's batch at a time gives, ` +
          `the mapping runs up to its MaximumConcurrency of them`,
      });
    const name1 = `${worker.name}: ms per invocation at batch 1 (fixed cost), ${DESIGN_LABEL.new}`;
    if (!n1) rows.push(notMeasured(name1, 'ms', why(`${worker.name}|new|spread|1`)!));
    else
      rows.push({
        name: name1,
        value: round(n1.msPerInvocation),
        unit: 'ms',
        ...(o1
          ? {
              baseline: { label: `${DESIGN_LABEL.old}, same run`, value: round(o1.msPerInvocation), unit: 'ms' },
              ratio: round(n1.msPerInvocation / o1.msPerInvocation),
            }
          : {}),
        n: n1.n,
        note: `at batch 10: ${n10 ? `${fmt(n10.msPerInvocation)} ms` : 'not measured'}`,
      });
    if (n1 && n10)
      measuredWorker = { msPerInvocationBatch1: round(n1.msPerInvocation), msPerInvocationBatch10: round(n10.msPerInvocation) };
    else measuredGaps.push(worker.name);
  } else measuredGaps.push('job-worker (not in the assembly)');

  const oldMissing = [...old.reasons].map(([n, r]) => `${n}: ${r}`);
  const method =
    `What one shard's consumer keeps up with when Lambda invokes it as it does with parallelization factor 1 (one batch per shard at a time, ` +
    `so invocations back to back) and every AWS call the handler makes costs about what it costs on AWS. Latency: each SQS and DynamoDB ` +
    `request of a handler goes through a proxy on 127.0.0.1 (bench/lib/latency-proxy.ts, keep-alive on both sides) that holds it ` +
    `${latency.dynamodb} ms (DynamoDB) or ${latency.sqs} ms (SQS) before forwarding it to dynalite or fauxqs, started by the bench; the ` +
    `emulator's own time per call comes on top (in the notes). Chosen figures (--latency-dynamodb-ms, --latency-sqs-ms): ${LATENCY_SOURCES}. ` +
    `Functions: the consumers of the manifest (lambdas/consumers.ts) and the job worker, each in its own child process ` +
    `(bench/figures/capacity-child.ts, fresh module state and SDK clients, one process at a time busy), loading its bundle with the environment ` +
    `the template gives it (tokens replaced by the local queue URL and table name; NODE_OPTIONS, POWERTOOLS_LOG_LEVEL=INFO as deployed, ` +
    `stdout to /dev/null; any other AWS endpoint is a closed loopback port). Designs, interleaved in the same run: ${DESIGN_LABEL.new} = the ` +
    `bundles of the dev app's synthesized assembly (figure 6's, or synthesized for this figure: the working tree); ${DESIGN_LABEL.old} = lambdas/ at commit ${OLD_DESIGN_COMMIT} (git archive), each ` +
    `handler bundled with esbuild as NodejsFunction does (node24, CJS, minified, source map without sources, @aws-sdk/* external), with the ` +
    `IDEMPOTENCY_* and JOB_QUEUE_* variables it read then` +
    (oldMissing.length ? ` (not available: ${oldMissing.join('; ')})` : '') +
    `. Stream: OrderPlaced and OrderShipped alternating, valid envelopes, increasing sequence numbers, base64 JSON data; keys spread = ` +
    `partition key = order id, an order's OrderShipped 50 records after its OrderPlaced (75 distinct keys per 100 records, 25 of them ` +
    `twice); one hot key = all records of the chain share one partition key. The batch-aware design gets what the mapping's filter criteria ` +
    `(filterPatternsFor, matched by the local cloud's filter code) let through, so payments gets only the OrderPlaced half; before #9 ` +
    `the mappings had no filter, so every consumer got all 100. Records/s per shard = stream records covered ÷ the summed invocation times ` +
    `(whatever the consumer was handed of them), i.e. the shard rate it keeps up with; Lambda's own polling and invoke overhead between ` +
    `batches are not included, so this is the consumer side's ceiling. Per sample: a chain of ${batchesPerChain} batches of 100 stream ` +
    `records (or ${smallPerChain} invocations of 1 record it handles; the worker ${workerPerChain} invocations of 10 or 1 send-email jobs), ` +
    `fresh envelope ids, stopped after ${capMs / 1000} s of invocations (at least one); ${rounds} rounds, every series once per round in ` +
    `alternating order, after one unrecorded warm-up chain per series; medians over the rounds (n). A chain counts only if no invocation ` +
    `threw, batchItemFailures stayed empty, the EMF EventsProcessed / JobsProcessed counts equal the records of handled types, the job ` +
    `queue holds exactly one job per record that owes one (counted on fauxqs, then purged), and for each partition key no record's job ` +
    `was enqueued before the job of the key's previous record (same request: entry order; otherwise that request answered before the ` +
    `previous one arrived; requests in flight together are counted apart, since a standard queue does not order them). Target (issue #9): ` +
    `≥ ${CAPACITY_TARGET.toLocaleString('en-US')} records/s per shard for every consumer at parallelization factor 1; ratio = batch-aware ÷ ` +
    `record-at-a-time. A full run writes the batch-aware, keys-spread numbers to ${MEASURED_FILE} for the cost model.` +
    (unresolvedEnv.size ? ` Template variables left as placeholders (no local resource known): ${[...unresolvedEnv].join(', ')}.` : '') +
    (initMs.size
      ? ` Bundle load in the child (cold-start init, informative): ${[...initMs].map(([k, v]) => `${k.replace('|', ' ')} ${fmt(v)} ms`).join(', ')}.`
      : '');

  const raw = {
    latencyMs: latency,
    failed: Object.fromEntries(failed),
    samples: Object.fromEntries(samples),
    initMs: Object.fromEntries(initMs),
  };
  const result: FigureResult = { ...base, method, rows, raw, durationMs: Date.now() - started };
  if (measuredGaps.length > 0 || !measuredWorker)
    return { result, measuredMissing: `no batch-aware numbers for ${measuredGaps.join(', ')}` };
  return {
    result,
    measured: {
      generatedBy: 'npm run bench (figure 7)',
      generatedAt: new Date().toISOString(),
      latencyMs: { dynamodb: latency.dynamodb, sqs: latency.sqs },
      consumers: measured,
      worker: measuredWorker,
    },
  };
}

/** The event type in a record's data (records the bench built, so always a valid envelope). */
function eventTypeOf(record: KinesisStreamRecord): string {
  return (JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as { type: string }).type;
}
