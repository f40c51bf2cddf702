/**
 * rewind: ONE consumer re-reads the events stream from a point in time inside the stream's retention.
 *
 * Why a tool and not a new starting position on the consumer's mapping: an event source mapping's
 * StartingPosition cannot change, so CloudFormation replaces the mapping, creating the new one first, and
 * Lambda refuses a second mapping of the same function on the same stream (ResourceConflictException,
 * aws/aws-cdk#6942). The tool reads the stream itself and invokes the consumer's function directly with
 * Kinesis-shaped batches, exactly as `replay --target consumer:<name>` does with archived events
 * (consumer-delivery.ts): the consumer's live mapping and every other consumer are left alone.
 *
 * - Every shard is read from `--from` to `--to` (default: when the rewind started; records arriving later are
 *   the live mapping's), shards concurrently, a child shard only after its parents (resharding keeps per-key
 *   order); the records of one shard go to the consumer in stream order, one batch at a time, with the partial
 *   batch response honoured. A record still failing after the retries is written to the failures file and
 *   blocks the later records of its partition key for the rest of the rewind, so per-key order never inverts.
 * - Records reach the consumer with their original bytes, sequence number, shard and arrival time; an event
 *   envelope additionally carries the replay marker, `replay: { replayId, replayedAt, target: 'consumer:<name>' }`,
 *   like a replay to one consumer. Only the records the consumer's mapping would deliver are sent: its filter
 *   (the manifest's, lambdas/consumers.ts) drops the registered types it does not handle, as Lambda would.
 * - A checkpoint (per shard: the last resolved sequence number, and the keys blocked by a failure) lets the same
 *   command resume after an interruption; `--restart` starts over. The duplicate window is one batch per shard.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type _Record as StreamRecord,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { CONSUMERS, filterPatternsFor, isConsumerName } from '../../lambdas/consumers';
import { parseEvent } from '../../lambdas/shared/envelope';
import { compileKinesisFilter } from '../../local/lambda/event-filter';
import { argsHash, runFiles, saveCheckpoint } from './checkpoint';
import { deliverToConsumer, kinesisRecordOf } from './consumer-delivery';
import type { ConsumerInvoker, ConsumerTarget } from './consumer-invoker';
import { messageOf, OpsError } from './errors';
import type { ProgressSink } from './progress';
import { awsError, need, type OpsEnvironment } from './resolve-stage';

/**
 * How each shard is opened, when no checkpoint says where to resume:
 * - `AT_TIMESTAMP` (AWS): the stream starts each shard at `--from`; nothing before it is read.
 * - `TRIM_HORIZON` (the local cloud): each shard is read from its oldest record and the records that arrived
 *   before `--from` are passed over. kinesalite (3.3.3) never answers an AT_TIMESTAMP request for a shard that
 *   holds no record at or after the timestamp (its GetShardIterator waits for one for ever), and nothing short of
 *   reading the shard tells whether one exists. Locally the whole stream is small and in memory, so reading from
 *   the trim horizon costs nothing; on AWS it would read the whole retention (up to 7 days × every shard) through
 *   the shard's shared read limits, which the live consumers need.
 * Either way the one code path below filters on ApproximateArrivalTimestamp ≥ from (a no-op after AT_TIMESTAMP),
 * so the records delivered are the same.
 */
export type RewindIterator = 'AT_TIMESTAMP' | 'TRIM_HORIZON';
export const defaultIterator = (env: OpsEnvironment): RewindIterator => (env.kind === 'local' ? 'TRIM_HORIZON' : 'AT_TIMESTAMP');

