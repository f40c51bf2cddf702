import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { Clock, InvocationReport, LocalEndpoints, LocalKinesisMapping } from '../types';
import { compileKinesisFilter } from './event-filter';
import type { FunctionHost } from './function-host';
import { ShardReader, Wakeup } from './kinesis-shard-reader';
import { eventSourceMappingUuid, type OnFailureClients } from './on-failure';

// Lambda's Kinesis event source mapping (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html and
// kinesis-on-failure-destination.html, services-kinesis-batchfailurereporting.html):
// - per shard, in order; one batch in flight per shard, or per (shard, partition-key hash lane) with
//   ParallelizationFactor > 1, so order holds per partition key;
// - the checkpoint moves only past records that succeeded, were filtered out, or were sent to the on-failure
//   destination (or discarded) once retries or the record age are exhausted;
// - ReportBatchItemFailures: retry from the lowest reported sequence number; unknown id = whole batch failed;
// - BisectBatchOnFunctionError: a failed batch is split in two and each half retried, without consuming
//   retry attempts; with partial responses the batch is split at the returned sequence number.
// This file is the mapping (its options, counters, pause/resume, one reader per shard); a shard's reading,
// positions and batching window are kinesis-shard-reader.ts, and one batch's invocations, retries, bisection
// and on-failure handling are kinesis-batch.ts.

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
    return {
      ...this.counters,
      behindRecords,
      millisBehind: oldest === Infinity ? 0 : Math.max(0, Date.now() - oldest),
      paused: this.paused,
    };
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
      const out = await client.send(
        token ? new ListShardsCommand({ NextToken: token }) : new ListShardsCommand({ StreamName: mapping.stream.name }),
      );
      shards.push(...(out.Shards ?? []));
      token = out.NextToken;
    } while (token);
    return shards;
  }
}
