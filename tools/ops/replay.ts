/**
 * replay: archived events → the events stream (every consumer sees them again) or one consumer only.
 *
 * Order: archive order (objects in write order, lines in order; see archive-reader) is kept per partition key: records go out in chunks,
 * a chunk only after the previous one resolved; publishEvents keeps per-key order inside a chunk; a key
 * whose record failed gets no later record in this run (they are reported as blocked), on both targets.
 * Every re-delivered envelope keeps its id and carries `replay: { replayId, replayedAt, target }`.
 */
import { randomUUID } from 'node:crypto';
import type { KnownEvent } from '../../lambdas/shared/envelope';
import type { PutRecordsSender } from '../../lambdas/shared/producers/publish-events';
import {
  eventMatcher,
  hourLabel,
  deliverySecondOf,
  listArchiveObjects,
  readArchive,
  DEFAULT_ARCHIVE_PREFIX,
  type ArchivedEvent,
  type ArchiveIssue,
  type ArchiveObject,
} from './archive-reader';
import type { S3Sender } from './s3-objects';
import {
  appendFailure,
  argsHash,
  defaultCheckpointFile,
  loadCheckpoint,
  resumeGate,
  runFiles,
  saveCheckpoint,
  startRunRecord,
  WHOLE_OBJECT,
  type Checkpoint,
  type Position,
  type RunRecord,
} from './checkpoint';
import type { ConsumerInvoker } from './consumer-invoker';
import { OpsError } from './errors';
import type { ProgressSink } from './progress';
import type { TokenBucket } from './rate-limiter';
import { STREAM_CHUNK, senderFor, targetLabel, type ReplayTarget, type Send } from './replay-targets';
import { need, type OpsEnvironment } from './resolve-stage';

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

export interface ReplaySummary extends RunRecord {
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
  recordsPerSecond: number;
}

const NO_TOTALS: Checkpoint['totals'] = { read: 0, sent: 0, skipped: 0, failed: 0, filteredOut: 0 };

export async function runReplay(o: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  const dryRun = o.dryRun ?? false;
  if (!dryRun && !o.target) throw new OpsError('--target is required (stream or consumer:<name>), or pass --dry-run', 2);
  const bucket = need(o.env.archiveBucket, 'archive bucket', o.env);
  const prefix = o.prefix ?? DEFAULT_ARCHIVE_PREFIX;
  const lateHours = o.lateHours ?? 1;
  const hash = replayArgsHash(o, bucket, prefix, lateHours);
  const files = runFiles(dryRun ? undefined : (o.checkpointFile ?? defaultCheckpointFile(hash, o.projectDir)), o.restart);
  const previous = files.checkpointFile ? loadCheckpoint(files.checkpointFile, hash) : undefined;
  const replayId = previous?.replayId ?? randomUUID();
  const cp: Checkpoint | undefined = files.checkpointFile
    ? (previous ?? {
        version: 1,
        argsHash: hash,
        replayId,
        startedAt: new Date().toISOString(),
        done: false,
        totals: { ...NO_TOTALS },
        updatedAt: '',
      })
    : undefined;
  const summary = startSummary(o, replayId, previous, files);
  if (previous?.done) return finish(summary, started);

  // Resolve where records go before reading anything: a wrong consumer name fails fast.
  const sender = dryRun ? undefined : await senderFor(o, o.target!, replayId, cp);
  const chunkSize = Math.min(sender?.chunkSize ?? o.chunkSize ?? STREAM_CHUNK, o.limiter?.burst ?? Infinity);

  // everything from the checkpoint's second on: objects of one second are ordered by content (resumeGate)
  const resumeAt: Position | undefined = previous?.position;
  const keys = (await listArchiveObjects(o.s3, bucket, { from: o.from, to: o.to, lateHours, prefix })).filter(
    (k) => !resumeAt || deliverySecondOf(k) >= deliverySecondOf(resumeAt.key),
  );
  summary.objects = keys.length;
  o.progress?.start(keys.length, dryRun ? 'counting' : `replaying to ${summary.target}`, { unit: 'objects' });

  const run = new ReplayRun(o, summary, { ...files, checkpoint: cp }, sender?.send, chunkSize);
  await run.readArchive(bucket, keys, resumeGate(resumeAt, keys));
  await run.complete();
  o.progress?.stop();
  return finish(summary, started);
}

