// Fault-suite harness: one local cloud on the synthesized app, and everything counted from the outside —
// invocation reports (processed), function log lines (side effects), the DLQ (read back), the failure bucket
// (read back) and the archive (read back).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, expect } from 'vitest';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createLocalClients, type LocalClients } from '../../local/clients';
import { startLocalCloud, synthesize, type LocalCloud } from '../../local/index';
import { recordId } from '../../local/lambda/batch-response';
import { eventSourceMappingUuid } from '../../local/lambda/on-failure';
import type {
  InvocationReport,
  LocalBucket,
  LocalDeliveryStream,
  LocalFunction,
  LocalKinesisMapping,
  LocalQueue,
  LocalStream,
} from '../../local/types';
import { enqueueJobs, type EnqueueReport } from '../../lambdas/shared/producers/enqueue-jobs';
import { publishEvents, type PublishReport, type PutRecordsSender } from '../../lambdas/shared/producers/publish-events';
import type { SendMessageBatchSender } from '../../lambdas/shared/producers/enqueue-jobs';
import type { RetryOptions } from '../../lambdas/shared/producers/delivery';
import type { KnownEvent, KnownJob } from '../../lambdas/shared/envelope';
import { EVENT_MESSAGES, JOB_MESSAGES, RECORD_LINES_ENVIRONMENT } from '../../lambdas/shared/log-messages';
import { PROJECT_DIR } from '../support/paths';
import { decodeInvocationRecord } from '../../local/lambda/on-failure';
import { getObject, listKeys, queueDepth } from '../support/aws';
import { projectParts, type StreamConsumer } from '../support/local-cloud';
import { childPids } from '../support/processes';
import { eventually, show } from '../support/wait';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// the fault suite's observers list buckets and drain queues while the load runs: it polls them every 250 ms
export const FAULT_POLL_MS = 250;

// ── per-function tallies, fed by reports and log lines ────────────────────────────────────────────────────

export interface InvalidRecordLog {
  functionName: string;
  reason: string;
  detail: string;
  envelopeId?: string;
}

export class FunctionTally {
  /** successful deliveries per reported id (envelope id, else message id / sequence number) */
  readonly ok = new Map<string, number>();
  /** failed deliveries per reported id */
  readonly failed = new Map<string, number>();
  /** side effects applied per envelope id (JOB_MESSAGES / EVENT_MESSAGES `processed`: the handler ran the work) */
  readonly effects = new Map<string, number>();
  /** duplicates the idempotency layer absorbed (`duplicate`: acknowledged without side effects) */
  readonly absorbed = new Map<string, number>();
  /** deliveries refused because another invocation held the id in progress */
  readonly inProgress = new Map<string, number>();
  readonly outcomes: Record<InvocationReport['outcome'], number> = { ok: 0, partial: 0, error: 0, timeout: 0, crash: 0 };
  /** successfully processed ids in the order the Lambda service reported them (per-key order checks) */
  readonly sequence: string[] = [];
  invocations = 0;
}

const bump = (m: Map<string, number>, k: string, by = 1): void => {
  m.set(k, (m.get(k) ?? 0) + by);
};

// ── readers: DLQ, failure bucket, archive ─────────────────────────────────────────────────────────────────

export interface DlqMessage {
  messageId: string;
  body: string;
  /** envelope id when the body is an envelope, else undefined */
  envelopeId?: string;
  receiveCount: number;
}

/** Drains a queue nobody else consumes (the DLQ) into memory: each message is read once and deleted. */
export class QueueDrain {
  readonly messages: DlqMessage[] = [];
  readonly byEnvelopeId = new Map<string, number>();
  readonly byBody = new Map<string, number>();
  constructor(
    private sqs: SQSClient,
    readonly queue: LocalQueue,
  ) {}

  /** after a restart of the local cloud: its new client (what was read stays counted) */
  use(sqs: SQSClient): void {
    this.sqs = sqs;
  }

