/**
 * The reading half of a rewind (rewind.ts): every shard read from its start position to `to`, a child shard only
 * after its parents, each shard's records sent to the consumer in stream order one batch at a time, a failed
 * record's partition key blocked for the rest of the rewind, and the per-shard checkpoint saved as records resolve.
 */
import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  ListShardsCommand,
  type _Record as StreamRecord,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { parseEvent } from '../../lambdas/shared/envelope';
import { appendFailure, saveCheckpoint } from './checkpoint';
import { deliverToConsumer, kinesisRecordOf } from './consumer-delivery';
import type { ConsumerTarget } from './consumer-invoker';
import { awsError, streamEventSource } from './resolve-stage';
import type { RewindCheckpoint, RewindFailure, RewindIterator, RewindOptions, RewindSummary, ShardState } from './rewind';

/** What a rewind reads with, fixed before the first shard is opened. */
export interface RewindPlan {
  readonly streamName: string;
  readonly iteratorType: RewindIterator;
  /** exclusive: records that arrived at or after it are the live mapping's */
  readonly to: Date;
  readonly target: ConsumerTarget;
  /** whether a record (its bytes, its event type if it is an event) is one the consumer's mapping would deliver */
  readonly forConsumer: (data: Uint8Array, type: string | undefined) => boolean;
  readonly checkpoint?: RewindCheckpoint;
  readonly checkpointFile?: string;
  readonly failuresFile?: string;
}

/** One shard's reading state within a run. */
interface ShardRead {
  readonly shardId: string;
  readonly state: ShardState;
  readonly stats: RewindSummary['byShard'][string];
  readonly blocked: Set<string>;
  readonly pending: { record: StreamRecord; id?: string }[];
}

const MAX_EVENT_BYTES = 10 * 1024 * 1024;

export class RewindRun {
  /** one shard's error stops the others between batches */
  private readonly stop = new AbortController();
  private shardsDone = 0;
  private readonly dryRun: boolean;
  private readonly shape: { eventSourceArn: string; region: string };
  private readonly markerTarget: string;

  constructor(
    private readonly o: RewindOptions,
    private readonly plan: RewindPlan,
    private readonly summary: RewindSummary,
  ) {
    this.dryRun = o.dryRun ?? false;
    this.shape = streamEventSource(o.env, plan.streamName);
    this.markerTarget = `consumer:${o.consumer}`;
  }