export interface RewindOptions {
  readonly env: OpsEnvironment;
  readonly kinesis: Pick<KinesisClient, 'send'>;
  readonly invoker: ConsumerInvoker;
  readonly consumer: string;
  readonly from: Date;
  /** default: the time the rewind started (a resumed rewind keeps its first run's) */
  readonly to?: Date;
  /** only these event types (on top of the consumer's own filter) */
  readonly types?: readonly string[];
  readonly dryRun?: boolean;
  /** default `.local/rewind-<hash of the arguments>.json` under projectDir */
  readonly checkpointFile?: string;
  readonly restart?: boolean;
  readonly projectDir?: string;
  /** records per invocation (default: the mapping's batch size) */
  readonly batchSize?: number;
  readonly maxRetries?: number;
  readonly consumerSleep?: (retry: number) => Promise<void>;
  /** default: defaultIterator(env) */
  readonly iterator?: RewindIterator;
  /** records per GetRecords call (default 10,000, the API's maximum) */
  readonly readLimit?: number;
  /** pause after an empty page while the shard is still behind (default 200 ms) */
  readonly pollIntervalMs?: number;
  readonly now?: () => Date;
  /** stops between batches; the checkpoint keeps what was resolved */
  readonly signal?: AbortSignal;
  readonly progress?: ProgressSink;
}

export interface RewindFailure {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly id?: string;
  readonly reason: string;
}

export interface RewindSummary {
  /** the replay id every delivered envelope carries (`replay.replayId`) */
  readonly rewindId: string;
  readonly consumer: string;
  readonly functionName: string;
  readonly environment: string;
  readonly stream: string;
  readonly dryRun: boolean;
  readonly from: string;
  readonly to: string;
  readonly iterator: RewindIterator;
  shards: number;
  /** records that arrived in [from, to), read in this run */
  read: number;
  delivered: number;
  /** read but not for this consumer: types its mapping's filter drops, or outside --type */
  skipped: number;
  failed: number;
  /** records before --from that the trim-horizon read passed over (0 with AT_TIMESTAMP) */
  passedOver: number;
  /** records the consumer's mapping would deliver, per event type (a dry run's answer) */
  readonly byType: Record<string, number>;
  readonly byShard: Record<string, { read: number; delivered: number; failed: number; toDeliver: number }>;
  readonly failures: RewindFailure[];
  readonly resumed: boolean;
  interrupted: boolean;
  readonly alreadyComplete: boolean;
  readonly checkpointFile?: string;
  readonly failuresFile?: string;
  elapsedMs: number;
}

interface ShardState {
  /** every record up to and including this sequence number is resolved */
  after?: string;
  done: boolean;
  /** partition keys whose record failed: their later records are not delivered */
  blocked: string[];
}

interface RewindCheckpoint {
  readonly version: 1;
  readonly kind: 'rewind';
  readonly argsHash: string;
  readonly rewindId: string;
  readonly startedAt: string;
  /** the resolved --to: a resumed run reads up to the same instant */
  readonly to: string;
  shards: Record<string, ShardState>;
  done: boolean;
  updatedAt: string;
}

export const defaultRewindCheckpointFile = (hash: string, projectDir = process.cwd()): string => path.join(projectDir, '.local', `rewind-${hash}.json`);

/** The Lambda filter the consumer's mapping applies (from the manifest); undefined when it takes every record. */
export function mappingFilterOf(consumer: string): ((data: Uint8Array) => boolean) | undefined {
  if (!isConsumerName(consumer)) return undefined; // not in the manifest (a fork's ad-hoc consumer): no filter known
  const patterns = filterPatternsFor(CONSUMERS[consumer]);
  return compileKinesisFilter(patterns.length === 0 ? undefined : { Filters: patterns.map((p) => ({ Pattern: JSON.stringify(p) })) });
}

