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
import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CONSUMERS, filterPatternsFor, isConsumerName } from '../../lambdas/consumers';
import { compileKinesisFilter } from '../../local/lambda/event-filter';
import { argsHash, runFiles, startRunRecord, type RunRecord } from './checkpoint';
import type { ConsumerInvoker, ConsumerTarget } from './consumer-invoker';
import { messageOf, OpsError } from './errors';
import type { ProgressSink } from './progress';
import { awsError, need, type OpsEnvironment } from './resolve-stage';
import { listShards, RewindRun } from './rewind-shards';

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
const defaultIterator = (env: OpsEnvironment): RewindIterator => (env.kind === 'local' ? 'TRIM_HORIZON' : 'AT_TIMESTAMP');

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

export interface RewindSummary extends RunRecord {
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
}

export interface ShardState {
  /** every record up to and including this sequence number is resolved */
  after?: string;
  done: boolean;
  /** partition keys whose record failed: their later records are not delivered */
  blocked: string[];
}

export interface RewindCheckpoint {
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

const defaultRewindCheckpointFile = (hash: string, projectDir = process.cwd()): string =>
  path.join(projectDir, '.local', `rewind-${hash}.json`);

/** The Lambda filter the consumer's mapping applies (from the manifest); undefined when it takes every record. */
function mappingFilterOf(consumer: string): ((data: Uint8Array) => boolean) | undefined {
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
    throw new OpsError(
      `--from ${o.from.toISOString()} is in the future (now ${now.toISOString()}): a rewind re-reads records the stream already holds`,
      2,
    );
  }
  if (o.to !== undefined && o.to.getTime() <= o.from.getTime())
    throw new OpsError(`--to ${o.to.toISOString()} must be after --from ${o.from.toISOString()}`, 2);
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
  const { checkpointFile, failuresFile } = runFiles(
    dryRun ? undefined : (o.checkpointFile ?? defaultRewindCheckpointFile(hash, o.projectDir)),
    o.restart,
  );
  const previous = checkpointFile ? loadRewindCheckpoint(checkpointFile, hash) : undefined;
  const rewindId = previous?.rewindId ?? randomUUID();
  // --to is exclusive and arrival times are milliseconds: by default everything that arrived up to and including
  // the millisecond the rewind started (later records are the live mapping's), and never later than that
  const latest = new Date(now.getTime() + 1);
  const to = previous ? new Date(previous.to) : o.to !== undefined && o.to.getTime() < latest.getTime() ? o.to : latest;

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
    ...startRunRecord(previous, { checkpointFile, failuresFile }),
  };
  if (previous?.done) return finish(summary, started);

  const cp: RewindCheckpoint | undefined = checkpointFile
    ? (previous ?? {
        version: 1,
        kind: 'rewind',
        argsHash: hash,
        rewindId,
        startedAt: now.toISOString(),
        to: to.toISOString(),
        shards: {},
        done: false,
        updatedAt: '',
      })
    : undefined;
  const mappingFilter = mappingFilterOf(o.consumer);
  const types = o.types && o.types.length > 0 ? new Set(o.types) : undefined;
  const forConsumer = (data: Uint8Array, type: string | undefined): boolean =>
    (mappingFilter === undefined || mappingFilter(data)) && (types === undefined || (type !== undefined && types.has(type)));
  const run = new RewindRun(
    o,
    { streamName, iteratorType, to, target, forConsumer, checkpoint: cp, checkpointFile, failuresFile },
    summary,
  );

  const shards = await listShards(o.kinesis, streamName);
  summary.shards = shards.length;
  o.progress?.start(shards.length, dryRun ? `counting for ${o.consumer}` : `rewinding ${o.consumer}`, {
    unit: 'shards',
    words: { matched: 'to deliver', sent: 'delivered' },
  });

  await run.readAll(shards);
  if (o.signal?.aborted) summary.interrupted = true;
  if (cp && !summary.interrupted) {
    cp.done = true;
    run.save();
  }
  return finish(summary, started);
}

async function streamRetentionHours(kinesis: Pick<KinesisClient, 'send'>, streamName: string): Promise<number> {
  try {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    return out.StreamDescriptionSummary?.RetentionPeriodHours ?? 24;
  } catch (error) {
    throw awsError(error, `describing stream ${streamName}`);
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