  /** Reads every shard, a child shard (after a split or merge) once its parents are read: a key's records stay in order. */
  async readAll(shards: readonly Shard[]): Promise<void> {
    const byId = new Map(shards.map((s) => [s.ShardId!, s]));
    const tasks = new Map<string, Promise<void>>();
    const run = (shard: Shard): Promise<void> => {
      const existing = tasks.get(shard.ShardId!);
      if (existing) return existing;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => id !== undefined && byId.has(id));
      const task = Promise.all(parents.map((id) => run(byId.get(id)!))).then(() => this.readShard(shard));
      task.catch(() => this.stop.abort());
      tasks.set(shard.ShardId!, task);
      return task;
    };
    const results = await Promise.allSettled(shards.map(run));
    this.o.progress?.stop();
    const error = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (error) throw error.reason;
  }

  save(): void {
    if (this.plan.checkpoint && this.plan.checkpointFile) saveCheckpoint(this.plan.checkpointFile, this.plan.checkpoint);
  }

  private stopped(): boolean {
    return this.stop.signal.aborted || (this.o.signal?.aborted ?? false);
  }

  private matchedSoFar(): number {
    return Object.values(this.summary.byType).reduce((a, b) => a + b, 0);
  }

  private async readShard(shard: Shard): Promise<void> {
    const { o, plan, summary } = this;
    const shardId = shard.ShardId!;
    const cp = plan.checkpoint;
    const state: ShardState = cp?.shards[shardId] ?? { done: false, blocked: [] };
    if (cp) cp.shards[shardId] = state;
    const stats = { read: 0, delivered: 0, failed: 0, toDeliver: 0 };
    summary.byShard[shardId] = stats;
    if (state.done) return;
    const s: ShardRead = { shardId, state, stats, blocked: new Set(state.blocked), pending: [] };
    let lastRead = state.after;

    const open = (): Promise<string | undefined> =>
      shardIterator(
        o.kinesis,
        lastRead
          ? { StreamName: plan.streamName, ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: lastRead }
          : {
              StreamName: plan.streamName,
              ShardId: shardId,
              ...(plan.iteratorType === 'AT_TIMESTAMP'
                ? { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: o.from }
                : { ShardIteratorType: 'TRIM_HORIZON' }),
            },
      );
    let iterator = await open();
    let finished = iterator === undefined;
    while (!finished) {
      if (this.stopped()) break;
      let page: GetRecordsCommandOutput;
      try {
        page = await o.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: o.readLimit ?? 10_000 }));
      } catch (error) {
        // a slow consumer can outlast an iterator (5 minutes): open a new one after the last record read
        if ((error as { name?: string }).name === 'ExpiredIteratorException') {
          iterator = await open();
          continue;
        }
        throw awsError(error, `reading shard ${shardId} of ${plan.streamName}`);
      }
      const records = page.Records ?? [];
      for (const r of records) {
        const arrival = r.ApproximateArrivalTimestamp ?? new Date(0);
        if (arrival.getTime() >= plan.to.getTime()) {
          finished = true; // later records are the live mapping's
          break;
        }
        lastRead = r.SequenceNumber;
        if (arrival.getTime() < o.from.getTime()) {
          summary.passedOver++;
          continue;
        }
        if (!this.take(s, r)) continue;
        if (s.pending.length >= plan.target.batchSize) {
          if (this.stopped()) break;
          await this.flush(s);
        }
      }
      if (this.dryRun) o.progress?.update({ matched: this.matchedSoFar() });
      if (this.stopped()) break;
      if (!finished) {
        if (!page.NextShardIterator)
          finished = true; // a closed shard, read to its end
        else if (records.length === 0 && (page.MillisBehindLatest ?? 0) === 0)
          finished = true; // caught up with the shard's tip
        else {
          iterator = page.NextShardIterator;
          if (records.length === 0) await new Promise((resolve) => setTimeout(resolve, o.pollIntervalMs ?? 200));
        }
      }
      if (s.pending.length === 0 && lastRead !== undefined && lastRead !== state.after) {
        state.after = lastRead; // every record read so far is resolved (delivered, failed or not for this consumer)
        this.save();
      }
    }
    if (this.stopped()) {
      summary.interrupted = summary.interrupted || (o.signal?.aborted ?? false);
      return; // pending records were not sent: the checkpoint is still before them
    }
    await this.flush(s);
    state.done = true;
    if (lastRead !== undefined && s.pending.length === 0) state.after = lastRead;
    this.save();
    o.progress?.object(
      ++this.shardsDone,
      this.dryRun ? { matched: this.matchedSoFar() } : { sent: summary.delivered, failed: summary.failed },
    );
  }

  /** Counts a record read in [from, to); true when it is queued for the consumer (not skipped, not a dry run). */
  private take(s: ShardRead, r: StreamRecord): boolean {
    const { summary } = this;
    summary.read++;
    s.stats.read++;
    const data = r.Data ?? new Uint8Array();
    const event = parseEvent(data, { maxBytes: MAX_EVENT_BYTES });
    if (!this.plan.forConsumer(data, event.ok ? event.envelope.type : undefined)) {
      summary.skipped++;
      return false;
    }
    s.stats.toDeliver++;
    const type = event.ok ? event.envelope.type : `(not an event: ${event.reason})`;
    summary.byType[type] = (summary.byType[type] ?? 0) + 1;
    if (this.dryRun) return false;
    s.pending.push({ record: r, ...(event.ok ? { id: event.envelope.id } : event.envelopeId ? { id: event.envelopeId } : {}) });
    return true;
  }

  /** Sends the shard's pending records as one batch (blocked keys fail unsent) and checkpoints past them. */
  private async flush(s: ShardRead): Promise<void> {
    const { o, plan, summary } = this;
    if (s.pending.length === 0) return;
    const batch = s.pending.splice(0);
    const sendable = batch.filter((p) => {
      if (!s.blocked.has(p.record.PartitionKey!)) return true;
      this.fail(s, p.record, p.id, 'blocked-by-earlier-failure: an earlier record with this partition key failed in this rewind');
      return false;
    });
    if (sendable.length > 0) {
      const replayedAt = new Date().toISOString();
      const marker = { replayId: summary.rewindId, replayedAt, target: this.markerTarget };
      const records = sendable.map(({ record }) =>
        kinesisRecordOf(
          marked(record.Data!, marker),
          record.PartitionKey!,
          record.SequenceNumber!,
          { ...this.shape, shardId: s.shardId },
          record.ApproximateArrivalTimestamp ?? new Date(),
        ),
      );
      const outcomes = await deliverToConsumer(records, {
        invoker: o.invoker,
        target: plan.target,
        ...(o.maxRetries === undefined ? {} : { maxRetries: o.maxRetries }),
        ...(o.consumerSleep ? { sleep: o.consumerSleep } : {}),
      });
      outcomes.forEach((outcome, i) => {
        if (outcome.ok) {
          summary.delivered++;
          s.stats.delivered++;
        } else this.fail(s, sendable[i]!.record, sendable[i]!.id, outcome.message ?? 'undeliverable');
      });
    }
    s.state.after = batch[batch.length - 1]!.record.SequenceNumber;
    s.state.blocked = [...s.blocked];
    this.save();
    o.progress?.update({ sent: summary.delivered, failed: summary.failed });
  }

  private fail(s: ShardRead, r: StreamRecord, id: string | undefined, reason: string): void {
    const failure: RewindFailure = {
      shardId: s.shardId,
      sequenceNumber: r.SequenceNumber!,
      partitionKey: r.PartitionKey!,
      ...(id ? { id } : {}),
      reason,
    };
    this.summary.failed++;
    s.stats.failed++;
    if (this.summary.failures.length < 100) this.summary.failures.push(failure);
    s.blocked.add(r.PartitionKey!);
    appendFailure(this.plan.failuresFile, {
      ...failure,
      arrivedAt: r.ApproximateArrivalTimestamp?.toISOString(),
      data: Buffer.from(r.Data ?? []).toString('base64'),
    });
  }
}

/** The record's bytes, with the replay marker when they are an event envelope (anything else goes as it came). */
function marked(data: Uint8Array, replay: { replayId: string; replayedAt: string; target: string }): Uint8Array {
  if (!parseEvent(data, { maxBytes: MAX_EVENT_BYTES }).ok) return data;
  const envelope = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...envelope, replay }), 'utf8');
}

export async function listShards(kinesis: Pick<KinesisClient, 'send'>, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }));
      shards.push(...(out.Shards ?? []));
      token = out.NextToken;
    } while (token);
  } catch (error) {
    throw awsError(error, `listing the shards of ${streamName}`);
  }
  return shards;
}

async function shardIterator(kinesis: Pick<KinesisClient, 'send'>, input: GetShardIteratorCommandInput): Promise<string | undefined> {
  try {
    return (await kinesis.send(new GetShardIteratorCommand(input))).ShardIterator;
  } catch (error) {
    throw awsError(error, `opening shard ${input.ShardId} (${input.ShardIteratorType})`);
  }
}