export async function runRewind(o: RewindOptions): Promise<RewindSummary> {
  const started = performance.now();
  const dryRun = o.dryRun ?? false;
  const streamName = need(o.env.eventStreamName, 'events stream', o.env);
  const now = (o.now ?? (() => new Date()))();
  if (o.from.getTime() > now.getTime()) {
    throw new OpsError(`--from ${o.from.toISOString()} is in the future (now ${now.toISOString()}): a rewind re-reads records the stream already holds`, 2);
  }
  if (o.to !== undefined && o.to.getTime() <= o.from.getTime()) throw new OpsError(`--to ${o.to.toISOString()} must be after --from ${o.from.toISOString()}`, 2);
  const retentionHours = await streamRetentionHours(o.kinesis, streamName);
  const oldest = new Date(now.getTime() - retentionHours * 3_600_000);
  if (o.from.getTime() < oldest.getTime()) {
    throw new OpsError(
      `--from ${o.from.toISOString()} is older than the stream's retention (${retentionHours} h: nothing before ${oldest.toISOString()} is left); ` +
        `deliver older events from the archive: npm run replay -- --from ${o.from.toISOString()} --to <time> --target consumer:${o.consumer}`,
      2,
    );
  }
  const iteratorType = o.iterator ?? defaultIterator(o.env);

  // Everything that decides WHICH records go WHERE (not batch size, retries, progress or output).
  const hash = argsHash({
    kind: 'rewind',
    environment: o.env.label,
    stream: streamName,
    consumer: o.consumer,
    from: o.from.toISOString(),
    to: o.to?.toISOString() ?? null,
    types: [...(o.types ?? [])].sort(),
  });
  const { checkpointFile, failuresFile } = runFiles(dryRun ? undefined : (o.checkpointFile ?? defaultRewindCheckpointFile(hash, o.projectDir)), o.restart);
  const previous = checkpointFile ? loadRewindCheckpoint(checkpointFile, hash) : undefined;
  const rewindId = previous?.rewindId ?? randomUUID();
  // --to is exclusive and arrival times are milliseconds: by default everything that arrived up to and including
  // the millisecond the rewind started (later records are the live mapping's), and never later than that
  const latest = new Date(now.getTime() + 1);
  const to = previous ? new Date(previous.to) : (o.to !== undefined && o.to.getTime() < latest.getTime() ? o.to : latest);

  // Resolve the consumer before reading anything: a wrong name fails fast, a dry run included.
  const target: ConsumerTarget = await o.invoker.resolve(o.consumer, o.batchSize === undefined ? {} : { batchSize: o.batchSize });
  const summary: RewindSummary = {
    rewindId,
    consumer: o.consumer,
    functionName: target.functionName,
    environment: o.env.label,
    stream: streamName,
    dryRun,
    from: o.from.toISOString(),
    to: to.toISOString(),
    iterator: iteratorType,
    shards: 0,
    read: 0,
    delivered: 0,
    skipped: 0,
    failed: 0,
    passedOver: 0,
    byType: {},
    byShard: {},
    failures: [],
    resumed: previous !== undefined,
    interrupted: false,
    alreadyComplete: previous?.done === true,
    ...(checkpointFile ? { checkpointFile, failuresFile: failuresFile! } : {}),
    elapsedMs: 0,
  };
  if (previous?.done) return finish(summary, started);

  const cp: RewindCheckpoint | undefined = checkpointFile
    ? (previous ?? { version: 1, kind: 'rewind', argsHash: hash, rewindId, startedAt: now.toISOString(), to: to.toISOString(), shards: {}, done: false, updatedAt: '' })
    : undefined;
  const save = (): void => {
    if (cp && checkpointFile) saveCheckpoint(checkpointFile, cp);
  };

  const mappingFilter = mappingFilterOf(o.consumer);
  const types = o.types && o.types.length > 0 ? new Set(o.types) : undefined;
  const forConsumer = (data: Uint8Array, type: string | undefined): boolean =>
    (mappingFilter === undefined || mappingFilter(data)) && (types === undefined || (type !== undefined && types.has(type)));
  const shape = {
    eventSourceArn: o.env.eventStreamArn ?? `arn:aws:kinesis:${o.env.region ?? 'us-east-1'}:000000000000:stream/${streamName}`,
    region: o.env.region ?? 'us-east-1',
  };
  const markerTarget = `consumer:${o.consumer}`;

  const shards = await listShards(o.kinesis, streamName);
  summary.shards = shards.length;
  o.progress?.start(shards.length, dryRun ? `counting for ${o.consumer}` : `rewinding ${o.consumer}`, {
    unit: 'shards',
    words: { matched: 'to deliver', sent: 'delivered' },
  });

  const fail = (shardId: string, r: StreamRecord, id: string | undefined, reason: string, blocked: Set<string>): void => {
    const failure: RewindFailure = { shardId, sequenceNumber: r.SequenceNumber!, partitionKey: r.PartitionKey!, ...(id ? { id } : {}), reason };
    summary.failed++;
    summary.byShard[shardId]!.failed++;
    if (summary.failures.length < 100) summary.failures.push(failure);
    blocked.add(r.PartitionKey!);
    if (failuresFile) {
      fs.mkdirSync(path.dirname(failuresFile), { recursive: true });
      fs.appendFileSync(failuresFile, JSON.stringify({ ...failure, arrivedAt: r.ApproximateArrivalTimestamp?.toISOString(), data: Buffer.from(r.Data ?? []).toString('base64') }) + '\n');
    }
  };

  const stop = new AbortController(); // one shard's error stops the others between batches
  const stopped = (): boolean => stop.signal.aborted || (o.signal?.aborted ?? false);
  let shardsDone = 0;

  const readShard = async (shard: Shard): Promise<void> => {
    const shardId = shard.ShardId!;
    const state: ShardState = cp?.shards[shardId] ?? { done: false, blocked: [] };
    if (cp) cp.shards[shardId] = state;
    const stats = (summary.byShard[shardId] = { read: 0, delivered: 0, failed: 0, toDeliver: 0 });
    if (state.done) return;
    const blocked = new Set(state.blocked);
    const pending: { record: StreamRecord; id?: string }[] = [];
    let lastRead = state.after;

    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const batch = pending.splice(0);
      const sendable = batch.filter((p) => {
        if (!blocked.has(p.record.PartitionKey!)) return true;
        fail(shardId, p.record, p.id, 'blocked-by-earlier-failure: an earlier record with this partition key failed in this rewind', blocked);
        return false;
      });
      if (sendable.length > 0) {
        const replayedAt = new Date().toISOString();
        const records = sendable.map(({ record }) =>
          kinesisRecordOf(marked(record.Data!, { replayId: rewindId, replayedAt, target: markerTarget }), record.PartitionKey!, record.SequenceNumber!, { ...shape, shardId }, record.ApproximateArrivalTimestamp ?? new Date()),
        );
        const outcomes = await deliverToConsumer(records, {
          invoker: o.invoker,
          target,
          ...(o.maxRetries === undefined ? {} : { maxRetries: o.maxRetries }),
          ...(o.consumerSleep ? { sleep: o.consumerSleep } : {}),
        });
        outcomes.forEach((outcome, i) => {
          if (outcome.ok) {
            summary.delivered++;
            stats.delivered++;
          } else fail(shardId, sendable[i]!.record, sendable[i]!.id, outcome.message ?? 'undeliverable', blocked);
        });
      }
      state.after = batch[batch.length - 1]!.record.SequenceNumber;
      state.blocked = [...blocked];
      save();
      o.progress?.update({ sent: summary.delivered, failed: summary.failed });
    };

    const open = (): Promise<string | undefined> =>
      shardIterator(o.kinesis, lastRead ? { StreamName: streamName, ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: lastRead } : {
        StreamName: streamName,
        ShardId: shardId,
        ...(iteratorType === 'AT_TIMESTAMP' ? { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: o.from } : { ShardIteratorType: 'TRIM_HORIZON' }),
      });
    let iterator = await open();
    let finished = iterator === undefined;
    while (!finished) {
      if (stopped()) break;
      let page;
      try {
        page = await o.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: o.readLimit ?? 10_000 }));
      } catch (error) {
        // a slow consumer can outlast an iterator (5 minutes): open a new one after the last record read
        if ((error as { name?: string }).name === 'ExpiredIteratorException') {
          iterator = await open();
          continue;
        }
        throw awsError(error, `reading shard ${shardId} of ${streamName}`);
      }
      const records = page.Records ?? [];
      for (const r of records) {
        const arrival = r.ApproximateArrivalTimestamp ?? new Date(0);
        if (arrival.getTime() >= to.getTime()) {
          finished = true; // later records are the live mapping's
          break;
        }
        lastRead = r.SequenceNumber;
        if (arrival.getTime() < o.from.getTime()) {
          summary.passedOver++;
          continue;
        }
        summary.read++;
        stats.read++;
        const data = r.Data ?? new Uint8Array();
        const event = parseEvent(data, { maxBytes: 10 * 1024 * 1024 });
        if (!forConsumer(data, event.ok ? event.envelope.type : undefined)) {
          summary.skipped++;
          continue;
        }
        stats.toDeliver++;
        const type = event.ok ? event.envelope.type : `(not an event: ${event.reason})`;
        summary.byType[type] = (summary.byType[type] ?? 0) + 1;
        if (dryRun) continue;
        pending.push({ record: r, ...(event.ok ? { id: event.envelope.id } : event.envelopeId ? { id: event.envelopeId } : {}) });
        if (pending.length >= target.batchSize) {
          if (stopped()) break;
          await flush();
        }
      }
      if (dryRun) o.progress?.update({ matched: Object.values(summary.byType).reduce((a, b) => a + b, 0) });
      if (stopped()) break;
      if (!finished) {
        if (!page.NextShardIterator) finished = true; // a closed shard, read to its end
        else if (records.length === 0 && (page.MillisBehindLatest ?? 0) === 0) finished = true; // caught up with the shard's tip
        else {
          iterator = page.NextShardIterator;
          if (records.length === 0) await new Promise((resolve) => setTimeout(resolve, o.pollIntervalMs ?? 200));
        }
      }
      if (pending.length === 0 && lastRead !== undefined && lastRead !== state.after) {
        state.after = lastRead; // every record read so far is resolved (delivered, failed or not for this consumer)
        save();
      }
    }
    if (stopped()) {
      summary.interrupted = summary.interrupted || (o.signal?.aborted ?? false);
      return; // pending records were not sent: the checkpoint is still before them
    }
    await flush();
    state.done = true;
    if (lastRead !== undefined && pending.length === 0) state.after = lastRead;
    save();
    o.progress?.object(++shardsDone, dryRun ? { matched: Object.values(summary.byType).reduce((a, b) => a + b, 0) } : { sent: summary.delivered, failed: summary.failed });
  };

  // a child shard (after a split or merge) starts once its parents are read: a key's records stay in order
  const byId = new Map(shards.map((s) => [s.ShardId!, s]));
  const tasks = new Map<string, Promise<void>>();
  const run = (shard: Shard): Promise<void> => {
    const existing = tasks.get(shard.ShardId!);
    if (existing) return existing;
    const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => id !== undefined && byId.has(id));
    const task = Promise.all(parents.map((id) => run(byId.get(id)!))).then(() => readShard(shard));
    task.catch(() => stop.abort());
    tasks.set(shard.ShardId!, task);
    return task;
  };
  const results = await Promise.allSettled(shards.map(run));
  o.progress?.stop();
  const error = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (error) throw error.reason;
  if (o.signal?.aborted) summary.interrupted = true;
  if (cp && !summary.interrupted) {
    cp.done = true;
    save();
  }
  return finish(summary, started);
}

