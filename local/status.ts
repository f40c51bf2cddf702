// The live status view: per function counters, queue / DLQ depth, consumer lag, archive objects.
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { listObjects } from '../tools/ops/s3-objects';
import * as path from 'node:path';
import { createLocalClients, type LocalClients } from './clients';
import type { LambdaServiceStats, LocalBucket, LocalQueue, LocalTopology } from './types';
import type { TopologyRoles } from './project';

export interface StatusSnapshot {
  at: string;
  functions: {
    name: string;
    role?: string;
    invocations: number;
    recordsOk: number;
    recordsFailed: number;
    errors: number;
    timeouts: number;
  }[];
  queues: { name: string; role?: string; visible: number; inFlight: number }[];
  consumers: { mapping: string; function: string; behindRecords: number; millisBehind: number }[];
  buckets: { name: string; role?: string; objects: number }[];
  onFailureRecords: number;
}

export interface StatusSampler {
  sample(): Promise<StatusSnapshot>;
  close(): void;
}

/**
 * A queue's messages: waiting (visible), received but not yet deleted (in flight), and sent with a delay not
 * yet over (delayed). The status view, the demo, the console and the tests all read a queue this way.
 */
export async function queueDepth(
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const a =
    (
      await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      )
    ).Attributes ?? {};
  return {
    visible: Number(a['ApproximateNumberOfMessages'] ?? 0),
    inFlight: Number(a['ApproximateNumberOfMessagesNotVisible'] ?? 0),
    delayed: Number(a['ApproximateNumberOfMessagesDelayed'] ?? 0),
  };
}

/** Counts a bucket's objects. */
export async function countObjects(clients: LocalClients, bucket: LocalBucket | string): Promise<number> {
  return (await listObjects(clients.s3, typeof bucket === 'string' ? bucket : bucket.name)).length;
}

export function createStatusSampler(topology: LocalTopology, roles: TopologyRoles, stats: () => LambdaServiceStats): StatusSampler {
  const clients = createLocalClients(topology.endpoints, topology.endpoints.region);
  const roleOfQueue = (q: LocalQueue): string | undefined => (q === roles.jobs ? 'jobs' : q === roles.jobsDlq ? 'dlq' : undefined);
  const roleOfBucket = (b: LocalBucket): string | undefined =>
    b === roles.archive ? 'archive' : b === roles.failures ? 'failures' : undefined;
  return {
    async sample(): Promise<StatusSnapshot> {
      const s = stats();
      const fnByLogical = new Map(topology.functions.map((f) => [f.logicalId, f]));
      const functions = topology.functions.map((f) => {
        const c = s.functions[f.name] ??
          s.functions[f.logicalId] ?? { invocations: 0, recordsOk: 0, recordsFailed: 0, errors: 0, timeouts: 0 };
        return { name: f.name, ...(f.role ? { role: f.role } : {}), ...c };
      });
      const queues = await Promise.all(
        topology.queues.map(async (q) => {
          const { visible, inFlight } = await queueDepth(clients.sqs, q.url);
          return { name: q.name, ...(roleOfQueue(q) ? { role: roleOfQueue(q) } : {}), visible, inFlight };
        }),
      );
      const consumers = topology.kinesisMappings.map((m) => {
        const lag = s.consumerLag[m.logicalId] ??
          s.consumerLag[fnByLogical.get(m.functionLogicalId)?.name ?? ''] ?? { behindRecords: 0, millisBehind: 0 };
        return { mapping: m.logicalId, function: fnByLogical.get(m.functionLogicalId)?.name ?? m.functionLogicalId, ...lag };
      });
      const buckets = await Promise.all(
        topology.buckets.map(async (b) => ({
          name: b.name,
          ...(roleOfBucket(b) ? { role: roleOfBucket(b) } : {}),
          objects: await countObjects(clients, b),
        })),
      );
      const onFailureRecords = Object.values(s.onFailureRecords).reduce((a, b) => a + b, 0);
      return { at: new Date().toISOString(), functions, queues, consumers, buckets, onFailureRecords };
    },
    close: () => clients.destroy(),
  };
}

const pad = (s: string | number, n: number): string => String(s).padEnd(n);

