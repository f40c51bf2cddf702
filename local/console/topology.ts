// What the console draws, derived from the synthesized template as the local cloud resolved it (never a
// hand-written picture): one lane per queue a function reads (producers → queue → worker, its DLQ below) and
// one per stream (producers → stream and its shards → each consumer → its on-failure destination; Firehose →
// archive), then whatever is not on a lane. Any assembly (`--assembly`) gets its own.
import type { TopologyRoles } from '../project';
import type { ProvisionResult } from '../provision';
import type { LocalTopology } from '../types';

export interface ConsoleTopology {
  timeScale: number;
  queues: {
    id: string;
    name: string;
    role: 'jobs' | 'dlq' | 'queue';
    visibilityTimeoutSeconds: number;
    redrive?: { dlq: string; maxReceiveCount: number };
  }[];
  streams: { id: string; name: string; shardCount: number; mode: string; retentionHours: number; role: 'events' | 'stream' }[];
  functions: {
    id: string;
    name: string;
    role?: string;
    handler: string;
    runtime: string;
    timeoutSeconds: number;
    memoryMb: number;
    sendsTo: string[];
  }[];
  sqsMappings: {
    id: string;
    functionId: string;
    function: string;
    queueId: string;
    batchSize: number;
    windowSeconds: number;
    partialBatchResponse: boolean;
    maximumConcurrency?: number;
    enabled: boolean;
  }[];
  kinesisMappings: {
    id: string;
    functionId: string;
    /** the function name: the consumer's identity (its `queue-and-stream:name` tag) */
    consumer: string;
    streamId: string;
    batchSize: number;
    windowSeconds: number;
    startingPosition: string;
    parallelizationFactor: number;
    bisect: boolean;
    retryAttempts: number;
    maxRecordAgeSeconds: number;
    filtered: boolean;
    efo?: string;
    enabled: boolean;
    onFailure?: { kind: string; target: string; bucketId?: string };
  }[];
  deliveryStreams: {
    id: string;
    name: string;
    streamId: string;
    bucketId: string;
    prefix: string;
    compression: string;
    bufferingIntervalSeconds: number;
    bufferingSizeMiB: number;
  }[];
  buckets: { id: string; name: string; role: 'archive' | 'failures' | 'bucket' }[];
  tables: { id: string; name: string; role: 'idempotency' | 'table' }[];
  lanes: Lane[];
  /** resources on no lane */
  others: { queues: string[]; buckets: string[]; tables: string[]; functions: string[] };
  notEmulated: { type: string; count: number }[];
  notes: string[];
}

export type Lane =
  | { kind: 'queue'; queue: string; dlq?: string; workers: string[]; producers: string[] }
  | { kind: 'stream'; stream: string; consumers: string[]; deliveryStreams: string[]; failureBuckets: string[]; producers: string[] };

/** The console's own producer ("send a job / an event" on the page, and the shell tools) is drawn as `console`. */
export const CONSOLE_PRODUCER = 'console';

