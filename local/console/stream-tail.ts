// The console's own reader of each stream: it follows every shard from the trim horizon and keeps, per shard,
// the sequence number and arrival time of every record. With a mapping's checkpoint this gives what the
// console shows per consumer and shard: the position, the records behind the tip and how old the oldest
// unprocessed one is (Lambda's IteratorAge), whether the consumer is running, paused or stuck.
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { LocalStream } from '../types';

export interface ShardTail {
  shardId: string;
  /** sequence numbers read so far, ascending */
  readonly seqs: bigint[];
  /** arrival time (ms) of each record, same index */
  readonly arrivals: number[];
}

export interface ShardLag {
  /** records after `position` (all records when there is no position yet) */
  behindRecords: number;
  /** now − arrival of the first record after `position`; 0 when none */
  millisBehind: number;
}

/** Index of the first sequence number greater than `seq` (binary search). */
function firstAfter(seqs: readonly bigint[], seq: bigint): number {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqs[mid]! <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function lagOf(tail: ShardTail, position: string | undefined, now = Date.now(), notBeforeMs = 0): ShardLag {
  let i: number;
  if (position !== undefined) i = firstAfter(tail.seqs, BigInt(position));
  else {
    // no checkpoint yet: everything from the mapping's starting point is ahead of it
    i = 0;
    while (i < tail.arrivals.length && tail.arrivals[i]! < notBeforeMs) i++;
  }
  const behindRecords = tail.seqs.length - i;
  return { behindRecords, millisBehind: behindRecords > 0 ? Math.max(0, now - tail.arrivals[i]!) : 0 };
}

export class StreamTail {
  readonly shards = new Map<string, ShardTail>();
  private readonly abort = new AbortController();
  private readonly tasks: Promise<void>[] = [];

  constructor(
    readonly stream: LocalStream,
    private readonly client: KinesisClient,
    private readonly onError: (err: unknown) => void = () => undefined,
    private readonly intervalMs = 250,
  ) {}

  async start(): Promise<void> {
    const out = await this.client.send(new ListShardsCommand({ StreamName: this.stream.name }));
    for (const s of out.Shards ?? []) {
      const tail: ShardTail = { shardId: s.ShardId!, seqs: [], arrivals: [] };
      this.shards.set(tail.shardId, tail);
      this.tasks.push(this.follow(tail));
    }
  }

  /** the last sequence number of a shard (its tip), if any record was read */
  tip(shardId: string): string | undefined {
    const t = this.shards.get(shardId);
    const last = t?.seqs[t.seqs.length - 1];
    return last === undefined ? undefined : last.toString();
  }

  private async follow(tail: ShardTail): Promise<void> {
    const signal = this.abort.signal;
    let iterator: string | undefined;
    while (!signal.aborted) {
      try {
        if (!iterator) {
          const last = tail.seqs[tail.seqs.length - 1];
          const it = await this.client.send(
            new GetShardIteratorCommand({
              StreamName: this.stream.name,
              ShardId: tail.shardId,
              ...(last === undefined
                ? { ShardIteratorType: 'TRIM_HORIZON' }
                : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: last.toString() }),
            }),
            { abortSignal: signal },
          );
          iterator = it.ShardIterator;
          if (!iterator) return; // closed shard
        }
        const out = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }), { abortSignal: signal });
        iterator = out.NextShardIterator;
        for (const r of out.Records ?? []) {
          tail.seqs.push(BigInt(r.SequenceNumber!));
          tail.arrivals.push(r.ApproximateArrivalTimestamp?.getTime() ?? Date.now());
        }
        if ((out.Records ?? []).length === 0) await sleep(this.intervalMs, signal);
      } catch (err) {
        if (signal.aborted) return;
        this.onError(err);
        iterator = undefined;
        await sleep(1000, signal);
      }
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.tasks);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
