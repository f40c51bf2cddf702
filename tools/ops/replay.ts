/**
 * replay: archived events → the events stream (every consumer sees them again) or one consumer only.
 *
 * Order: archive order (objects in write order, lines in order; see archive-reader) is kept per partition key: records go out in chunks,
 * a chunk only after the previous one resolved; publishEvents keeps per-key order inside a chunk; a key
 * whose record failed gets no later record in this run (they are reported as blocked), on both targets.
 * Every re-delivered envelope keeps its id and carries `replay: { replayId, replayedAt, target }`.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PutRecordsSender } from '../../lambdas/shared/producers/publish-events';
import { publishEvents } from '../../lambdas/shared/producers/publish-events';
import type { EventEnvelope, KnownEvent } from '../../lambdas/shared/envelope';
import {
  eventMatcher,
  hourLabel,
  deliverySecondOf,
  listArchiveObjects,
  readArchive,
  DEFAULT_ARCHIVE_PREFIX,
  type ArchiveIssue,
  type S3Sender,
} from './archive-reader';
import { argsHash, defaultCheckpointFile, loadCheckpoint, resumeGate, runFiles, saveCheckpoint, WHOLE_OBJECT, type Checkpoint, type Position } from './checkpoint';
import { deliverToConsumer, kinesisRecordFor, type RecordOutcome } from './consumer-delivery';
import type { ConsumerInvoker, ConsumerTarget } from './consumer-invoker';
import { OpsError } from './errors';
import type { ProgressSink } from './progress';
import type { TokenBucket } from './rate-limiter';
import { need, type OpsEnvironment } from './resolve-stage';

export type ReplayTarget = { readonly kind: 'stream' } | { readonly kind: 'consumer'; readonly name: string };

export function parseTarget(value: string): ReplayTarget {
  if (value === 'stream') return { kind: 'stream' };
  const m = /^consumer:([A-Za-z0-9_.-]+)$/.exec(value);
  if (m) return { kind: 'consumer', name: m[1]! };
  throw new OpsError(`--target must be "stream" or "consumer:<name>" (got "${value}")`, 2);
}

export const targetLabel = (t: ReplayTarget): string => (t.kind === 'stream' ? 'stream' : `consumer:${t.name}`);

/** PutRecords limit: the most records one stream chunk carries. */
export const STREAM_CHUNK = 500;

export interface ReplayOptions {
  readonly env: OpsEnvironment;
  readonly s3: S3Sender;
  readonly kinesis?: PutRecordsSender;
  readonly invoker?: ConsumerInvoker;
  readonly from: Date;
  readonly to: Date;
  readonly types?: readonly string[];
  readonly ids?: readonly string[];
  /**
   * skip archived copies that carry a replay marker (copies an earlier `--target stream` replay put in the archive),
   * so each selected id goes out once per original: set when the ids come from a query or a file (--query, --ids-from)
   */
  readonly originalsOnly?: boolean;
  /** required unless dryRun */
  readonly target?: ReplayTarget;
  readonly dryRun?: boolean;
  readonly limiter?: TokenBucket;
  /** default `.local/replay-<hash of the arguments>.json` under projectDir */
  readonly checkpointFile?: string;
  /** ignore (and replace) an existing checkpoint */
  readonly restart?: boolean;
  readonly projectDir?: string;
  readonly lateHours?: number;
  readonly prefix?: string;
  /** consumer target: overrides the mapping's batch size */
  readonly batchSize?: number;
  /** consumer target: retries of a failed batch tail */
  readonly maxRetries?: number;
  readonly consumerSleep?: (retry: number) => Promise<void>;
  /** stream target: records per PutRecords chunk (default 500) */
  readonly chunkSize?: number;
  /** stops between chunks; the checkpoint keeps what was resolved */
  readonly signal?: AbortSignal;
  readonly progress?: ProgressSink;
}

export interface FailedRecord {
  readonly key: string;
  readonly line: number;
  readonly id: string;
  readonly partitionKey: string;
  readonly reason: string;
}

