import { createHash } from 'node:crypto';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type _Record as KRecord,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import type { Clock, InvocationReport, LocalEndpoints, LocalKinesisMapping } from '../types';
import { parseBatchResponse, recordId } from './batch-response';
import { compileKinesisFilter } from './event-filter';
import type { FunctionHost, InvokeResult } from './function-host';
import { eventSourceMappingUuid, sendToOnFailure, type DiscardCondition, type OnFailureClients } from './on-failure';

// Lambda's Kinesis event source mapping (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html and
// kinesis-on-failure-destination.html, services-kinesis-batchfailurereporting.html):
// - per shard, in order; one batch in flight per shard, or per (shard, partition-key hash lane) with
//   ParallelizationFactor > 1, so order holds per partition key;
// - the checkpoint moves only past records that succeeded, were filtered out, or were sent to the on-failure
//   destination (or discarded) once retries or the record age are exhausted;
// - ReportBatchItemFailures: retry from the lowest reported sequence number; unknown id = whole batch failed;
// - BisectBatchOnFunctionError: a failed batch is split in two and each half retried, without consuming
//   retry attempts; with partial responses the batch is split at the returned sequence number.

export interface KinesisPollerOptions {
  mapping: LocalKinesisMapping;
  host: FunctionHost;
  client: KinesisClient;
  clock: Clock;
  endpoints: LocalEndpoints;
  destinations: OnFailureClients;
  onReport?: (report: InvocationReport) => void;
  onError?: (err: unknown) => void;
  /** real ms between GetRecords calls on an idle shard (Lambda polls once a second) */
  pollIntervalMs?: number;
  /** fetched-but-unprocessed records held per shard before the reader only counts (lag) */
  maxBufferedRecords?: number;
  /** template seconds before retry n (n ≥ 1); scaled by the clock */
  retryBackoffSeconds?: (retry: number) => number;
  /** per shard: resume after this checkpoint (an earlier run's `checkpoints()`, --persist) instead of the starting position */
  initialCheckpoints?: Readonly<Record<string, string>>;
}

export interface KinesisMappingStats {
  recordsOk: number;
  recordsFailed: number;
  filteredOut: number;
  onFailureRecords: number;
  discardedRecords: number;
  behindRecords: number;
  millisBehind: number;
  paused: boolean;
}

interface Entry {
  record: KRecord;
  seq: bigint;
  arrivalMs: number;
  done: boolean;
}

/** Lambda does not document its stream retry backoff: exponential from 1 s, capped at 30 s (template time). */
const defaultBackoff = (retry: number): number => Math.min(30, 2 ** (retry - 1));

class Wakeup {
  private waiters: Array<() => void> = [];
  notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
    });
  }
}

export class KinesisPoller {
  private readonly abort = new AbortController();
  private readonly tasks: Promise<void>[] = [];
  private readonly shards: ShardReader[] = [];
  private paused = false;
  readonly resumed = new Wakeup();
  /** The mapping's filter on the record data; undefined: no filter, every record is delivered. */
  readonly matches: ((data: Uint8Array) => boolean) | undefined;
  readonly esmUuid: string;
  readonly counters = { recordsOk: 0, recordsFailed: 0, filteredOut: 0, onFailureRecords: 0, discardedRecords: 0 };

  constructor(readonly o: KinesisPollerOptions) {
    this.matches = compileKinesisFilter(o.mapping.filterCriteria);
    this.esmUuid = eventSourceMappingUuid(o.mapping.logicalId);
  }

