// One shard of a Kinesis mapping (kinesis-poller.ts): its iterator and checkpoint, the buffer of fetched
// records, the partition-key lanes of ParallelizationFactor and each lane's batching window. A batch, once
// gathered, is run to its end by kinesis-batch.ts.
import { createHash } from 'node:crypto';
import { GetRecordsCommand, GetShardIteratorCommand, type _Record as KRecord, type ShardIteratorType } from '@aws-sdk/client-kinesis';
import { KinesisBatch } from './kinesis-batch';
import type { KinesisPoller } from './kinesis-poller';

export interface Entry {
  record: KRecord;
  seq: bigint;
  arrivalMs: number;
  done: boolean;
}

/** Wakes whoever waits on it (a lane, the fetch loop, a paused mapping) before their timeout. */
export class Wakeup {
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

class Lane {
  readonly queue: Entry[] = [];
  readonly wake = new Wakeup();
}

export class ShardReader {
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
  private readonly batches: KinesisBatch;

  constructor(
    private readonly p: KinesisPoller,
    readonly shardId: string,
  ) {
    this.batches = new KinesisBatch(p, shardId, (entries) => this.markDone(entries));
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
    const input: {
      StreamName: string;
      ShardId: string;
      ShardIteratorType: ShardIteratorType;
      StartingSequenceNumber?: string;
      Timestamp?: Date;
    } = {
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
        const out = await client.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(10_000, Math.max(100, mapping.batchSize, room)) }),
          {
            abortSignal: signal,
          },
        );
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
        await this.batches.run(batch);
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
}

/** partition key → lane, by the key's MD5 like Kinesis's own hashing */
function laneOf(partitionKey: string, lanes: number): number {
  const h = createHash('md5').update(partitionKey, 'utf8').digest();
  return Number(h.readBigUInt64BE(0) % BigInt(lanes));
}