/** A multi-line table for a TTY (redrawn in place). */
export function formatStatusTable(s: StatusSnapshot): string[] {
  const lines: string[] = [];
  lines.push(`status ${s.at.slice(11, 19)}   (Ctrl-C stops everything)`);
  lines.push(`  ${pad('function', 22)}${pad('invocations', 13)}${pad('records ok', 12)}${pad('failed', 8)}${pad('errors', 8)}timeouts`);
  for (const f of s.functions) {
    lines.push(
      `  ${pad(f.name, 22)}${pad(f.invocations, 13)}${pad(f.recordsOk, 12)}${pad(f.recordsFailed, 8)}${pad(f.errors, 8)}${f.timeouts}`,
    );
  }
  const q = s.queues.map((x) => `${x.role ?? x.name} ${x.visible}+${x.inFlight} in flight`).join('   ');
  lines.push(`  queues: ${q || '-'}`);
  const lag = s.consumers.map((c) => `${c.function} ${c.behindRecords} rec / ${c.millisBehind} ms`).join('   ');
  lines.push(`  consumer lag: ${lag || '-'}`);
  const b = s.buckets.map((x) => `${x.role ?? x.name} ${x.objects}`).join('   ');
  lines.push(`  bucket objects: ${b || '-'}   on-failure records: ${s.onFailureRecords}`);
  return lines;
}

/** One line, for logs when stdout is not a TTY. */
export function formatStatusLine(s: StatusSnapshot): string {
  const f = s.functions.map((x) => `${x.name} ${x.invocations}inv ${x.recordsOk}ok ${x.recordsFailed}fail`).join(', ');
  const q = s.queues.map((x) => `${x.role ?? x.name}=${x.visible + x.inFlight}`).join(' ');
  const lag = s.consumers.map((c) => `${c.function}=${c.behindRecords}`).join(' ');
  const b = s.buckets.map((x) => `${x.role ?? x.name}=${x.objects}`).join(' ');
  return `[${s.at.slice(11, 19)}] ${f} | queues ${q} | lag ${lag} | objects ${b}`;
}

