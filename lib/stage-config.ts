import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import { StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { consumerNames, type ConsumerManifestEntry } from '../lambdas/consumers';
import { type Stage, STAGES } from './contract';
import { type Documented, type PerStage, perStage, retentionDays } from './documented';

/**
 * How a stage deploys one consumer of the manifest (lambdas/consumers.ts, which says what it handles,
 * enqueues and how it keeps duplicates out).
 */
export interface ConsumerConfig {
  /** Its manifest name: folder under lambdas/, tag `queue-and-stream:name` and POWERTOOLS_SERVICE_NAME. */
  readonly name: string;
  /** Dedicated 2 MB/s per shard through a registered stream consumer (SubscribeToShard). */
  readonly enhancedFanOut: boolean;
  /** Replaces its entry in lambdas/consumers.ts (tests that synthesize a fork's variant); normally absent. */
  readonly manifest?: ConsumerManifestEntry;
  // No starting timestamp here on purpose: changing a mapping's starting position replaces it, CloudFormation
  // creates the new mapping before deleting the old one, and Lambda refuses a second mapping for the same
  // function and stream (ResourceConflictException, aws/aws-cdk#6942). Re-reading from a point in time is an
  // operator tool's job (`npm run rewind`), not a deploy.
}

export interface StageConfig {
  /** Also names the stacks: stackName() in lib/contract.ts. */
  readonly stage: Stage;
  readonly env?: { readonly account?: string; readonly region?: string };
  readonly removalPolicy: RemovalPolicy;
  readonly autoDeleteObjects: boolean;
  readonly terminationProtection: boolean;
  /** Server access logs of the archive and failure buckets, into their own access-log bucket. */
  readonly serverAccessLogs: boolean;
  /** DynamoDB deletion protection on the idempotency table. */
  readonly idempotencyTableDeletionProtection: boolean;
  /**
   * Whether the stage may deploy the job worker while some of its ports are fakes (no e-mail sent, no card
   * charged; lambdas/job-worker/wiring.ts). Synth fails otherwise. bin/app.ts sets it from
   * `-c allowFakeSideEffects=true`.
   */
  readonly allowFakeSideEffects: boolean;
  readonly streamMode: StreamMode;
  /** Only for PROVISIONED streams. */
  readonly shardCount?: number;
  readonly streamRetention: Duration;
  readonly logRetention: RetentionDays;
  readonly archiveBufferingInterval: Duration;
  readonly archiveBufferingSize: Size;
  readonly alarmEmail?: string;
  readonly consumers: readonly ConsumerConfig[];
}

/** Every consumer of the manifest, in its order, with shared polling. */
const CONSUMERS: readonly ConsumerConfig[] = consumerNames.map((name) => ({ name, enhancedFanOut: false }));

/** The README's reading of the consumers default: both stages alike, named by the manifest, with their fan-out. */
function showConsumers(consumers: PerStage<readonly ConsumerConfig[]>): string {
  const names = (cs: readonly ConsumerConfig[]): string => cs.map((c) => c.name).join(', ');
  if (names(consumers.dev) !== names(consumers.prod)) throw new Error('the README names one consumer list for both stages');
  const everyConsumer = names(consumers.dev) === consumerNames.join(', ') ? 'every consumer of lambdas/consumers.ts' : 'the consumers';
  const fanOut = consumers.dev.filter((c) => c.enhancedFanOut);
  return `${everyConsumer} (${names(consumers.dev)}); ${fanOut.length === 0 ? 'none' : names(fanOut)} with enhanced fan-out`;
}

/** Stage defaults: the single source for `stageConfig()` and the README table. */
export const STAGE_DEFAULTS = {
  removalPolicy: {
    value: { dev: RemovalPolicy.DESTROY, prod: RemovalPolicy.RETAIN },
    why: 'dev stacks are disposable; prod keeps queues, stream, buckets and logs if a stack is deleted by mistake',
  },
  autoDeleteObjects: {
    value: { dev: true, prod: false },
    why: '`cdk destroy` of dev empties the buckets so it succeeds; prod never deletes objects on its own',
  },
  terminationProtection: {
    value: { dev: false, prod: true },
    why: 'on for the prod stateful stack: deleting it would lose queued jobs, retained events and the archive',
  },
  serverAccessLogs: {
    value: { dev: false, prod: true },
    show: perStage((logs: boolean) => (logs ? 'to the access-log bucket' : 'none')),
    why: 'prod: who read or wrote the archive and failed payloads is auditable; dev: logs of the auto-delete itself arrive after the bucket is emptied and make `cdk destroy` fail (BucketNotEmpty, aws/aws-cdk#16332)',
  },
  idempotencyTableDeletionProtection: {
    value: { dev: false, prod: true },
    why: 'prod: without its records a replay or redrive repeats e-mails and charges, so DynamoDB refuses to delete the table (a stack deletion, a replacement) until this is turned off',
  },
  allowFakeSideEffects: {
    value: { dev: true, prod: false },
    why: 'the worker ships with fakes (no e-mail sent, no card charged): fine in dev; prod synth fails while any port is fake, unless `-c allowFakeSideEffects=true` says it is meant',
  },
  streamMode: {
    value: { dev: StreamMode.PROVISIONED, prod: StreamMode.ON_DEMAND },
    why: 'dev: fixed cost of 2 shards; prod: capacity follows traffic with no shard planning',
  },
  shardCount: {
    value: { dev: 2 as number | undefined, prod: undefined as number | undefined },
    show: perStage((shards: number | undefined) => (shards === undefined ? '— (on-demand)' : String(shards))),
    why: 'two shards in dev so per-shard ordering and parallel consumers are visible, not hidden by one shard',
  },
  streamRetention: {
    value: { dev: Duration.hours(24), prod: Duration.days(7) },
    why: '24 h is the cheapest tier; 7 days in prod gives a week to fix a consumer and replay from the stream',
  },
  logRetention: {
    value: { dev: RetentionDays.ONE_WEEK, prod: RetentionDays.THREE_MONTHS },
    show: perStage(retentionDays),
    why: 'logs never kept forever by accident; prod keeps a quarter for incident review',
  },
  archiveBufferingInterval: {
    value: { dev: Duration.seconds(60), prod: Duration.seconds(300) },
    why: 'dev: archive objects appear within a minute; prod: fewer, larger objects are cheaper to store and scan',
  },
  archiveBufferingSize: {
    value: { dev: Size.mebibytes(5), prod: Size.mebibytes(64) },
    why: 'flush earlier than the interval under load; 64 MiB GZIP objects suit Athena-style scans',
  },
  consumers: {
    value: { dev: CONSUMERS, prod: CONSUMERS },
    show: showConsumers,
    why: 'independent consumers with distinct purposes, each with its own event source mapping, filter and position',
  },
} as const satisfies Record<string, Documented<PerStage<unknown>>>;

export type StageOverrides = Partial<Omit<StageConfig, 'stage'>>;

/** The dev or prod configuration, with optional overrides (alarm e-mail, env, tests). */
export function stageConfig(stage: Stage, overrides: StageOverrides = {}): StageConfig {
  if (!STAGES.includes(stage)) {
    throw new Error(`Unknown stage "${String(stage)}": use one of ${STAGES.join(', ')} (-c stage=dev|prod).`);
  }
  const pick = <T>(d: { value: PerStage<T> }): T => d.value[stage];
  return {
    stage,
    removalPolicy: pick(STAGE_DEFAULTS.removalPolicy),
    autoDeleteObjects: pick(STAGE_DEFAULTS.autoDeleteObjects),
    terminationProtection: pick(STAGE_DEFAULTS.terminationProtection),
    serverAccessLogs: pick(STAGE_DEFAULTS.serverAccessLogs),
    idempotencyTableDeletionProtection: pick(STAGE_DEFAULTS.idempotencyTableDeletionProtection),
    allowFakeSideEffects: pick(STAGE_DEFAULTS.allowFakeSideEffects),
    streamMode: pick(STAGE_DEFAULTS.streamMode),
    shardCount: pick(STAGE_DEFAULTS.shardCount),
    streamRetention: pick(STAGE_DEFAULTS.streamRetention),
    logRetention: pick(STAGE_DEFAULTS.logRetention),
    archiveBufferingInterval: pick(STAGE_DEFAULTS.archiveBufferingInterval),
    archiveBufferingSize: pick(STAGE_DEFAULTS.archiveBufferingSize),
    consumers: pick(STAGE_DEFAULTS.consumers),
    ...overrides,
  };
}
