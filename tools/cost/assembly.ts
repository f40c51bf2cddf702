// The settings the cost model needs, mapped from the project view (local/project.ts) of a synthesized cloud
// assembly read by the one reader (local/assembly.ts). Generic by resource type, never by logical id, so a
// fork's changes (more shards, another consumer, EFO, bigger batches, a mapping's filter criteria, which
// functions keep idempotency records or enqueue jobs) are costed as synthesized; cross-stack references are
// followed by the project view.
import { loadAssembly, type StackArtifact } from '../../local/assembly';
import { FUNCTION_ENV } from '../../lib/contract';
import { isOfStage, projectView, stacksOfStage, type ProjectFunction, type TemplateResource } from '../../local/project';

export type Architecture = 'arm64' | 'x86_64';

export interface FunctionSettings {
  logicalId: string;
  /** its name tag (FUNCTION_TAGS.name, lib/contract.ts), else the logical id */
  name: string;
  memoryMb: number;
  architecture: Architecture;
  timeoutSeconds: number;
  reservedConcurrency?: number;
  /** undefined = the log group never expires (or none was found) */
  logRetentionDays?: number;
  /** set when the function keeps Powertools idempotency records in a table of the assembly (see FUNCTION_ENV.idempotencyTableName) */
  idempotency?: { tableLogicalId: string; expirySeconds: number };
  /** set when the function sends jobs to a queue of the assembly (see FUNCTION_ENV.jobQueueUrl) */
  enqueuesTo?: { queueLogicalId: string };
}

/**
 * The rule that finds an idempotency table: a mapped function (one with an event source mapping) whose
 * environment variable FUNCTION_ENV.idempotencyTableName (IDEMPOTENCY_TABLE_NAME) resolves (Ref, or across stacks
 * through an export or Fn::GetStackOutput) to an AWS::DynamoDB::Table. Powertools cannot find its table any
 * other way, so the variable is both necessary and sufficient; IAM grants are not consulted: they say what a
 * function may do, not what it does per record. Any other variable that names a table only earns a note.
 * The rule that finds a function that enqueues jobs: its FUNCTION_ENV.jobQueueUrl (JOB_QUEUE_URL) resolves to
 * an AWS::SQS::Queue (lambdas/shared/env.ts reads nothing else). As for idempotency, grants are not consulted.
 */
/** Powertools' default `expiresAfterSeconds` (1 hour), used when IDEMPOTENCY_EXPIRY_SECONDS is not set. */
const POWERTOOLS_DEFAULT_EXPIRY_SECONDS = 3600;

export interface TableSettings {
  logicalId: string;
  billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  /** provisioned only */
  readCapacityUnits?: number;
  writeCapacityUnits?: number;
  ttlEnabled: boolean;
  pointInTimeRecovery: boolean;
  globalSecondaryIndexes: number;
  streamEnabled: boolean;
  /** SSE with a KMS key (AWS managed or customer managed) rather than the AWS owned key */
  kms: boolean;
  /** names of the mapped functions that keep idempotency records in it */
  idempotentFunctions: string[];
}

export interface StreamSettings {
  logicalId: string;
  mode: 'PROVISIONED' | 'ON_DEMAND';
  /** provisioned only */
  shardCount?: number;
  retentionHours: number;
}

export interface KinesisConsumerSettings {
  fn: FunctionSettings;
  /** true when the mapping reads through an AWS::Kinesis::StreamConsumer (enhanced fan-out) */
  efo: boolean;
  batchSize: number;
  parallelizationFactor: number;
  batchingWindowSeconds: number;
  /**
   * The mapping's FilterCriteria patterns (each Pattern JSON-parsed; one that is not JSON is kept as its
   * string), ORed by Lambda; undefined = no filter, every record invokes the function.
   */
  filterPatterns?: unknown[];
  /** set by the model's `--consumers` what-if on an extra consumer: the template consumer it copies */
  copyOf?: string;
}

export interface QueueSettings {
  logicalId: string;
  visibilityTimeoutSeconds: number;
  maximumMessageSize: number;
  messageRetentionSeconds: number;
  maxReceiveCount?: number;
}

export interface WorkerSettings {
  fn: FunctionSettings;
  queue?: QueueSettings;
  batchSize: number;
  batchingWindowSeconds: number;
  /** ScalingConfig.MaximumConcurrency; undefined = Lambda's default scaling */
  maximumConcurrency?: number;
}

export interface ArchiveSettings {
  logicalId: string;
  bufferIntervalSeconds: number;
  bufferSizeMb: number;
  compression: string;
  /** the destination bucket's shortest enabled expiration rule, if any */
  expirationDays?: number;
  /** the destination bucket's lifecycle transitions (enabled rules), by age */
  transitions: { days: number; storageClass: string }[];
}