/** The start-up banner: endpoints, resources, functions and their mappings, what is not emulated, how to connect. */
export function formatBanner(cloud: {
  topology: LocalTopology;
  roles: TopologyRoles;
  endpointsFile: string;
  provisioned: {
    notEmulated: { type: string }[];
    excludedFunctions: unknown[];
    notes: string[];
    consumers: { name: string; registered: boolean }[];
  };
  emulators: { kinesis: { engine: string } };
  timings: { synthMs: number; startMs: number };
  endpoints: { timeScale: number; env: Record<string, string>; endpoints?: { console?: string } };
  /** where the state lives (--persist: on disk) */
  persistence?: { mode: 'disk'; dir: string; resumed: boolean } | { mode: 'memory' };
  /** function name → the Node it runs on */
  nodes?: Record<string, { version: string; matched: boolean; wanted?: number }>;
}): string[] {
  const { topology: t, roles } = cloud;
  const e = t.endpoints;
  const L: string[] = [];
  const secs = (ms: number): string => (ms / 1000).toFixed(1);
  L.push(
    `queue-and-stream local cloud — ready in ${secs(cloud.timings.startMs)} s${cloud.timings.synthMs > 50 ? ` (after a ${secs(cloud.timings.synthMs)} s synth)` : ''}`,
  );
  const ts = cloud.endpoints.timeScale;
  L.push(
    ts === 1
      ? '  time scale 1: template waits (visibility timeouts, batching windows, backoff, buffering) run in real time (--time-scale <f> to speed up)'
      : `  time scale ${ts}: every wait the template implies runs ${ts < 1 ? `${+(1 / ts).toFixed(2)}× faster` : `${ts}× slower`} (visibility timeouts, batching windows, backoff, Firehose buffering)`,
  );
  L.push(`  SQS + S3  ${e.sqs}  (fauxqs)`);
  L.push(`  Kinesis   ${e.kinesis}  (${cloud.emulators.kinesis.engine})`);
  if (e.dynamodb) L.push(`  DynamoDB  ${e.dynamodb}  (dynalite)`);
  if (cloud.endpoints.env['AWS_ENDPOINT_URL_LAMBDA']) L.push(`  Lambda    ${cloud.endpoints.env['AWS_ENDPOINT_URL_LAMBDA']}  (Invoke API)`);
  if (cloud.persistence) L.push(`  State     ${formatPersistence(cloud.persistence)}`);
  if (cloud.endpoints.endpoints?.console)
    L.push(
      `  Console   ${cloud.endpoints.endpoints.console}  (open it in a browser: the queue and the stream live; --no-console turns it off)`,
    );
  L.push('  resources:');
  for (const q of t.queues) {
    const role = q === roles.jobs ? 'jobs queue' : q === roles.jobsDlq ? 'jobs DLQ' : 'queue';
    const dlq = q.redrivePolicy
      ? `, DLQ after ${q.redrivePolicy.maxReceiveCount} receives → ${t.queues.find((x) => x.arn === q.redrivePolicy?.deadLetterTargetArn)?.name}`
      : '';
    L.push(`    ${role.padEnd(15)}${q.url}  (visibility ${q.visibilityTimeoutSeconds} s${dlq})`);
  }
  for (const s of t.streams) {
    L.push(
      `    ${(s === roles.events ? 'events stream' : 'stream').padEnd(15)}${s.name}  (${s.shardCount} shards${s.mode === 'ON_DEMAND' ? ', ON_DEMAND' : ''}, ${s.retentionHours} h)`,
    );
  }
  for (const b of t.buckets) {
    L.push(`    ${(b === roles.archive ? 'archive bucket' : b === roles.failures ? 'failure bucket' : 'bucket').padEnd(15)}${b.name}`);
  }
  L.push('  functions:');
  for (const f of t.functions) {
    const node = cloud.nodes?.[f.name];
    const on = node ? ` on Node ${node.version}${node.matched ? '' : ` (no Node ${node.wanted ?? '?'} installed here)`}` : '';
    L.push(`    ${f.name}${f.role ? ` (${f.role})` : ''}: ${f.handler} ${f.runtime}${on}, ${f.timeoutSeconds} s, ${f.memoryMb} MB`);
    for (const m of t.sqsMappings.filter((x) => x.functionLogicalId === f.logicalId)) {
      const bits = [`batch ${m.batchSize}`, `window ${m.maximumBatchingWindowSeconds} s`];
      if (m.reportBatchItemFailures) bits.push('partial batch response');
      if (m.maximumConcurrency) bits.push(`max concurrency ${m.maximumConcurrency}`);
      if (m.filterCriteria) bits.push('filtered');
      if (!m.enabled) bits.push('DISABLED');
      L.push(`      ← SQS ${m.queue.name} (${bits.join(', ')})`);
    }
    for (const m of t.kinesisMappings.filter((x) => x.functionLogicalId === f.logicalId)) {
      const bits = [m.startingPosition, `batch ${m.batchSize}`, `window ${m.maximumBatchingWindowSeconds} s`];
      if (m.parallelizationFactor > 1) bits.push(`parallelization ${m.parallelizationFactor}`);
      if (m.bisectBatchOnFunctionError) bits.push('bisect');
      bits.push(`retries ${m.maximumRetryAttempts === -1 ? '∞' : m.maximumRetryAttempts}`);
      bits.push(`max age ${m.maximumRecordAgeInSeconds === -1 ? '∞' : `${m.maximumRecordAgeInSeconds} s`}`);
      if (m.reportBatchItemFailures) bits.push('partial batch response');
      if (m.onFailure)
        bits.push(`on failure → ${m.onFailure.kind} ${m.onFailure.kind === 's3' ? m.onFailure.bucketName : m.onFailure.arn}`);
      if (m.filterCriteria) bits.push('filtered');
      if (m.streamConsumerName) bits.push(`EFO consumer ${m.streamConsumerName}`);
      if (!m.enabled) bits.push('DISABLED');
      L.push(`      ← Kinesis ${m.stream.name} (${bits.join(', ')})`);
    }
  }
  for (const d of t.deliveryStreams) {
    L.push(
      `  firehose ${d.name}: ${d.sourceStream.name} → s3://${d.bucket.name}/${d.prefix} (${d.compression}, ${d.bufferingIntervalSeconds} s / ${d.bufferingSizeMiB} MiB${d.appendDelimiter ? `, delimiter ${JSON.stringify(d.delimiter)}` : ''})`,
    );
  }
  const counts = new Map<string, number>();
  for (const n of cloud.provisioned.notEmulated) counts.set(n.type, (counts.get(n.type) ?? 0) + 1);
  if (cloud.provisioned.excludedFunctions.length)
    counts.set('CDK custom-resource provider function', cloud.provisioned.excludedFunctions.length);
  if (counts.size) {
    L.push(
      `  not emulated (no local effect): ${[...counts.entries()].map(([k, n]) => `${k.replace(/^AWS::/, '')}${n > 1 ? ` ×${n}` : ''}`).join(', ')}`,
    );
  }
  for (const n of cloud.provisioned.notes) L.push(`  note: ${n}`);
  // the send commands read <state dir>/endpoints.json: name the state directory unless it is the default
  const stateDir = path.relative(process.cwd(), path.dirname(cloud.endpointsFile)) || '.';
  L.push(
    ...formatConnectHelp(cloud.endpoints.env, {
      sqs: e.sqs,
      kinesis: e.kinesis,
      ...(roles.jobs ? { jobQueueUrl: roles.jobs.url } : {}),
      ...(roles.events ? { streamName: roles.events.name } : {}),
      ...(stateDir !== '.local' ? { stateDir } : {}),
    }),
  );
  L.push(`  endpoints and names: ${cloud.endpointsFile}`);
  return L;
}