  async refresh(): Promise<void> {
    for (;;) {
      const out = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queue.url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 600,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const got = out.Messages ?? [];
      if (got.length === 0) return;
      for (const m of got) {
        const body = m.Body ?? '';
        const id = recordId(body, '');
        const msg: DlqMessage = {
          messageId: m.MessageId!,
          body,
          receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
          ...(id ? { envelopeId: id } : {}),
        };
        this.messages.push(msg);
        if (id) bump(this.byEnvelopeId, id);
        bump(this.byBody, body);
      }
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queue.url,
          Entries: got.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  }
}

export interface FailureRecord {
  consumer: string;
  /** the id the Lambda service reports for the record: envelope id, else the sequence number */
  id: string;
  sequenceNumber: string;
  data: Buffer;
  condition: string;
  approximateInvokeCount: number;
  functionError?: string;
  key: string;
}

/** Reads each on-failure object of the failure bucket once; attributes it to a consumer by its ESM UUID prefix. */
export class FailureBucketReader {
  readonly records: FailureRecord[] = [];
  /** consumer → id → copies */
  readonly byConsumer = new Map<string, Map<string, number>>();
  readonly keys = new Set<string>();
  private readonly consumerByUuid: Map<string, string>;
  constructor(
    private clients: LocalClients,
    readonly bucket: LocalBucket,
    mappings: Array<{ name: string; mapping: LocalKinesisMapping }>,
  ) {
    this.consumerByUuid = new Map(mappings.map((m) => [eventSourceMappingUuid(m.mapping.logicalId), m.name]));
  }

  /** after a restart of the local cloud: its new clients (objects already read are not read again) */
  use(clients: LocalClients): void {
    this.clients = clients;
  }

  async refresh(): Promise<void> {
    for (const key of await listKeys(this.clients.s3, this.bucket.name)) {
      if (this.keys.has(key)) continue;
      const body = await getObject(this.clients.s3, this.bucket.name, key);
      this.keys.add(key);
      const uuid = key.split('/')[2] ?? '';
      const consumer = this.consumerByUuid.get(uuid) ?? `unknown(${uuid})`;
      const obj = decodeInvocationRecord(body.toString('utf8')) as unknown as {
        requestContext: { condition: string; approximateInvokeCount: number };
        /** absent for RecordAgeExceeded; functionError null when the function returned */
        responseContext?: { functionError?: string | null };
        payload?: { Records: Array<{ kinesis: { data: string; sequenceNumber: string } }> };
      };
      for (const r of obj.payload?.Records ?? []) {
        const data = Buffer.from(r.kinesis.data, 'base64');
        const id = recordId(data.toString('utf8'), r.kinesis.sequenceNumber);
        this.records.push({
          consumer,
          id,
          sequenceNumber: r.kinesis.sequenceNumber,
          data,
          condition: obj.requestContext.condition,
          approximateInvokeCount: obj.requestContext.approximateInvokeCount,
          ...(obj.responseContext?.functionError ? { functionError: obj.responseContext.functionError } : {}),
          key,
        });
        let m = this.byConsumer.get(consumer);
        if (!m) {
          m = new Map();
          this.byConsumer.set(consumer, m);
        }
        bump(m, id);
      }
    }
  }
}

/** Reads each archive object once (GZIP NDJSON as Firehose writes it); counts records by envelope id and by bytes. */
export class ArchiveReader {
  readonly keys = new Set<string>();
  readonly byId = new Map<string, number>();
  /** raw records that are not envelopes, by their UTF-8 text (bad inputs) */
  readonly rawLines = new Map<string, number>();
  records = 0;
  constructor(
    private clients: LocalClients,
    readonly bucket: LocalBucket,
    private readonly delimiter: string,
  ) {}

  /** after a restart of the local cloud: its new clients (objects already read are not read again) */
  use(clients: LocalClients): void {
    this.clients = clients;
  }