export interface AssemblySettings {
  source: string;
  stacks: string[];
  stream?: StreamSettings;
  consumers: KinesisConsumerSettings[];
  workers: WorkerSettings[];
  queues: QueueSettings[];
  archive?: ArchiveSettings;
  /** DynamoDB tables that mapped functions keep idempotency records in (by FUNCTION_ENV.idempotencyTableName) */
  tables: TableSettings[];
  /** billable alarm metrics (a metric-math alarm bills each metric it reads) */
  alarmMetrics: number;
  /**
   * Metrics that event source mappings publish because their MetricsConfig asks for EventCount, billed as
   * CloudWatch metrics: per stream mapping PolledEventCount, FilteredOutEventCount, InvokedEventCount,
   * FailedInvokeEventCount, DroppedEventCount, OnFailureDestinationDeliveredEventCount (6); per SQS mapping the
   * first four and DeletedEventCount (5) (Lambda developer guide, "Event source mapping metrics").
   */
  esmMetrics: number;
  alarms: number;
  compositeAlarms: number;
  dashboards: number;
  /** what the reader could not settle, said once each */
  notes: string[];
}

const num = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

/**
 * The patterns of an event source mapping's FilterCriteria ({ Filters: [{ Pattern }] }, Pattern a JSON
 * string as CloudFormation takes it, or an object in a hand-written template); undefined when there are none.
 */
function filterPatternsOf(criteria: unknown): unknown[] | undefined {
  const filters = (criteria as { Filters?: unknown } | undefined)?.Filters;
  if (!Array.isArray(filters) || filters.length === 0) return undefined;
  return filters.map((f) => {
    const pattern = (f as { Pattern?: unknown } | null)?.Pattern;
    if (typeof pattern !== 'string') return pattern;
    try {
      return JSON.parse(pattern) as unknown;
    } catch {
      return pattern;
    }
  });
}

/** Settings of one assembly; with `stage`, only the stacks named for it (`-Dev-` / `-Prod-`), if any are. */
export function readAssembly(dir: string, stage?: string): AssemblySettings {
  const { stacks } = loadAssembly(dir);
  return settingsFromStacks(stage ? stacksOfStage(stacks, stage) : stacks, dir);
}

/** Whether an assembly holds stacks for a stage (by the `QueueAndStream-<Stage>-…` naming). */
export function assemblyHasStage(dir: string, stage: string): boolean {
  return loadAssembly(dir).stacks.some((s) => isOfStage(s, stage));
}

