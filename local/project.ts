// The project view: which resources of a synthesized template play this project's parts (the worker and the
// consumers, by their function tags; the job queue and its DLQ; the event stream; the archive; the idempotency
// table). Every such project-specific inference lives here, on top of the generic reader (assembly.ts) and
// the generic provisioners (provision/): the local cloud, the cost model (tools/cost/assembly.ts) and the
// benchmarks (bench/lib/assembly.ts) all ask this module.
// It lives in local/ because the local cloud is its first user and tools/ and bench/ already import local/;
// it imports nothing from tools/ or bench/, and lib/ and lambdas/ never import it.
import { NAME_TAG, ROLE_TAG } from '../lib/function-tags';
import type { LocalStream, LocalTable, LocalTopology, OnFailureDestination, LocalBucket, LocalQueue } from './types';

/**
 * The environment variables the project's handlers read (lambdas/shared/env.ts) that name other resources:
 * Powertools' idempotency table and its record expiry, and the job queue a function enqueues to.
 */
export const PROJECT_ENV = {
  idempotencyTable: 'IDEMPOTENCY_TABLE_NAME',
  idempotencyExpirySeconds: 'IDEMPOTENCY_EXPIRY_SECONDS',
  jobQueueUrl: 'JOB_QUEUE_URL',
} as const;

/** A template's Tags property (a list of { Key, Value }, or a map) as a map. */
function tagsOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const t of value) if (t && typeof t === 'object' && 'Key' in t) out[String(t.Key)] = String((t as { Value?: unknown }).Value ?? '');
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out[k] = String(v);
  }
  return out;
}

/** A function's name (its name tag, else its logical id) and role (its role tag: 'worker' or 'consumer') from its Tags. */
export function functionIdentity(logicalId: string, tags: unknown): { name: string; role?: string } {
  const t = tagsOf(tags);
  return { name: t[NAME_TAG] ?? logicalId, ...(t[ROLE_TAG] ? { role: t[ROLE_TAG] } : {}) };
}

/** Which provisioned resources play the project's well-known parts (derived from the mappings, never from names). */
export interface TopologyRoles {
  jobs?: LocalQueue;
  jobsDlq?: LocalQueue;
  events?: LocalStream;
  archive?: LocalBucket;
  failures?: LocalBucket;
  /** the table the functions' IDEMPOTENCY_TABLE_NAME names */
  idempotency?: LocalTable;
}

/** Derives the project's well-known parts from the mappings (and the functions' environment): the worker's queue, its DLQ, the consumers' stream, ... */
export function identifyRoles(topology: LocalTopology, tables: readonly LocalTable[] = []): TopologyRoles {
  const roles: TopologyRoles = {};
  const fnRole = (id: string): string | undefined => topology.functions.find((f) => f.logicalId === id)?.role;
  const sqs = topology.sqsMappings.find((m) => fnRole(m.functionLogicalId) === 'worker') ?? topology.sqsMappings[0];
  if (sqs) {
    roles.jobs = sqs.queue;
    const dlqArn = sqs.queue.redrivePolicy?.deadLetterTargetArn;
    roles.jobsDlq = topology.queues.find((q) => q.arn === dlqArn);
  }
  const counts = new Map<LocalStream, number>();
  for (const m of topology.kinesisMappings) counts.set(m.stream, (counts.get(m.stream) ?? 0) + 1);
  roles.events = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? topology.deliveryStreams[0]?.sourceStream;
  roles.archive = topology.deliveryStreams.find((d) => d.sourceStream === roles.events)?.bucket ?? topology.deliveryStreams[0]?.bucket;
  const s3Failure = topology.kinesisMappings.map((m) => m.onFailure).find((d): d is Extract<OnFailureDestination, { kind: 's3' }> => d?.kind === 's3');
  roles.failures = s3Failure ? topology.buckets.find((b) => b.name === s3Failure.bucketName) : undefined;
  const idempotencyTableName = topology.functions.map((f) => f.environment[PROJECT_ENV.idempotencyTable]).find((n) => n !== undefined);
  roles.idempotency = tables.find((t) => t.name === idempotencyTableName);
  for (const k of Object.keys(roles) as (keyof TopologyRoles)[]) if (roles[k] === undefined) delete roles[k];
  return roles;
}