  get mappingId(): string {
    return this.o.mapping.logicalId;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Lists the shards and starts one reader per shard. */
  async start(): Promise<void> {
    const shards = await this.listShards();
    for (const shard of shards) {
      const reader = new ShardReader(this, shard.ShardId!);
      this.shards.push(reader);
      this.tasks.push(reader.run());
    }
  }

  /** execution environments this mapping can keep busy at once */
  concurrency(shardCount = this.o.mapping.stream.shardCount): number {
    return Math.max(1, shardCount) * Math.max(1, this.o.mapping.parallelizationFactor);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.resumed.notify();
  }

  async waitWhilePaused(): Promise<void> {
    while (this.paused && !this.abort.signal.aborted) await this.resumed.wait(60_000, this.abort.signal);
  }

  stats(): KinesisMappingStats {
    let behindRecords = 0;
    let oldest = Infinity;
    for (const s of this.shards) {
      const lag = s.lag();
      behindRecords += lag.records;
      oldest = Math.min(oldest, lag.oldestArrivalMs);
    }
    return { ...this.counters, behindRecords, millisBehind: oldest === Infinity ? 0 : Math.max(0, Date.now() - oldest), paused: this.paused };
  }

  /** the last checkpointed sequence number per shard (undefined: nothing processed yet) */
  checkpoints(): Record<string, string | undefined> {
    return Object.fromEntries(this.shards.map((s) => [s.shardId, s.checkpoint?.toString()]));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.resumed.notify();
    for (const s of this.shards) s.wakeAll();
    await Promise.all(this.tasks);
  }

  private async listShards(): Promise<Shard[]> {
    const { client, mapping } = this.o;
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const out = await client.send(token ? new ListShardsCommand({ NextToken: token }) : new ListShardsCommand({ StreamName: mapping.stream.name }));
      shards.push(...(out.Shards ?? []));
      token = out.NextToken;
    } while (token);
    return shards;
  }
}

class Lane {
  readonly queue: Entry[] = [];
  readonly wake = new Wakeup();
}

class ShardReader {
  /** fetched records in shard order; entries before `head` are checkpointed and only await trimming */
  private readonly buffer: Entry[] = [];
  private head = 0;
  /** entries of the buffer not done yet (kept, not counted per record: accept() runs once per record) */
  private pending = 0;
  private readonly lanes: Lane[];
  checkpoint?: bigint;
  private lastStored?: string;
  private overflowCount = 0;
  private overflowOldestMs = Infinity;
  private overflowing = false;
  private readonly fetchWake = new Wakeup();

  constructor(
    private readonly p: KinesisPoller,
    readonly shardId: string,
  ) {
    this.lanes = Array.from({ length: Math.max(1, p.o.mapping.parallelizationFactor) }, () => new Lane());
    const resumeAfter = p.o.initialCheckpoints?.[shardId];
    if (resumeAfter !== undefined) {
      this.lastStored = resumeAfter;
      this.checkpoint = BigInt(resumeAfter);
    }
  }

  lag(): { records: number; oldestArrivalMs: number } {
    let records = this.overflowCount;
    let oldest = this.overflowOldestMs;
    for (let i = this.head; i < this.buffer.length; i++) {
      const e = this.buffer[i]!;
      if (e.done) continue;
      records++;
      oldest = Math.min(oldest, e.arrivalMs);
    }
    return { records, oldestArrivalMs: oldest };
  }

  wakeAll(): void {
    this.fetchWake.notify();
    for (const l of this.lanes) l.wake.notify();
  }

  run(): Promise<void> {
    return Promise.all([this.fetchLoop(), ...this.lanes.map((l) => this.laneLoop(l))]).then(() => undefined);
  }

  private get maxBuffered(): number {
    return this.p.o.maxBufferedRecords ?? Math.max(1000, this.p.o.mapping.batchSize * 4);
  }

  private async iterator(after?: string): Promise<string | undefined> {
    const { client, mapping } = this.p.o;
    let type: ShardIteratorType = mapping.startingPosition;
    const input: { StreamName: string; ShardId: string; ShardIteratorType: ShardIteratorType; StartingSequenceNumber?: string; Timestamp?: Date } = {
      StreamName: mapping.stream.name,
      ShardId: this.shardId,
      ShardIteratorType: type,
    };
    if (after !== undefined) {
      type = 'AFTER_SEQUENCE_NUMBER';
      input.ShardIteratorType = type;
      input.StartingSequenceNumber = after;
    } else if (type === 'AT_TIMESTAMP') {
      input.Timestamp = new Date((mapping.startingPositionTimestamp ?? Date.now() / 1000) * 1000);
    }
    const out = await client.send(new GetShardIteratorCommand(input), { abortSignal: this.p.signal });
    return out.ShardIterator;
  }

