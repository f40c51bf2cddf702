// End-to-end harness: one local cloud running the real synthesized app, plus the observations the tests count.
// Everything the tests assert comes from the outside: invocation reports, function logs, queues, buckets.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { createLocalClients, type LocalClients } from '../../local/clients';
import { startLocalCloud, type LocalCloud } from '../../local/index';
import type { InvocationReport, LocalBucket, LocalFunction, LocalQueue, LocalSqsMapping, LocalStream } from '../../local/types';
import { enqueueJobs } from '../../lambdas/shared/producers/enqueue-jobs';
import { publishEvents, type PublishedEvent } from '../../lambdas/shared/producers/publish-events';
import type { EventEnvelope, JobEnvelope } from '../../lambdas/shared/envelope';
import { RECORD_LINES_ENVIRONMENT } from '../../lambdas/shared/log-messages';
import type { QueueAndStreamStacks } from '../../lib/queue-and-stream';
import type { StageConfig } from '../../lib/stage-config';
import { projectParts, type StreamConsumer } from '../support/local-cloud';
import { PROJECT_DIR } from '../support/paths';
import { childPids } from '../support/processes';
import { show } from '../support/wait';

// ── the cloud under test ────────────────────────────────────────────────────────────────────────────────

export interface WorkerLogEntry {
  message: string;
  envelopeId?: string;
  jobType?: string;
  jobKey?: string;
  causationId?: string;
}

/** A structured log line of any function (consumers log envelopeId, eventType, partitionKey, replayId). */
export interface FunctionLogEntry extends WorkerLogEntry {
  functionName: string;
  eventType?: string;
  partitionKey?: string;
  replayId?: string;
}

/** A record as it went onto the stream: what the archive must hold, byte for byte. */
export interface PublishedRecord {
  partitionKey: string;
  data: string;
  /** envelope id, or undefined for a malformed record */
  id?: string;
  sequenceNumber: string;
  shardId: string;
}