  async refresh(): Promise<void> {
    for (const key of await listKeys(this.clients.s3, this.bucket.name)) {
      if (this.keys.has(key)) continue;
      const raw = await getObject(this.clients.s3, this.bucket.name, key);
      this.keys.add(key);
      const text = (raw[0] === 0x1f && raw[1] === 0x8b ? zlib.gunzipSync(raw) : raw).toString('utf8');
      const lines = text.split(this.delimiter || '\n');
      if (lines.at(-1) === '') lines.pop();
      for (const line of lines) {
        this.records++;
        const id = recordId(line, '');
        if (id) bump(this.byId, id);
        else bump(this.rawLines, line);
      }
    }
  }
}

// ── the cloud under test ──────────────────────────────────────────────────────────────────────────────────

export interface ServiceError {
  where: string;
  message: string;
  at: number;
}

export interface RawJob {
  /** what the worker reports for it: recordId(body, messageId) */
  id: string;
  messageId: string;
  body: string;
}

export interface RawEvent {
  /** what consumers report for it: recordId(data, sequenceNumber) */
  id: string;
  sequenceNumber: string;
  shardId: string;
  partitionKey: string;
  data: Buffer;
}

export interface ProducerClients {
  sqs?: SendMessageBatchSender;
  kinesis?: PutRecordsSender;
}

/**
 * One local cloud per test file: started before the file's tests, stopped after them, and no process of it may
 * outlive stop(). `use` receives the running cloud.
 */
export function useFaultCloud(options: FaultCloudOptions, use: (cloud: FaultCloud) => void): void {
  let cloud: FaultCloud | undefined;
  beforeAll(async () => {
    cloud = await FaultCloud.start(options);
    use(cloud);
  }, 120_000);
  afterAll(async () => {
    if (!cloud) return;
    const { orphans } = await cloud.stop();
    expect(orphans, 'processes of the local cloud outliving stop()').toEqual([]);
  }, 60_000);
}

export interface FaultCloudOptions {
  timeScale: number;
  label: string;
  /** `--persist`: the emulators keep their state on disk under the state dir, the stream readers their positions */
  persist?: boolean;
}

export class FaultCloud {
  readonly tallies = new Map<string, FunctionTally>();
  /** invalid-envelope log lines by SQS message id / Kinesis sequence number */
  readonly invalidLogs = new Map<string, InvalidRecordLog[]>();
  readonly serviceErrors: ServiceError[] = [];
  /** runtime lines the Lambda service wrote (CRASH, TIMEOUT, DISCARD, ERROR) */
  readonly runtimeLines: Array<{ functionName: string; line: string; at: number }> = [];
  fatalError?: Error;
  readonly childrenBefore: number[];
  /** the running local cloud's clients (new ones after restart()) */
  clients: LocalClients;
  readonly dlq: QueueDrain;
  readonly failures: FailureBucketReader;
  readonly archive: ArchiveReader;
  readonly jobs: LocalQueue;
  readonly dlqQueue: LocalQueue;
  readonly stream: LocalStream;
  readonly worker: LocalFunction;
  readonly consumers: StreamConsumer[];
  readonly delivery: LocalDeliveryStream;
  /** emulators started by a restart scenario (stopped by stop()) */
  extraStops: Array<() => Promise<void>> = [];

  /** restarts of the whole local cloud so far (restart()) */
  restarts = 0;
  /** function log lines seen so far (every stream) */
  logLines = 0;

  private constructor(
    public cloud: LocalCloud,
    readonly stateDir: string,
    childrenBefore: number[],
    private readonly options: FaultCloudOptions,
  ) {
    this.childrenBefore = childrenBefore;
    this.clients = createLocalClients(cloud.topology.endpoints);
    const parts = projectParts(cloud);
    this.jobs = parts.jobs;
    this.dlqQueue = parts.jobsDlq;
    this.stream = parts.events;
    this.worker = parts.worker;
    this.consumers = parts.consumers;
    this.delivery = parts.archiveDelivery;
    this.dlq = new QueueDrain(this.clients.sqs, this.dlqQueue);
    this.failures = new FailureBucketReader(this.clients, parts.failures, this.consumers);
    this.archive = new ArchiveReader(this.clients, parts.archive, this.delivery.delimiter);
  }