  private async fetchLoop(): Promise<void> {
    const { client, clock, mapping } = this.p.o;
    const signal = this.p.signal;
    const idleMs = this.p.o.pollIntervalMs ?? 200;
    let iterator: string | undefined;
    let needIterator = true;
    while (!signal.aborted) {
      try {
        if (needIterator) {
          // resume right after what this reader already holds, else at the starting position; records only
          // counted while the buffer was full are read (and counted) again
          this.overflowCount = 0;
          this.overflowOldestMs = Infinity;
          iterator = await this.iterator(this.lastStored);
          needIterator = false;
        }
        if (!iterator) return; // shard closed
        // read what the buffer has room for (Lambda reads up to 10,000 per call): fewer, larger reads cost the
        // emulator less per record than one read per batch
        const room = this.maxBuffered - this.pending;
        const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(10_000, Math.max(100, mapping.batchSize, room)) }), {
          abortSignal: signal,
        });
        iterator = out.NextShardIterator;
        const records = out.Records ?? [];
        for (const r of records) this.accept(r);
        if (this.overflowing && this.undone() < this.maxBuffered / 2) {
          // drained enough: re-read what was only counted
          this.overflowing = false;
          this.overflowCount = 0;
          this.overflowOldestMs = Infinity;
          needIterator = true;
          continue;
        }
        if (records.length === 0) await this.fetchWake.wait(idleMs, signal);
      } catch (err) {
        if (signal.aborted) return;
        this.p.o.onError?.(err);
        needIterator = true;
        await clock.sleep(500, signal);
      }
    }
  }

  private undone(): number {
    return this.pending;
  }

  private markDone(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.done) continue;
      e.done = true;
      this.pending--;
    }
  }

  private accept(r: KRecord): void {
    const arrivalMs = r.ApproximateArrivalTimestamp ? r.ApproximateArrivalTimestamp.getTime() : Date.now();
    if (this.overflowing || this.undone() >= this.maxBuffered) {
      this.overflowing = true;
      this.overflowCount++;
      this.overflowOldestMs = Math.min(this.overflowOldestMs, arrivalMs);
      return;
    }
    const entry: Entry = { record: r, seq: BigInt(r.SequenceNumber!), arrivalMs, done: false };
    this.buffer.push(entry);
    this.pending++;
    this.lastStored = r.SequenceNumber!;
    // records that do not match the filter criteria are skipped and checkpointed
    if (this.p.matches !== undefined && !this.p.matches(r.Data ?? new Uint8Array())) {
      this.markDone([entry]);
      this.p.counters.filteredOut++;
      this.compact();
      return;
    }
    const lane = this.lanes.length === 1 ? this.lanes[0]! : this.lanes[laneOf(r.PartitionKey ?? '', this.lanes.length)]!;
    lane.queue.push(entry);
    lane.wake.notify();
  }

  private compact(): void {
    while (this.head < this.buffer.length && this.buffer[this.head]!.done) this.checkpoint = this.buffer[this.head++]!.seq;
    // trim in bulk: shift() per record is O(buffer) each
    if (this.head > 0 && (this.head === this.buffer.length || this.head >= 1024)) {
      this.buffer.splice(0, this.head);
      this.head = 0;
    }
  }

  private async laneLoop(lane: Lane): Promise<void> {
    const { mapping, clock } = this.p.o;
    const signal = this.p.signal;
    while (!signal.aborted) {
      await this.p.waitWhilePaused();
      if (signal.aborted) return;
      if (lane.queue.length === 0) {
        await lane.wake.wait(60_000, signal);
        continue;
      }
      // batching window: gather up to BatchSize or until the (scaled) window ends
      const deadline = Date.now() + clock.scaledMs(mapping.maximumBatchingWindowSeconds);
      while (lane.queue.length < mapping.batchSize && Date.now() < deadline && !signal.aborted) {
        await lane.wake.wait(deadline - Date.now(), signal);
      }
      if (signal.aborted) return;
      const batch = lane.queue.splice(0, mapping.batchSize);
      try {
        await this.processBatch(batch);
      } catch (err) {
        if (signal.aborted) return;
        // infrastructure trouble (destination unreachable): hold position and retry the same records
        this.p.o.onError?.(err);
        lane.queue.unshift(...batch.filter((e) => !e.done));
        await clock.sleep(1000, signal);
      }
      this.compact();
      this.fetchWake.notify();
    }
  }

  toLambda(e: Entry): KinesisStreamRecord {
    const { mapping, endpoints } = this.p.o;
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: e.record.PartitionKey ?? '',
        sequenceNumber: e.record.SequenceNumber!,
        data: Buffer.from(e.record.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: e.arrivalMs / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${this.shardId}:${e.record.SequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${endpoints.accountId}:role/${this.p.o.host.fn.name}-role`,
      awsRegion: endpoints.region,
      eventSourceARN: mapping.stream.arn,
    };
  }

  private ids(entries: Entry[]): string[] {
    return entries.map((e) => recordId(Buffer.from(e.record.Data ?? new Uint8Array()).toString('utf8'), e.record.SequenceNumber!));
  }

  /** Runs one batch to its end: every entry is done afterwards (succeeded, sent on, or discarded). */
  private async processBatch(batch: Entry[]): Promise<void> {
    const { mapping, clock } = this.p.o;
    const signal = this.p.signal;
    const maxRetries = mapping.maximumRetryAttempts;
    // -1 (Lambda's default, and the template's): a record never expires here, however late it is read. A finite
    // age applies at every read, the first one included, as on AWS: a backlog older than it goes straight to the
    // on-failure destination.
    const maxAgeMs = mapping.maximumRecordAgeInSeconds < 0 ? Infinity : clock.scaledMs(mapping.maximumRecordAgeInSeconds);
    // work items run in order: bisected halves go to the front, first half first
    const work: Array<{ entries: Entry[]; retries: number; invokes: number; lastRequestId?: string; lastError?: string }> = [
      { entries: batch, retries: 0, invokes: 0 },
    ];
    while (work.length > 0) {
      if (signal.aborted) return;
      const item = work[0]!;
      // records older than MaximumRecordAgeInSeconds (scaled) are discarded before any further attempt
      const now = Date.now();
      const expired = item.entries.filter((e) => now - e.arrivalMs > maxAgeMs);
      if (expired.length > 0) {
        await this.discard(expired, 'RecordAgeExceeded', item.invokes, item.lastRequestId, item.lastError);
        item.entries = item.entries.filter((e) => !expired.includes(e));
      }
      if (item.entries.length === 0) {
        work.shift();
        continue;
      }
      if (item.invokes > 0) {
        await clock.sleep(clock.scaledMs((this.p.o.retryBackoffSeconds ?? defaultBackoff)(item.retries)), signal);
        await this.p.waitWhilePaused();
        if (signal.aborted) return;
      }
      const outcome = await this.invoke(item.entries);
      if (!outcome) return; // stopping
      item.invokes++;
      item.lastRequestId = outcome.requestId;
      if (outcome.kind === 'ok') {
        this.succeed(item.entries);
        work.shift();
        continue;
      }
      if (outcome.kind === 'partial') {
        // everything before the lowest reported sequence number is checkpointed; retry from there
        const lowest = item.entries.findIndex((e) => outcome.failedSeqs.has(e.record.SequenceNumber!));
        this.succeed(item.entries.slice(0, lowest));
        item.entries = item.entries.slice(lowest);
        // the function returned (a partial batch response): no function error (null in the on-failure record)
        item.lastError = undefined;
      } else {
        // threw, timed out or crashed: "Unhandled"; returned an invalid batch response: no function error
        item.lastError = outcome.returned ? undefined : 'Unhandled';
        if (mapping.bisectBatchOnFunctionError && item.entries.length > 1) {
          // splitting does not consume the retry quota: halves inherit the count
          const mid = Math.ceil(item.entries.length / 2);
          work.splice(0, 1, { ...item, entries: item.entries.slice(0, mid) }, { ...item, entries: item.entries.slice(mid) });
          continue;
        }
      }
      item.retries++;
      if (maxRetries >= 0 && item.retries > maxRetries) {
        await this.discard(item.entries, 'RetryAttemptsExhausted', item.invokes, item.lastRequestId, item.lastError);
        work.shift();
      }
    }
  }

  private succeed(entries: Entry[]): void {
    this.markDone(entries);
    this.p.counters.recordsOk += entries.length;
  }

  private async discard(entries: Entry[], condition: DiscardCondition, invokeCount: number, lastRequestId?: string, functionError?: string): Promise<void> {
    const { mapping, host, destinations } = this.p.o;
    const where = await sendToOnFailure(mapping.onFailure, this.p.esmUuid, {
      functionArn: host.fn.arn,
      streamArn: mapping.stream.arn,
      shardId: this.shardId,
      records: entries.map((e) => this.toLambda(e)),
      condition,
      invokeCount,
      ...(lastRequestId ? { lastRequestId } : {}),
      ...(functionError ? { functionError } : {}),
    }, destinations);
    this.markDone(entries);
    if (where) this.p.counters.onFailureRecords += entries.length;
    else this.p.counters.discardedRecords += entries.length;
    host.logSink.write(host.fn.name, 'runtime', `DISCARD ${entries.length} record(s) from ${this.shardId} (${condition}) -> ${where ?? 'dropped (no on-failure destination)'}`);
  }

  private async invoke(entries: Entry[]): Promise<{ kind: 'ok'; requestId: string } | { kind: 'partial'; requestId: string; failedSeqs: Set<string> } | { kind: 'failed'; requestId: string; returned?: true } | undefined> {
    const { mapping, host, onReport } = this.p.o;
    const records = entries.map((e) => this.toLambda(e));
    let result: InvokeResult;
    try {
      result = await host.invoke({ Records: records });
    } catch (err) {
      if (this.p.signal.aborted) return undefined;
      throw err;
    }
    if (this.p.signal.aborted && result.status === 'crash') return undefined; // killed by shutdown
    const ids = this.ids(entries);
    const report = (outcome: InvocationReport['outcome'], failed: Entry[], error?: string): void => {
      const failedSet = new Set(failed);
      onReport?.({
        functionName: host.fn.name,
        mappingLogicalId: mapping.logicalId,
        source: 'kinesis',
        recordIds: ids,
        failedIds: ids.filter((_, i) => failedSet.has(entries[i]!)),
        outcome,
        durationMs: result.durationMs,
        ...(error ? { error } : {}),
      });
    };
    if (result.status !== 'ok') {
      this.p.counters.recordsFailed += entries.length;
      report(result.status, entries, `${result.error.errorType}: ${result.error.errorMessage}`);
      return { kind: 'failed', requestId: result.requestId };
    }
    if (!mapping.reportBatchItemFailures) {
      report('ok', []);
      return { kind: 'ok', requestId: result.requestId };
    }
    const verdict = parseBatchResponse(result.result, new Set(entries.map((e) => e.record.SequenceNumber!)));
    if (verdict.kind === 'success') {
      report('ok', []);
      return { kind: 'ok', requestId: result.requestId };
    }
    if (verdict.kind === 'invalid') {
      this.p.counters.recordsFailed += entries.length;
      report('error', entries, `invalid batch response: ${verdict.reason}`);
      return { kind: 'failed', requestId: result.requestId, returned: true };
    }
    const failedSeqs = new Set(verdict.failedIds);
    const lowest = entries.findIndex((e) => failedSeqs.has(e.record.SequenceNumber!));
    const retried = entries.slice(lowest);
    this.p.counters.recordsFailed += retried.length;
    report('partial', retried);
    return { kind: 'partial', requestId: result.requestId, failedSeqs };
  }
}

/** partition key → lane, by the key's MD5 like Kinesis's own hashing */
export function laneOf(partitionKey: string, lanes: number): number {
  const h = createHash('md5').update(partitionKey, 'utf8').digest();
  return Number(h.readBigUInt64BE(0) % BigInt(lanes));
}