export interface E2eCloud {
  cloud: LocalCloud;
  clients: LocalClients;
  stateDir: string;
  /** every invocation report, in the order the Lambda service produced them */
  reports: InvocationReport[];
  /** the worker's structured log lines (JSON), in order */
  workerLog: WorkerLogEntry[];
  /** every function's structured log lines (JSON), in order: what direct invocations (Invoke API) did */
  functionLog: FunctionLogEntry[];
  /** every record this file put on the event stream, in order */
  published: PublishedRecord[];
  /** children of this process before the cloud started (the orphan check compares against it) */
  childrenBefore: number[];
  fatal(): Error | undefined;
  jobs: LocalQueue;
  dlq: LocalQueue;
  events: LocalStream;
  archive: LocalBucket;
  failures: LocalBucket;
  worker: LocalFunction;
  workerMapping: LocalSqsMapping;
  consumers: StreamConsumer[];
  consumer(name: string): StreamConsumer;
  publish(events: readonly EventEnvelope[]): Promise<PublishedEvent[]>;
  putRaw(partitionKey: string, data: string): Promise<PublishedRecord>;
  enqueue(jobs: readonly JobEnvelope[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startE2eCloud(options: {
  timeScale: number /** run this assembly instead of `cdk synth` of the project */;
  assemblyDir?: string;
}): Promise<E2eCloud> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-e2e-'));
  const reports: InvocationReport[] = [];
  const workerLog: WorkerLogEntry[] = [];
  const functionLog: FunctionLogEntry[] = [];
  const published: PublishedRecord[] = [];
  let fatal: Error | undefined;
  let workerName = 'job-worker';
  const childrenBefore = childPids();
  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud({
      projectDir: PROJECT_DIR,
      ...(options.assemblyDir ? { assemblyDir: options.assemblyDir, synth: false } : { synth: true }),
      stateDir,
      ports: { sqs: 0, kinesis: 0 },
      kinesis: 'kinesalite',
      timeScale: options.timeScale,
      quiet: true,
      // workerLog and functionLog are per-record lines (with envelope, causation and replay ids): DEBUG lines
      functionEnvironment: RECORD_LINES_ENVIRONMENT,
      onInvocation: (r) => reports.push(r),
      onFunctionLog: ({ functionName, line }) => {
        const start = line.indexOf('{');
        if (start < 0) return;
        try {
          const parsed = JSON.parse(line.slice(start)) as WorkerLogEntry;
          if (typeof parsed.message !== 'string') return;
          functionLog.push({ ...parsed, functionName });
          if (functionName === workerName) workerLog.push(parsed);
        } catch {
          // not a JSON log line (EMF blobs parse but have no message)
        }
      },
      onFatal: (err) => (fatal = err),
    });
  } catch (err) {
    fs.rmSync(stateDir, { recursive: true, force: true }); // a failed start leaves nothing behind
    throw err;
  }
  const clients = createLocalClients(cloud.topology.endpoints);
  try {
    const parts = projectParts(cloud);
    const { jobs, events, consumers } = parts;
    workerName = parts.worker.name;
    const e2e: E2eCloud = {
      cloud,
      clients,
      stateDir,
      reports,
      workerLog,
      functionLog,
      published,
      childrenBefore,
      fatal: () => fatal,
      jobs,
      dlq: parts.jobsDlq,
      events,
      archive: parts.archive,
      failures: parts.failures,
      worker: parts.worker,
      workerMapping: parts.workerMapping,
      consumers,
      consumer: (name) => {
        const c = consumers.find((x) => x.name === name);
        if (!c) throw new Error(`the synthesized app has no consumer ${name}`);
        return c;
      },
      async publish(list) {
        const report = await publishEvents(list, { client: clients.kinesis, streamName: events.name });
        if (report.failed > 0)
          throw new Error(`publishEvents: ${report.failed} of ${list.length} events failed: ${show(report.results.filter((r) => !r.ok))}`);
        const ok = report.results as PublishedEvent[];
        for (const r of ok) {
          const e = list[r.index]!;
          published.push({
            partitionKey: e.partitionKey,
            data: JSON.stringify(e),
            id: e.id,
            sequenceNumber: r.sequenceNumber,
            shardId: r.shardId,
          });
        }
        return ok;
      },
      async putRaw(partitionKey, data) {
        const out = await clients.kinesis.send(
          new PutRecordCommand({ StreamName: events.name, PartitionKey: partitionKey, Data: Buffer.from(data) }),
        );
        const rec: PublishedRecord = { partitionKey, data, sequenceNumber: out.SequenceNumber!, shardId: out.ShardId! };
        published.push(rec);
        return rec;
      },
      async enqueue(list) {
        const report = await enqueueJobs(list, { client: clients.sqs, queueUrl: jobs.url });
        if (report.failed > 0) throw new Error(`enqueueJobs: ${report.failed} of ${list.length} jobs failed`);
      },
      async stop() {
        clients.destroy();
        await cloud.stop();
      },
    };
    return e2e;
  } catch (err) {
    clients.destroy();
    await cloud.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Synthesizes the dev stage in this process the way bin/app.ts does (cdk.json's context, plus the asset metadata
 * the CLI adds and the local cloud reads), letting `extend` add to the stacks first (e.g. one more consumer).
 */
export async function synthesizeDevApp(
  outdir: string,
  extend?: (stacks: QueueAndStreamStacks, config: StageConfig) => void,
): Promise<void> {
  const { App } = await import('aws-cdk-lib');
  const { createQueueAndStream } = await import('../../lib/queue-and-stream');
  const { stageConfig } = await import('../../lib/stage-config');
  const cdkJson = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const app = new App({
    outdir,
    context: { ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true },
  });
  const config = stageConfig('dev');
  const stacks = createQueueAndStream(app, config);
  extend?.(stacks, config);
  app.synth();
}

export function removeStateDir(e2e: E2eCloud | undefined): void {
  if (e2e) fs.rmSync(e2e.stateDir, { recursive: true, force: true });
}

// ── reading the reports ─────────────────────────────────────────────────────────────────────────────────

/** Ids a function processed successfully, in the order it processed them (a duplicate appears twice). */
export function processedIds(reports: readonly InvocationReport[], functionName: string): string[] {
  const out: string[] = [];
  for (const r of reports) {
    if (r.functionName !== functionName || (r.outcome !== 'ok' && r.outcome !== 'partial')) continue;
    const failed = new Set(r.failedIds);
    for (const id of r.recordIds) if (!failed.has(id)) out.push(id);
  }
  return out;
}

/** Invocations of a function whose batch held this record id. */
export function invocationsWith(reports: readonly InvocationReport[], functionName: string, id: string): InvocationReport[] {
  return reports.filter((r) => r.functionName === functionName && r.recordIds.includes(id));
}

export function countBy<T>(items: readonly T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

/** The id the Lambda service reports for a stream record: the envelope id when it is one, else the sequence number. */
export function reportedId(rec: Pick<PublishedRecord, 'id' | 'sequenceNumber'>): string {
  return rec.id ?? rec.sequenceNumber;
}

// ── queues ──────────────────────────────────────────────────────────────────────────────────────────────

export interface PeekedMessage {
  messageId: string;
  body: string;
  receiveCount: number;
}

/**
 * Every message of a queue nobody else consumes (the DLQ), left in place: received with a short visibility,
 * then made visible again. Loops until a receive brings nothing new.
 */
export async function peekAll(clients: LocalClients, q: LocalQueue): Promise<PeekedMessage[]> {
  const seen = new Map<string, PeekedMessage>();
  const handles: string[] = [];
  try {
    for (;;) {
      const out = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: q.url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 30,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const got = out.Messages ?? [];
      let fresh = 0;
      for (const m of got) {
        handles.push(m.ReceiptHandle!);
        if (seen.has(m.MessageId!)) continue;
        fresh++;
        seen.set(m.MessageId!, {
          messageId: m.MessageId!,
          body: m.Body ?? '',
          receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
        });
      }
      if (fresh === 0) break;
    }
  } finally {
    await Promise.all(
      handles.map((h) =>
        clients.sqs
          .send(new ChangeMessageVisibilityCommand({ QueueUrl: q.url, ReceiptHandle: h, VisibilityTimeout: 0 }))
          .catch(() => undefined),
      ),
    );
  }
  return [...seen.values()];
}

// ── buckets ─────────────────────────────────────────────────────────────────────────────────────────────

export { BucketReader } from '../../local/bucket-reader';

export const isGzip = (b: Buffer): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
export const gunzip = (b: Buffer): string => zlib.gunzipSync(b).toString('utf8');

/** An on-failure destination object, as Lambda writes it to S3 for a discarded stream batch. */
export interface FailureObject {
  requestContext: { requestId: string; functionArn: string; condition: string; approximateInvokeCount: number };
  KinesisBatchInfo: { shardId: string; startSequenceNumber: string; endSequenceNumber: string; batchSize: number; streamArn: string };
  payload: { Records: Array<{ kinesis: { data: string; sequenceNumber: string; partitionKey: string } }> };
}

/**
 * A regex for keys written under a Firehose prefix: each !{timestamp:…} becomes digits of the pattern's widths,
 * everything else is literal. Other namespaces (random-string) match any non-slash run.
 */
export function prefixPattern(prefix: string): string {
  let out = '';
  let last = 0;
  for (const m of prefix.matchAll(/!\{([^:}]+):([^}]*)\}/g)) {
    out += escapeRegex(prefix.slice(last, m.index));
    out += m[1] === 'timestamp' ? m[2]!.replace(/([yMdHms])\1*/g, (run) => `\\d{${run.length}}`) : '[^/]+';
    last = m.index! + m[0].length;
  }
  return out + escapeRegex(prefix.slice(last));
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