  /** Synthesizes the app into a temp dir (once per test file) and starts a local cloud on free ports. */
  static async start(options: FaultCloudOptions): Promise<FaultCloud> {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `qs-faults-${options.label}-`));
    const childrenBefore = childPids();
    await synthesize(PROJECT_DIR, path.join(stateDir, 'cdk.out'));
    let self: FaultCloud | undefined;
    const early: Array<(fc: FaultCloud) => void> = [];
    const later = (f: (fc: FaultCloud) => void): void => (self ? f(self) : void early.push(f));
    const cloud = await startLocalCloud(FaultCloud.cloudOptions(options, stateDir, later));
    try {
      self = new FaultCloud(cloud, stateDir, childrenBefore, options);
    } catch (err) {
      await cloud.stop();
      throw err;
    }
    for (const f of early.splice(0)) f(self);
    self.watchErrors();
    return self;
  }

  private static cloudOptions(
    options: FaultCloudOptions,
    stateDir: string,
    later: (f: (fc: FaultCloud) => void) => void,
  ): Parameters<typeof startLocalCloud>[0] {
    return {
      assemblyDir: path.join(stateDir, 'cdk.out'),
      projectDir: PROJECT_DIR,
      stateDir,
      ports: { sqs: 0, kinesis: 0 },
      kinesis: 'kinesalite',
      timeScale: options.timeScale,
      quiet: true,
      persist: options.persist === true,
      log: () => undefined,
      functionEnvironment: RECORD_LINES_ENVIRONMENT, // the tallies read per-record lines (onLog)
      onInvocation: (r) => later((fc) => fc.onReport(r)),
      onFunctionLog: (l) => later((fc) => fc.onLog(l.functionName, l.stream, l.line)),
      onFatal: (err) => later((fc) => (fc.fatalError = err)),
    };
  }

  private watchErrors(): void {
    this.cloud.lambda?.events.on('error', ({ err, where }: { err: unknown; where: string }) => {
      this.serviceErrors.push({ where, message: err instanceof Error ? `${err.name}: ${err.message}` : String(err), at: Date.now() });
    });
  }

  /**
   * Stops the whole local cloud, as Ctrl-C does (runtimes in flight are killed, the Firehose stand-in flushes), and
   * starts it again on the same state directory and ports with the same options: with persist it finds its state
   * again, in memory it starts empty. Tallies and the DLQ / failure bucket / archive readers carry over.
   */
  async restart(): Promise<void> {
    const old = this.cloud;
    const ports = { ...old.emulators.ports };
    const lambdaUrl = old.endpoints.endpoints.lambda;
    this.clients.destroy();
    await old.stop();
    const cloud = await startLocalCloud({
      ...FaultCloud.cloudOptions(this.options, this.stateDir, (f) => f(this)),
      ports,
      ...(lambdaUrl ? { lambdaPort: Number(new URL(lambdaUrl).port) } : {}),
    });
    this.cloud = cloud;
    this.clients = createLocalClients(cloud.topology.endpoints);
    this.dlq.use(this.clients.sqs);
    this.failures.use(this.clients);
    this.archive.use(this.clients);
    this.watchErrors();
    this.restarts++;
  }

  tally(functionName: string): FunctionTally {
    let t = this.tallies.get(functionName);
    if (!t) {
      t = new FunctionTally();
      this.tallies.set(functionName, t);
    }
    return t;
  }

  private onReport(r: InvocationReport): void {
    const t = this.tally(r.functionName);
    t.invocations++;
    t.outcomes[r.outcome]++;
    const failed = new Set(r.failedIds);
    for (const id of r.recordIds) {
      bump(failed.has(id) ? t.failed : t.ok, id);
      if (!failed.has(id)) t.sequence.push(id);
    }
  }

  private onLog(functionName: string, stream: string, line: string): void {
    this.logLines++;
    if (stream === 'runtime') {
      this.runtimeLines.push({ functionName, line, at: Date.now() });
      return;
    }
    if (!line.startsWith('{') || !line.includes('"message"')) return;
    let entry: {
      message?: unknown;
      envelopeId?: unknown;
      messageId?: unknown;
      sequenceNumber?: unknown;
      reason?: unknown;
      detail?: unknown;
    };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    const msg = typeof entry.message === 'string' ? entry.message : '';
    const id = typeof entry.envelopeId === 'string' ? entry.envelopeId : undefined;
    const t = this.tally(functionName);
    // Per-record lines: the functions run with RECORD_LINES_ENVIRONMENT (cloudOptions), so every record's line is
    // there, with its envelope id; at the deployed INFO level only failures and one summary per invocation are.
    if (id && (msg === JOB_MESSAGES.processed || msg === EVENT_MESSAGES.processed)) bump(t.effects, id);
    else if (id && (msg === JOB_MESSAGES.duplicate || msg === EVENT_MESSAGES.duplicate)) bump(t.absorbed, id);
    else if (id && (msg === JOB_MESSAGES.inProgress || msg === EVENT_MESSAGES.inProgress)) bump(t.inProgress, id);
    else if (msg === JOB_MESSAGES.invalid || msg === EVENT_MESSAGES.invalid) {
      const key =
        typeof entry.messageId === 'string' ? entry.messageId : typeof entry.sequenceNumber === 'string' ? entry.sequenceNumber : undefined;
      if (!key) return;
      const list = this.invalidLogs.get(key) ?? [];
      list.push({ functionName, reason: String(entry.reason), detail: String(entry.detail), ...(id ? { envelopeId: id } : {}) });
      this.invalidLogs.set(key, list);
    }
  }

  get lambda(): NonNullable<LocalCloud['lambda']> {
    if (!this.cloud.lambda) throw new Error('the Lambda service is not running');
    return this.cloud.lambda;
  }

  consumer(name: string): StreamConsumer {
    const c = this.consumers.find((x) => x.name === name);
    if (!c) throw new Error(`no consumer ${name} (have ${this.consumers.map((x) => x.name).join(', ')})`);
    return c;
  }

  /** Jobs through the project's producer, split over `concurrency` concurrent calls. */
  async enqueue(
    jobs: readonly KnownJob[],
    o: { client?: SendMessageBatchSender; concurrency?: number; retry?: RetryOptions } = {},
  ): Promise<EnqueueReport[]> {
    const client = o.client ?? this.clients.sqs;
    return Promise.all(
      split(jobs, o.concurrency ?? 1).map((part) =>
        enqueueJobs(part, { client, queueUrl: this.jobs.url, maxMessageBytes: this.jobs.maximumMessageSize, ...o.retry }),
      ),
    );
  }

  /**
   * Events through the project's producer. Split by partition key over `concurrency` concurrent calls, so each
   * key stays within one call and the producer's per-key order holds.
   */
  async publish(
    events: readonly KnownEvent[],
    o: { client?: PutRecordsSender; concurrency?: number; retry?: RetryOptions } = {},
  ): Promise<Array<{ events: KnownEvent[]; report: PublishReport }>> {
    const client = o.client ?? this.clients.kinesis;
    const n = Math.max(1, o.concurrency ?? 1);
    const parts: KnownEvent[][] = Array.from({ length: n }, () => []);
    for (const e of events) parts[hashOf(e.partitionKey) % n]!.push(e);
    return Promise.all(
      parts
        .filter((p) => p.length > 0)
        .map(async (part) => ({ events: part, report: await publishEvents(part, { client, streamName: this.stream.name, ...o.retry }) })),
    );
  }

  /** Bodies the producer would refuse, sent raw (SendMessageBatch), to reach the worker as they are. */
  async sendRawJobs(bodies: readonly string[]): Promise<RawJob[]> {
    const out: RawJob[] = [];
    for (let i = 0; i < bodies.length; i += 10) {
      const chunk = bodies.slice(i, i + 10);
      const res = await this.clients.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: this.jobs.url, Entries: chunk.map((b, j) => ({ Id: String(j), MessageBody: b })) }),
      );
      if ((res.Failed ?? []).length > 0) throw new Error(`raw SendMessageBatch refused: ${show(res.Failed)}`);
      for (const s of res.Successful ?? []) {
        const body = chunk[Number(s.Id)]!;
        out.push({ id: recordId(body, s.MessageId!), messageId: s.MessageId!, body });
      }
    }
    return out;
  }

  /** Records the producer would refuse, put raw (PutRecords), to reach the consumers as they are. */
  async putRawEvents(
    records: ReadonlyArray<{ partitionKey: string; data: Buffer }>,
    client: KinesisClient = this.clients.kinesis,
  ): Promise<RawEvent[]> {
    const out: RawEvent[] = [];
    for (let i = 0; i < records.length; i += 500) {
      const chunk = records.slice(i, i + 500);
      const res = await client.send(
        new PutRecordsCommand({
          StreamName: this.stream.name,
          Records: chunk.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
        }),
      );
      (res.Records ?? []).forEach((r, j) => {
        if (r.ErrorCode || !r.SequenceNumber) throw new Error(`raw PutRecords refused record ${j}: ${r.ErrorCode} ${r.ErrorMessage}`);
        const rec = chunk[j]!;
        out.push({
          id: recordId(rec.data.toString('utf8'), r.SequenceNumber),
          sequenceNumber: r.SequenceNumber,
          shardId: r.ShardId!,
          partitionKey: rec.partitionKey,
          data: rec.data,
        });
      });
    }
    return out;
  }

  queueDepth(q: LocalQueue = this.jobs): Promise<number> {
    return queueDepth(this.clients.sqs, q.url);
  }

  /** Every Kinesis mapping's lag, in records. */
  lagRecords(): Record<string, number> {
    const s = this.lambda.mappingStats();
    return Object.fromEntries(this.consumers.map((c) => [c.name, s[c.mapping.logicalId]?.behindRecords ?? 0]));
  }

  async stop(): Promise<{ orphans: number[] }> {
    this.clients.destroy();
    await this.cloud.stop();
    for (const s of this.extraStops.splice(0)) await s().catch(() => undefined);
    // a SIGKILLed runtime is reaped asynchronously: give the exit handlers a moment, bounded; what is left is the answer
    const newChildren = (): number[] => childPids().filter((p) => !this.childrenBefore.includes(p));
    const orphans = await eventually("the local cloud's processes to exit", newChildren, (pids) => pids.length === 0, {
      timeoutMs: 10_000,
      intervalMs: 100,
    }).catch(() => newChildren());
    fs.rmSync(this.stateDir, { recursive: true, force: true });
    return { orphans };
  }
}

export function split<T>(items: readonly T[], parts: number): T[][] {
  const n = Math.max(1, Math.min(parts, items.length || 1));
  const size = Math.ceil(items.length / n);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function hashOf(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