/** Everything that defines WHICH records go WHERE; not rate, progress or output. */
function replayArgsHash(o: ReplayOptions, bucket: string, prefix: string, lateHours: number): string {
  return argsHash({
    environment: o.env.label,
    bucket,
    stream: o.env.eventStreamName ?? null,
    target: o.target ? targetLabel(o.target) : null,
    from: o.from.toISOString(),
    to: o.to.toISOString(),
    types: [...(o.types ?? [])].sort(),
    ids: [...(o.ids ?? [])].sort(),
    ...(o.originalsOnly ? { originalsOnly: true } : {}),
    prefix,
    lateHours,
  });
}

function startSummary(
  o: ReplayOptions,
  replayId: string,
  previous: Checkpoint | undefined,
  files: { checkpointFile?: string; failuresFile?: string },
): ReplaySummary {
  return {
    replayId,
    target: o.target ? targetLabel(o.target) : 'none (dry run)',
    environment: o.env.label,
    dryRun: o.dryRun ?? false,
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
    ...startRunRecord(previous, files),
    recordsPerSecond: 0,
  };
}

/**
 * One run over the archive's objects: events matched, gathered into chunks and sent one chunk at a time; a key
 * whose record failed blocks its later records; the checkpoint moves past what is resolved.
 */
class ReplayRun {
  private readonly dryRun: boolean;
  private readonly matches: (envelope: KnownEvent) => boolean;
  /** partition keys whose record failed in this run */
  private readonly failedKeys = new Set<string>();
  private chunk: ArchivedEvent[] = [];
  /** the last resolved archive position */
  private cursor: Position | undefined;
  private readonly totalsAtStart: Checkpoint['totals'];
  private objectsDone = 0;

  constructor(
    private readonly o: ReplayOptions,
    private readonly summary: ReplaySummary,
    private readonly files: { checkpoint?: Checkpoint; checkpointFile?: string; failuresFile?: string },
    private readonly send: Send | undefined,
    private readonly chunkSize: number,
  ) {
    this.dryRun = o.dryRun ?? false;
    this.matches = eventMatcher({ from: o.from, to: o.to, ...(o.types ? { types: o.types } : {}), ...(o.ids ? { ids: o.ids } : {}) });
    this.totalsAtStart = { ...(files.checkpoint?.totals ?? NO_TOTALS) };
  }

  async readArchive(bucket: string, keys: readonly string[], isDone: (key: string, line: number) => boolean): Promise<void> {
    for await (const object of readArchive(this.o.s3, bucket, keys)) {
      if (this.o.signal?.aborted) {
        this.interrupt();
        break;
      }
      if (!(await this.readObject(object, isDone))) break;
    }
  }

  /** Sends what is left and marks the checkpoint done, unless the run was interrupted. */
  async complete(): Promise<void> {
    const { summary, files } = this;
    if (!summary.interrupted) {
      if (this.o.signal?.aborted && this.chunk.length > 0) summary.interrupted = true;
      else await this.flush();
    }
    const cp = files.checkpoint;
    if (cp && !summary.interrupted) {
      cp.done = true;
      this.syncTotals();
      if (this.cursor) cp.position = this.cursor;
      saveCheckpoint(files.checkpointFile!, cp);
    }
  }

  /** The chunk is not sent: the checkpoint is still before it, a resumed run sends it. */
  private interrupt(): void {
    this.chunk = [];
    this.summary.interrupted = true;
  }