/** The banner's State line: on disk (and whether an earlier run's state was found) or in memory. */
export function formatPersistence(p: { mode: 'disk'; dir: string; resumed: boolean } | { mode: 'memory' }): string {
  if (p.mode === 'memory')
    return 'in memory: a stop loses queues, streams, buckets and idempotency records (npm start -- --persist keeps them on disk)';
  const dir = path.relative(process.cwd(), p.dir) || p.dir;
  return `on disk under ${dir} (--persist): queues, streams, buckets, idempotency records and stream positions survive a restart${p.resumed ? '; restored from the last run' : '; none found from an earlier run'}`;
}

/** The banner's example `npm run publish` / `npm run enqueue` commands (a test runs them as printed). */
export const SHELL_EXAMPLES = {
  publish: `npm run publish -- OrderShipped '{"orderId":"order-1","customerEmail":"ada@example.com","carrier":"UPS","trackingNumber":"1Z999"}' --key order-1`,
  enqueue: `npm run enqueue -- send-email '{"to":"ada@example.com","template":"order-shipped","orderId":"order-1"}' --key order-1`,
} as const;

/**
 * How to reach the local cloud from a shell: one export line for every AWS CLI and SDK (region for both
 * spellings, dummy credentials, the service endpoints), which tools honour AWS_ENDPOINT_URL_*, what the
 * ones that do not need, and the commands that send an event or a job.
 */
export function formatConnectHelp(
  env: Record<string, string>,
  t: { sqs: string; kinesis: string; jobQueueUrl?: string; streamName?: string /** when not .local */; stateDir?: string },
): string[] {
  const where = t.stateDir ? ` --state-dir ${/^[\w./-]+$/.test(t.stateDir) ? t.stateDir : `'${t.stateDir}'`}` : '';
  const L: string[] = [];
  L.push('  from another shell (AWS CLI v2 ≥ 2.13 and the SDKs — JS v3, boto3 ≥ 1.28, Java, Go, … — read all of these):');
  L.push(
    `    export ${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  if (t.streamName) L.push(`    aws kinesis describe-stream-summary --stream-name ${t.streamName}`);
  if (t.jobQueueUrl) L.push(`    aws sqs get-queue-attributes --endpoint-url ${t.sqs} --queue-url ${t.jobQueueUrl} --attribute-names All`);
  L.push(`    AWS CLI v1 reads AWS_DEFAULT_REGION but not AWS_ENDPOINT_URL_SQS: give aws sqs --endpoint-url ${t.sqs} (as above);`);
  L.push(`    before 1.29 it reads no AWS_ENDPOINT_URL_*: give every command --endpoint-url (${t.sqs} sqs and s3, ${t.kinesis} kinesis)`);
  L.push('    Kinesis answers HTTP/1.1 and HTTP/2: a plain SDK v3 KinesisClient works as it is');
  if (t.streamName || t.jobQueueUrl) {
    L.push('  send an event or a job (validated like the producers; --file <path> or stdin for the data):');
    if (t.streamName) L.push(`    ${SHELL_EXAMPLES.publish}${where}`);
    if (t.jobQueueUrl) L.push(`    ${SHELL_EXAMPLES.enqueue}${where}`);
  }
  return L;
}