/** The record's bytes, with the replay marker when they are an event envelope (anything else goes as it came). */
function marked(data: Uint8Array, replay: { replayId: string; replayedAt: string; target: string }): Uint8Array {
  if (!parseEvent(data, { maxBytes: 10 * 1024 * 1024 }).ok) return data;
  const envelope = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...envelope, replay }), 'utf8');
}

async function streamRetentionHours(kinesis: Pick<KinesisClient, 'send'>, streamName: string): Promise<number> {
  try {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    return out.StreamDescriptionSummary?.RetentionPeriodHours ?? 24;
  } catch (error) {
    throw awsError(error, `describing stream ${streamName}`);
  }
}

async function listShards(kinesis: Pick<KinesisClient, 'send'>, streamName: string): Promise<Shard[]> {
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

function loadRewindCheckpoint(file: string, hash: string): RewindCheckpoint | undefined {
  if (!fs.existsSync(file)) return undefined;
  let cp: RewindCheckpoint;
  try {
    cp = JSON.parse(fs.readFileSync(file, 'utf8')) as RewindCheckpoint;
  } catch (error) {
    throw new OpsError(`cannot read checkpoint ${file}: ${messageOf(error)} (pass --restart to start over)`);
  }
  if (cp.version !== 1 || cp.kind !== 'rewind' || cp.argsHash !== hash) {
    throw new OpsError(`checkpoint ${file} belongs to a different rewind (arguments differ): pass another --checkpoint or --restart`);
  }
  return cp;
}

function finish(summary: RewindSummary, started: number): RewindSummary {
  summary.elapsedMs = Math.round(performance.now() - started);
  return summary;
}