  /** Reads one archive object; false when the run was interrupted inside it. */
  private async readObject(object: ArchiveObject, isDone: (key: string, line: number) => boolean): Promise<boolean> {
    const { o, summary } = this;
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
      if (!this.take(event)) continue;
      if (this.chunk.length >= this.chunkSize) {
        if (o.signal?.aborted) {
          this.interrupt();
          return false;
        }
        await this.flush();
      }
    }
    this.objectsDone++;
    if (this.chunk.length === 0 && !this.dryRun) {
      // everything up to the end of this object is resolved (sent, failed, filtered or corrupt)
      this.cursor = { key: object.key, line: WHOLE_OBJECT };
      this.syncTotals();
      this.checkpoint();
    }
    // a record counts as sent once its chunk went out (a chunk may span objects): these are the counts so far
    o.progress?.object(this.objectsDone, this.dryRun ? { matched: summary.matched } : { sent: summary.sent, failed: summary.failed });
    return true;
  }

  /** Counts an event read; true when it joined the chunk (matched, and not a dry run). */
  private take(event: ArchivedEvent): boolean {
    const { summary } = this;
    summary.read++;
    if (!this.matches(event.envelope) || (this.o.originalsOnly && event.envelope.replay !== undefined)) {
      summary.filteredOut++;
      return false;
    }
    summary.matched++;
    if (this.dryRun) {
      bump(summary.counts.byType, event.envelope.type);
      bump(summary.counts.byHour, hourLabel(event.envelope.occurredAt));
      return false;
    }
    this.chunk.push(event);
    return true;
  }

  /** Sends the chunk (a key that failed earlier in this run gets nothing later: per-key order is never inverted). */
  private async flush(): Promise<void> {
    if (this.chunk.length === 0) return;
    const items = this.chunk;
    this.chunk = [];
    const sendable = items.filter((it) => {
      if (!this.failedKeys.has(it.envelope.partitionKey)) return true;
      this.fail(it, 'blocked-by-earlier-failure: an earlier record with this partition key failed in this run');
      return false;
    });
    if (sendable.length > 0) {
      await this.o.limiter?.take(sendable.length);
      const results = await this.send!(sendable);
      results.forEach((r, i) => {
        if (r.ok) this.summary.sent++;
        else this.fail(sendable[i]!, r.message ?? 'failed');
      });
    }
    const last = items[items.length - 1]!;
    this.cursor = { key: last.key, line: last.line };
    this.syncTotals();
    this.checkpoint();
    this.o.progress?.update({ sent: this.summary.sent, failed: this.summary.failed });
  }

  private fail(it: ArchivedEvent, reason: string): void {
    const failure: FailedRecord = { key: it.key, line: it.line, id: it.envelope.id, partitionKey: it.envelope.partitionKey, reason };
    this.summary.failed++;
    if (this.summary.failures.length < 100) this.summary.failures.push(failure);
    this.failedKeys.add(it.envelope.partitionKey);
    appendFailure(this.files.failuresFile, { ...failure, envelope: it.envelope });
  }

  private syncTotals(): void {
    const cp = this.files.checkpoint;
    if (!cp) return;
    const t = this.totalsAtStart;
    const s = this.summary;
    cp.totals = {
      read: t.read + s.read,
      sent: t.sent + s.sent,
      skipped: t.skipped + s.skipped,
      failed: t.failed + s.failed,
      filteredOut: t.filteredOut + s.filteredOut,
    };
  }

  private checkpoint(): void {
    const { checkpoint: cp, checkpointFile } = this.files;
    if (!cp || !checkpointFile || !this.cursor) return;
    cp.position = this.cursor;
    saveCheckpoint(checkpointFile, cp);
  }
}

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

function finish(summary: ReplaySummary, started: number): ReplaySummary {
  summary.elapsedMs = Math.round(performance.now() - started);
  summary.recordsPerSecond = summary.elapsedMs > 0 ? Math.round((summary.sent * 1000) / summary.elapsedMs) : 0;
  return summary;
}