export function settingsFromStacks(stacks: readonly StackArtifact[], source: string): AssemblySettings {
  const notes: string[] = [];
  const view = projectView(stacks);
  const { ofType, resolve } = view;
  const props = (r: { resource: TemplateResource['resource'] }) => r.resource.Properties ?? {};

  // Log retention: the function's own log group (LoggingConfig.LogGroup) or a Custom::LogRetention naming it.
  const retentionFor = (fn: TemplateResource): number | undefined => {
    const lc = (props(fn).LoggingConfig ?? {}) as { LogGroup?: unknown };
    const lg = resolve(lc.LogGroup, fn.stack);
    if (lg?.resource.Type === 'AWS::Logs::LogGroup') return num(props(lg).RetentionInDays);
    const custom = view.resources.find(
      (r) => r.resource.Type === 'Custom::LogRetention' && JSON.stringify(props(r).LogGroupName ?? '').includes(`"${fn.logicalId}"`),
    );
    return custom ? num(props(custom).RetentionInDays) : undefined;
  };

  // Idempotency tables, found through the mapped functions' environment (see FUNCTION_ENV.idempotencyTableName).
  const tables = new Map<string, TableSettings>();
  const tableSettings = (t: TemplateResource): TableSettings => {
    const p = props(t);
    const throughput = (p.ProvisionedThroughput ?? {}) as { ReadCapacityUnits?: unknown; WriteCapacityUnits?: unknown };
    const provisioned = p.BillingMode !== 'PAY_PER_REQUEST'; // CloudFormation's default is PROVISIONED
    const sse = (p.SSESpecification ?? {}) as { SSEEnabled?: unknown };
    return {
      logicalId: t.logicalId,
      billingMode: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
      readCapacityUnits: provisioned ? num(throughput.ReadCapacityUnits) : undefined,
      writeCapacityUnits: provisioned ? num(throughput.WriteCapacityUnits) : undefined,
      ttlEnabled: ((p.TimeToLiveSpecification ?? {}) as { Enabled?: unknown }).Enabled === true,
      pointInTimeRecovery:
        ((p.PointInTimeRecoverySpecification ?? {}) as { PointInTimeRecoveryEnabled?: unknown }).PointInTimeRecoveryEnabled === true,
      globalSecondaryIndexes: Array.isArray(p.GlobalSecondaryIndexes) ? p.GlobalSecondaryIndexes.length : 0,
      streamEnabled: p.StreamSpecification !== undefined,
      kms: sse.SSEEnabled === true,
      idempotentFunctions: [],
    };
  };
  const idempotencyOf = (fn: ProjectFunction): FunctionSettings['idempotency'] => {
    let found: FunctionSettings['idempotency'];
    for (const [key, value] of Object.entries(fn.environment)) {
      const target = resolve(value, fn.stack);
      if (target?.resource.Type !== 'AWS::DynamoDB::Table') continue;
      if (key !== FUNCTION_ENV.idempotencyTableName) {
        notes.push(
          `${fn.name}: ${key} names DynamoDB table ${target.logicalId}; only idempotency records (${FUNCTION_ENV.idempotencyTableName}) are costed`,
        );
        continue;
      }
      const id = `${target.stack.artifactId}/${target.logicalId}`;
      const table = tables.get(id) ?? tableSettings(target);
      tables.set(id, table);
      if (!table.idempotentFunctions.includes(fn.name)) table.idempotentFunctions.push(fn.name);
      found = {
        tableLogicalId: target.logicalId,
        expirySeconds: num(fn.environment[FUNCTION_ENV.idempotencyExpirySeconds]) ?? POWERTOOLS_DEFAULT_EXPIRY_SECONDS,
      };
    }
    return found;
  };

  const enqueuesTo = (fn: ProjectFunction): FunctionSettings['enqueuesTo'] => {
    const target = view.named(fn, FUNCTION_ENV.jobQueueUrl);
    return target?.resource.Type === 'AWS::SQS::Queue' ? { queueLogicalId: target.logicalId } : undefined;
  };

  const functionSettings = (fn: ProjectFunction): FunctionSettings => {
    const p = props(fn);
    const arch = Array.isArray(p.Architectures) && p.Architectures[0] === 'arm64' ? 'arm64' : 'x86_64';
    const queue = enqueuesTo(fn);
    return {
      logicalId: fn.logicalId,
      name: fn.name,
      memoryMb: num(p.MemorySize) ?? 128, // CloudFormation's default
      architecture: arch,
      timeoutSeconds: num(p.Timeout) ?? 3,
      reservedConcurrency: num(p.ReservedConcurrentExecutions),
      logRetentionDays: retentionFor(fn),
      idempotency: idempotencyOf(fn),
      ...(queue ? { enqueuesTo: queue } : {}),
    };
  };

  const queueSettings = (q: TemplateResource): QueueSettings => {
    const p = props(q);
    const redrive = (typeof p.RedrivePolicy === 'string' ? JSON.parse(p.RedrivePolicy) : p.RedrivePolicy) as
      | { maxReceiveCount?: unknown }
      | undefined;
    return {
      logicalId: q.logicalId,
      visibilityTimeoutSeconds: num(p.VisibilityTimeout) ?? 30,
      maximumMessageSize: num(p.MaximumMessageSize) ?? 1_048_576,
      messageRetentionSeconds: num(p.MessageRetentionPeriod) ?? 345_600,
      maxReceiveCount: num(redrive?.maxReceiveCount),
    };
  };

  // Streams
  const streams = ofType('AWS::Kinesis::Stream');
  if (streams.length > 1) notes.push(`${streams.length} Kinesis streams found; the model costs the first (${streams[0].logicalId}) only`);
  let stream: StreamSettings | undefined;
  if (streams[0]) {
    const p = props(streams[0]);
    const mode = ((p.StreamModeDetails ?? {}) as { StreamMode?: unknown }).StreamMode === 'ON_DEMAND' ? 'ON_DEMAND' : 'PROVISIONED';
    stream = {
      logicalId: streams[0].logicalId,
      mode,
      shardCount: mode === 'PROVISIONED' ? (num(p.ShardCount) ?? 1) : undefined,
      retentionHours: num(p.RetentionPeriodHours) ?? 24,
    };
  }

  // Event source mappings, classified by what their EventSourceArn resolves to.
  const consumers: KinesisConsumerSettings[] = [];
  const workers: WorkerSettings[] = [];
  let esmMetrics = 0;
  const eventCountMetrics = (p: Record<string, unknown>, perMapping: number): number => {
    const metrics = ((p.MetricsConfig ?? {}) as { Metrics?: unknown }).Metrics;
    return Array.isArray(metrics) && metrics.includes('EventCount') ? perMapping : 0;
  };
  for (const esm of view.mappings) {
    const p = props(esm);
    const { kind, source: target } = esm;
    if (!esm.fn) {
      notes.push(`event source mapping ${esm.logicalId}: function not found in the assembly; not costed`);
      continue;
    }
    const fn = functionSettings(esm.fn);
    const window = num(p.MaximumBatchingWindowInSeconds) ?? 0;
    if (kind === 'kinesis' || kind === 'kinesis-consumer') {
      const filterPatterns = filterPatternsOf(p.FilterCriteria);
      esmMetrics += eventCountMetrics(p, 6);
      consumers.push({
        fn,
        efo: kind === 'kinesis-consumer',
        batchSize: num(p.BatchSize) ?? 100,
        parallelizationFactor: num(p.ParallelizationFactor) ?? 1,
        batchingWindowSeconds: window,
        ...(filterPatterns ? { filterPatterns } : {}),
      });
    } else if (kind === 'sqs') {
      esmMetrics += eventCountMetrics(p, 5);
      workers.push({
        fn,
        queue: target ? queueSettings(target) : undefined,
        batchSize: num(p.BatchSize) ?? 10,
        batchingWindowSeconds: window,
        maximumConcurrency: num(((p.ScalingConfig ?? {}) as { MaximumConcurrency?: unknown }).MaximumConcurrency),
      });
    } else {
      notes.push(`event source mapping ${esm.logicalId}: source ${kind ?? 'unknown'} is not modelled`);
    }
  }
  if (workers.length > 1)
    notes.push(
      `${workers.length} SQS workers found; receives and the worker are costed on each (as if every queue got every job), sends once`,
    );

  // Firehose reading the stream
  const firehoses = ofType('AWS::KinesisFirehose::DeliveryStream').filter((f) => props(f).KinesisStreamSourceConfiguration);
  if (firehoses.length > 1) notes.push(`${firehoses.length} Firehose streams read Kinesis; the model costs the first only`);
  let archive: ArchiveSettings | undefined;
  if (firehoses[0]) {
    const p = props(firehoses[0]);
    const dest = (p.ExtendedS3DestinationConfiguration ?? p.S3DestinationConfiguration ?? {}) as {
      BufferingHints?: { IntervalInSeconds?: unknown; SizeInMBs?: unknown };
      CompressionFormat?: unknown;
      BucketARN?: unknown;
    };
    const bucket = resolve(dest.BucketARN, firehoses[0].stack);
    type Rule = { Status?: unknown; ExpirationInDays?: unknown; Transitions?: { TransitionInDays?: unknown; StorageClass?: unknown }[] };
    const rules = ((((bucket && props(bucket).LifecycleConfiguration) ?? {}) as { Rules?: Rule[] }).Rules ?? []).filter(
      (r) => r.Status !== 'Disabled',
    );
    const expirations = rules.map((r) => num(r.ExpirationInDays)).filter((d): d is number => d !== undefined);
    const transitions = rules
      .flatMap((r) => r.Transitions ?? [])
      .map((t) => ({ days: num(t.TransitionInDays) ?? 0, storageClass: String(t.StorageClass) }))
      .sort((a, b) => a.days - b.days);
    archive = {
      logicalId: firehoses[0].logicalId,
      bufferIntervalSeconds: num(dest.BufferingHints?.IntervalInSeconds) ?? 300,
      bufferSizeMb: num(dest.BufferingHints?.SizeInMBs) ?? 5,
      compression: typeof dest.CompressionFormat === 'string' ? dest.CompressionFormat : 'UNCOMPRESSED',
      expirationDays: expirations.length ? Math.min(...expirations) : undefined,
      transitions,
    };
  }

  const alarms = ofType('AWS::CloudWatch::Alarm');
  const alarmMetrics = alarms.reduce((n, a) => {
    const metrics = props(a).Metrics;
    return n + (Array.isArray(metrics) ? Math.max(1, metrics.filter((m) => (m as { MetricStat?: unknown }).MetricStat).length) : 1);
  }, 0);

  return {
    source,
    stacks: stacks.map((s) => s.artifactId),
    stream,
    consumers,
    workers,
    queues: ofType('AWS::SQS::Queue').map(queueSettings),
    archive,
    tables: [...tables.values()],
    alarms: alarms.length,
    alarmMetrics,
    esmMetrics,
    compositeAlarms: ofType('AWS::CloudWatch::CompositeAlarm').length,
    dashboards: ofType('AWS::CloudWatch::Dashboard').length,
    notes,
  };
}