export interface ReplaySummary {
  readonly replayId: string;
  readonly target: string;
  readonly environment: string;
  readonly dryRun: boolean;
  readonly from: string;
  readonly to: string;
  objects: number;
  /** non-empty archive lines read in this run */
  read: number;
  /** events that matched the range and filters */
  matched: number;
  sent: number;
  /** corrupt lines and unreadable objects, reported in `issues` */
  skipped: number;
  failed: number;
  /** well-formed events outside the time range or filters */
  filteredOut: number;
  /** lines of the checkpoint's object that an earlier run resolved (objects before it are not read at all) */
  alreadyDone: number;
  readonly issues: ArchiveIssue[];
  readonly failures: FailedRecord[];
  readonly counts: { byType: Record<string, number>; byHour: Record<string, number> };
  readonly resumed: boolean;
  interrupted: boolean;
  readonly alreadyComplete: boolean;
  readonly checkpointFile?: string;
  readonly failuresFile?: string;
  elapsedMs: number;
  recordsPerSecond: number;
}

interface Item {
  readonly key: string;
  readonly line: number;
  readonly envelope: KnownEvent;
}

export async function runReplay(o: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  const dryRun = o.dryRun ?? false;
  if (!dryRun && !o.target) throw new OpsError('--target is required (stream or consumer:<name>), or pass --dry-run', 2);
  const bucket = need(o.env.archiveBucket, 'archive bucket', o.env);
  const prefix = o.prefix ?? DEFAULT_ARCHIVE_PREFIX;
  const lateHours = o.lateHours ?? 1;
  const range = { from: o.from, to: o.to, lateHours, prefix };
  const target = o.target;

  // Everything that defines WHICH records go WHERE; not rate, progress or output.
  const hash = argsHash({
    environment: o.env.label,
    bucket,
    stream: o.env.eventStreamName ?? null,
    target: target ? targetLabel(target) : null,
    from: o.from.toISOString(),
    to: o.to.toISOString(),
    types: [...(o.types ?? [])].sort(),
    ids: [...(o.ids ?? [])].sort(),
    ...(o.originalsOnly ? { originalsOnly: true } : {}),
    prefix,
    lateHours,
  });
  const { checkpointFile, failuresFile } = runFiles(dryRun ? undefined : (o.checkpointFile ?? defaultCheckpointFile(hash, o.projectDir)), o.restart);
  const previous = checkpointFile ? loadCheckpoint(checkpointFile, hash) : undefined;
  const replayId = previous?.replayId ?? randomUUID();
  const cp: Checkpoint | undefined = checkpointFile
    ? (previous ?? {
        version: 1,
        argsHash: hash,
        replayId,
        startedAt: new Date().toISOString(),
        done: false,
        totals: { read: 0, sent: 0, skipped: 0, failed: 0, filteredOut: 0 },
        updatedAt: '',
      })
    : undefined;
  const resumeAt: Position | undefined = previous?.position;

  const summary: ReplaySummary = {
    replayId,
    target: target ? targetLabel(target) : 'none (dry run)',
    environment: o.env.label,
    dryRun,
    from: o.from.toISOString(),
    to: o.to.toISOString(),
    objects: 0,
    read: 0,
    matched: 0,
    sent: 0,
    skipped: 0,
    failed: 0,
    filteredOut: 0,
    alreadyDone: 0,
    issues: [],
    failures: [],
    counts: { byType: {}, byHour: {} },
    resumed: previous !== undefined,
    interrupted: false,
    alreadyComplete: previous?.done === true,
    ...(checkpointFile ? { checkpointFile, failuresFile: failuresFile! } : {}),
    elapsedMs: 0,
    recordsPerSecond: 0,
  };
  if (previous?.done) return finish(summary, started);

  // Resolve where records go before reading anything: a wrong consumer name fails fast.
  let send: ((items: readonly Item[]) => Promise<Array<{ ok: boolean; message?: string }>>) | undefined;
  let chunkSize = o.chunkSize ?? STREAM_CHUNK;
  if (!dryRun && target?.kind === 'stream') {
    const streamName = need(o.env.eventStreamName, 'events stream', o.env);
    if (!o.kinesis) throw new Error('runReplay: a Kinesis client is required for --target stream');
    const kinesis = o.kinesis;
    send = async (items) => {
      const replayedAt = new Date().toISOString();
      const events = items.map((it) => marked(it.envelope, { replayId, replayedAt, target: 'stream' }));
      const report = await publishEvents(events, { client: kinesis, streamName });
      return report.results.map((r) => (r.ok ? { ok: true } : { ok: false, message: `${r.reason}: ${r.message}` }));
    };
  } else if (!dryRun && target?.kind === 'consumer') {
    if (!o.invoker) throw new Error('runReplay: a ConsumerInvoker is required for --target consumer:<name>');
    const invoker = o.invoker;
    const consumer: ConsumerTarget = await invoker.resolve(target.name, o.batchSize === undefined ? {} : { batchSize: o.batchSize });
    chunkSize = consumer.batchSize;
    const shape = {
      shardId: `shardId-replay-${replayId.slice(0, 8)}`,
      eventSourceArn: o.env.eventStreamArn ?? `arn:aws:kinesis:${o.env.region ?? 'us-east-1'}:000000000000:stream/${o.env.eventStreamName ?? 'events'}`,
      region: o.env.region ?? 'us-east-1',
    };
    let sequence = (cp?.totals.sent ?? 0) + (cp?.totals.failed ?? 0);
    send = async (items) => {
      const replayedAt = new Date().toISOString();
      const records = items.map((it) =>
        kinesisRecordFor(marked(it.envelope, { replayId, replayedAt, target: targetLabel(target) }), String(++sequence).padStart(21, '0'), shape),
      );
      const outcomes: RecordOutcome[] = await deliverToConsumer(records, {
        invoker,
        target: consumer,
        ...(o.maxRetries === undefined ? {} : { maxRetries: o.maxRetries }),
        ...(o.consumerSleep ? { sleep: o.consumerSleep } : {}),
      });
      return outcomes.map((r) => (r.ok ? { ok: true } : { ok: false, message: r.message ?? 'undeliverable' }));
    };
  }
  if (o.limiter) chunkSize = Math.min(chunkSize, o.limiter.burst);

  // everything from the checkpoint's second on: objects of one second are ordered by content (resumeGate)
  const keys = (await listArchiveObjects(o.s3, bucket, range)).filter((k) => !resumeAt || deliverySecondOf(k) >= deliverySecondOf(resumeAt.key));
  const isDone = resumeGate(resumeAt, keys);
  summary.objects = keys.length;
  o.progress?.start(keys.length, dryRun ? 'counting' : `replaying to ${summary.target}`, { unit: 'objects' });

  const matches = eventMatcher({ from: o.from, to: o.to, ...(o.types ? { types: o.types } : {}), ...(o.ids ? { ids: o.ids } : {}) });
  const failedKeys = new Set<string>();
  let chunk: Item[] = [];
  let cursor: Position | undefined;

  const totalsAtStart = { ...(cp?.totals ?? { read: 0, sent: 0, skipped: 0, failed: 0, filteredOut: 0 }) };
  const syncTotals = (): void => {
    if (!cp) return;
    const t = totalsAtStart;
    cp.totals = { read: t.read + summary.read, sent: t.sent + summary.sent, skipped: t.skipped + summary.skipped, failed: t.failed + summary.failed, filteredOut: t.filteredOut + summary.filteredOut };
  };

  const fail = (it: Item, reason: string): void => {
    const failure: FailedRecord = { key: it.key, line: it.line, id: it.envelope.id, partitionKey: it.envelope.partitionKey, reason };
    summary.failed++;
    if (summary.failures.length < 100) summary.failures.push(failure);
    failedKeys.add(it.envelope.partitionKey);
    if (failuresFile) {
      fs.mkdirSync(path.dirname(failuresFile), { recursive: true });
      fs.appendFileSync(failuresFile, JSON.stringify({ ...failure, envelope: it.envelope }) + '\n');
    }
  };

  const checkpoint = (): void => {
    if (!cp || !checkpointFile || !cursor) return;
    cp.position = cursor;
    saveCheckpoint(checkpointFile, cp);
  };

  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const items = chunk;
    chunk = [];
    // a key that failed earlier in this run gets nothing later: per-key order is never inverted
    const sendable = items.filter((it) => {
      if (!failedKeys.has(it.envelope.partitionKey)) return true;
      fail(it, 'blocked-by-earlier-failure: an earlier record with this partition key failed in this run');
      return false;
    });
    if (sendable.length > 0) {
      await o.limiter?.take(sendable.length);
      const results = await send!(sendable);
      results.forEach((r, i) => {
        if (r.ok) summary.sent++;
        else fail(sendable[i]!, r.message ?? 'failed');
      });
    }
    const last = items[items.length - 1]!;
    cursor = { key: last.key, line: last.line };
    syncTotals();
    checkpoint();
    o.progress?.update({ sent: summary.sent, failed: summary.failed });
  };
  let objectsDone = 0;
  outer: for await (const object of readArchive(o.s3, bucket, keys)) {
    if (o.signal?.aborted) {
      chunk = []; // not sent: the checkpoint is still before them, a resumed run sends them
      summary.interrupted = true;
      break;
    }
    for (const issue of object.issues) {
      if (isDone(issue.key, issue.line === 0 ? WHOLE_OBJECT : issue.line)) continue;
      summary.skipped++;
      summary.read += issue.line === 0 ? 0 : 1;
      summary.issues.push(issue);
      o.progress?.log(`skipped ${issue.key}${issue.line > 0 ? ` line ${issue.line}` : ''}: ${issue.reason}`);
    }
    for (const event of object.events) {
      if (isDone(event.key, event.line)) {
        summary.alreadyDone++;
        continue;
      }
      summary.read++;
      if (!matches(event.envelope) || (o.originalsOnly && event.envelope.replay !== undefined)) {
        summary.filteredOut++;
        continue;
      }
      summary.matched++;
      if (dryRun) {
        bump(summary.counts.byType, event.envelope.type);
        bump(summary.counts.byHour, hourLabel(event.envelope.occurredAt));
        continue;
      }
      chunk.push(event);
      if (chunk.length >= chunkSize) {
        if (o.signal?.aborted) {
          chunk = []; // not sent: the checkpoint is still before them, a resumed run sends them
          summary.interrupted = true;
          break outer;
        }
        await flush();
      }
    }
    objectsDone++;
    if (chunk.length === 0 && !dryRun) {
      // everything up to the end of this object is resolved (sent, failed, filtered or corrupt)
      cursor = { key: object.key, line: WHOLE_OBJECT };
      syncTotals();
      checkpoint();
    }
    // a record counts as sent once its chunk went out (a chunk may span objects): these are the counts so far
    o.progress?.object(objectsDone, dryRun ? { matched: summary.matched } : { sent: summary.sent, failed: summary.failed });
  }
  if (!summary.interrupted) {
    if (o.signal?.aborted && chunk.length > 0) summary.interrupted = true;
    else await flush();
  }
  if (cp && !summary.interrupted) {
    cp.done = true;
    syncTotals();
    if (cursor) cp.position = cursor;
    saveCheckpoint(checkpointFile!, cp);
  }
  o.progress?.stop();
  return finish(summary, started);
}

function marked(envelope: KnownEvent, replay: NonNullable<EventEnvelope['replay']>): KnownEvent {
  return { ...envelope, replay } as KnownEvent;
}

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

function finish(summary: ReplaySummary, started: number): ReplaySummary {
  summary.elapsedMs = Math.round(performance.now() - started);
  summary.recordsPerSecond = summary.elapsedMs > 0 ? Math.round((summary.sent * 1000) / summary.elapsedMs) : 0;
  return summary;
}