export function buildConsoleTopology(
  t: LocalTopology,
  roles: TopologyRoles,
  p: Pick<ProvisionResult, 'tables' | 'notEmulated' | 'excludedFunctions' | 'notes'>,
  timeScale: number,
): ConsoleTopology {
  const queueIdByArn = new Map(t.queues.map((q) => [q.arn, q.logicalId]));
  const bucketIdByName = new Map(t.buckets.map((b) => [b.name, b.logicalId]));
  const dlqIds = new Set(
    t.queues
      .map((q) => (q.redrivePolicy ? queueIdByArn.get(q.redrivePolicy.deadLetterTargetArn) : undefined))
      .filter((x): x is string => !!x),
  );

  // a function sends to a queue or a stream when its environment names it (URL, name or ARN): the template's wiring
  const sendsTo = (env: Record<string, string>): string[] => {
    const values = new Set(Object.values(env));
    const out: string[] = [];
    for (const q of t.queues) if (values.has(q.url) || values.has(q.name) || values.has(q.arn)) out.push(q.logicalId);
    for (const s of t.streams) if (values.has(s.name) || values.has(s.arn)) out.push(s.logicalId);
    return out;
  };
  const functions = t.functions.map((f) => ({
    id: f.logicalId,
    name: f.name,
    ...(f.role ? { role: f.role } : {}),
    handler: f.handler,
    runtime: f.runtime,
    timeoutSeconds: f.timeoutSeconds,
    memoryMb: f.memoryMb,
    sendsTo: sendsTo(f.environment),
  }));
  const fnName = (id: string): string => t.functions.find((f) => f.logicalId === id)?.name ?? id;

  const queues = t.queues.map((q) => {
    const dlq = q.redrivePolicy ? queueIdByArn.get(q.redrivePolicy.deadLetterTargetArn) : undefined;
    return {
      id: q.logicalId,
      name: q.name,
      role: q === roles.jobs ? ('jobs' as const) : q === roles.jobsDlq || dlqIds.has(q.logicalId) ? ('dlq' as const) : ('queue' as const),
      visibilityTimeoutSeconds: q.visibilityTimeoutSeconds,
      ...(dlq && q.redrivePolicy ? { redrive: { dlq, maxReceiveCount: q.redrivePolicy.maxReceiveCount } } : {}),
    };
  });
  const sqsMappings = t.sqsMappings.map((m) => ({
    id: m.logicalId,
    functionId: m.functionLogicalId,
    function: fnName(m.functionLogicalId),
    queueId: m.queue.logicalId,
    batchSize: m.batchSize,
    windowSeconds: m.maximumBatchingWindowSeconds,
    partialBatchResponse: m.reportBatchItemFailures,
    ...(m.maximumConcurrency ? { maximumConcurrency: m.maximumConcurrency } : {}),
    enabled: m.enabled,
  }));
  const kinesisMappings = t.kinesisMappings.map((m) => {
    const of = m.onFailure;
    const onFailure = of
      ? of.kind === 's3'
        ? {
            kind: 's3',
            target: of.bucketName,
            ...(bucketIdByName.get(of.bucketName) ? { bucketId: bucketIdByName.get(of.bucketName)! } : {}),
          }
        : { kind: of.kind, target: of.arn }
      : undefined;
    return {
      id: m.logicalId,
      functionId: m.functionLogicalId,
      consumer: fnName(m.functionLogicalId),
      streamId: m.stream.logicalId,
      batchSize: m.batchSize,
      windowSeconds: m.maximumBatchingWindowSeconds,
      startingPosition: m.startingPosition,
      parallelizationFactor: m.parallelizationFactor,
      bisect: m.bisectBatchOnFunctionError,
      retryAttempts: m.maximumRetryAttempts,
      maxRecordAgeSeconds: m.maximumRecordAgeInSeconds,
      filtered: m.filterCriteria !== undefined,
      ...(m.streamConsumerName ? { efo: m.streamConsumerName } : {}),
      enabled: m.enabled,
      ...(onFailure ? { onFailure } : {}),
    };
  });
  const deliveryStreams = t.deliveryStreams.map((d) => ({
    id: d.logicalId,
    name: d.name,
    streamId: d.sourceStream.logicalId,
    bucketId: d.bucket.logicalId,
    prefix: d.prefix,
    compression: d.compression,
    bufferingIntervalSeconds: d.bufferingIntervalSeconds,
    bufferingSizeMiB: d.bufferingSizeMiB,
  }));
  const buckets = t.buckets.map((b) => ({
    id: b.logicalId,
    name: b.name,
    role: b === roles.archive ? ('archive' as const) : b === roles.failures ? ('failures' as const) : ('bucket' as const),
  }));
  const tables = p.tables.map((x) => ({
    id: x.logicalId,
    name: x.name,
    role: x === roles.idempotency ? ('idempotency' as const) : ('table' as const),
  }));

  const placed = { queues: new Set<string>(), buckets: new Set<string>(), functions: new Set<string>() };
  const lanes: Lane[] = [];
  const producersOf = (resourceId: string): string[] => [
    CONSOLE_PRODUCER,
    ...functions.filter((f) => f.sendsTo.includes(resourceId)).map((f) => f.id),
  ];
  // the jobs queue first, then the other queues a function reads
  const readQueues = [...new Set(t.sqsMappings.map((m) => m.queue.logicalId))].sort(
    (a, b) => Number(b === roles.jobs?.logicalId) - Number(a === roles.jobs?.logicalId),
  );
  for (const qid of readQueues) {
    const q = queues.find((x) => x.id === qid)!;
    const workers = sqsMappings.filter((m) => m.queueId === qid).map((m) => m.id);
    lanes.push({ kind: 'queue', queue: qid, ...(q.redrive ? { dlq: q.redrive.dlq } : {}), workers, producers: producersOf(qid) });
    placed.queues.add(qid);
    if (q.redrive) placed.queues.add(q.redrive.dlq);
    for (const m of sqsMappings.filter((x) => x.queueId === qid)) placed.functions.add(m.functionId);
  }
  const laneStreams = [
    ...new Set([...t.kinesisMappings.map((m) => m.stream.logicalId), ...t.deliveryStreams.map((d) => d.sourceStream.logicalId)]),
  ].sort((a, b) => Number(b === roles.events?.logicalId) - Number(a === roles.events?.logicalId));
  for (const sid of laneStreams) {
    const consumers = kinesisMappings.filter((m) => m.streamId === sid);
    const ds = deliveryStreams.filter((d) => d.streamId === sid);
    const failureBuckets = [...new Set(consumers.map((m) => m.onFailure?.bucketId).filter((x): x is string => !!x))];
    lanes.push({
      kind: 'stream',
      stream: sid,
      consumers: consumers.map((m) => m.id),
      deliveryStreams: ds.map((d) => d.id),
      failureBuckets,
      producers: producersOf(sid),
    });
    for (const c of consumers) placed.functions.add(c.functionId);
    for (const b of failureBuckets) placed.buckets.add(b);
    for (const d of ds) placed.buckets.add(d.bucketId);
  }
  const counts = new Map<string, number>();
  for (const n of p.notEmulated) counts.set(n.type, (counts.get(n.type) ?? 0) + 1);
  if (p.excludedFunctions.length) counts.set('CDK custom-resource provider function', p.excludedFunctions.length);

  return {
    timeScale,
    queues,
    streams: t.streams.map((s) => ({
      id: s.logicalId,
      name: s.name,
      shardCount: s.shardCount,
      mode: s.mode,
      retentionHours: s.retentionHours,
      role: s === roles.events ? ('events' as const) : ('stream' as const),
    })),
    functions,
    sqsMappings,
    kinesisMappings,
    deliveryStreams,
    buckets,
    tables,
    lanes,
    others: {
      queues: queues.filter((q) => !placed.queues.has(q.id)).map((q) => q.id),
      buckets: buckets.filter((b) => !placed.buckets.has(b.id)).map((b) => b.id),
      tables: tables.map((x) => x.id),
      functions: functions.filter((f) => !placed.functions.has(f.id)).map((f) => f.id),
    },
    notEmulated: [...counts.entries()].map(([type, count]) => ({ type, count })),
    notes: p.notes,
  };
}
