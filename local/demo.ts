// `npm run demo`: jobs (one poison) and events (one malformed) through the local cloud, checked, summarized.
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { CONSUMERS, isConsumerName } from '../lambdas/consumers';
import { BucketReader } from './bucket-reader';
import { deliveredThroughFilter } from './lambda/event-filter';
import { createLocalClients, type LocalClients } from './clients';
import { LocalCloudError, startLocalCloud, type LocalCloud, type LocalCloudOptions } from './index';
import { queueDepth } from './status';
import type { InvocationReport, LocalFunction, LocalQueue } from './types';
import { newEvent, newJob } from '../lambdas/shared/envelope';
import { publishEvents } from '../lambdas/shared/producers/publish-events';
import { enqueueJobs } from '../lambdas/shared/producers/enqueue-jobs';

/** Fast enough that the poison job reaches the DLQ in seconds (maxReceiveCount × visibility timeout × scale). */
export const DEMO_TIME_SCALE = 0.01;

export interface DemoOptions
  extends Pick<LocalCloudOptions, 'assemblyDir' | 'synth' | 'timeScale' | 'kinesis' | 'ports' | 'lambdaPort' | 'stateDir' | 'projectDir'> {
  deadlineSeconds?: number;
  log?: (line: string) => void;
}

export interface DemoSummary {
  ok: boolean;
  failure?: string;
  elapsedSeconds: number;
  kinesisEngine: string;
  timeScale: number;
  published: { goodEvents: number; malformedEvents: number; goodJobs: number; poisonJobs: number };
  /** per consumer function: good events it processed successfully / how many it should see */
  consumers: Record<string, { seen: number; expected: number }>;
  worker: { name: string; invocations: number; jobsOk: number; jobsFailed: number; expectedOk: number };
  poison: { jobId: string; receives: number; maxReceiveCount: number; inDlq: boolean };
  queues: { jobsDepth: number; dlqDepth: number };
  failureBucket: { objects: number; malformedEventFound: boolean };
  archive: { objects: number; records: number };
}

type Envelope = { kind: string; id: string; type: string };

/** Messages in a queue, waiting or in flight. */
async function messagesIn(clients: LocalClients, q: LocalQueue): Promise<number> {
  const { visible, inFlight } = await queueDepth(clients.sqs, q.url);
  return visible + inFlight;
}

/** Reads new objects of a bucket once each (the local buckets are small). */

function archiveRecords(body: Buffer, delimiter: string): number {
  const text = (body[0] === 0x1f && body[1] === 0x8b ? zlib.gunzipSync(body) : body).toString('utf8');
  return text.split(delimiter || '\n').filter((l) => l.trim().length > 0).length;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const log = options.log ?? (() => undefined);
  const t0 = Date.now();
  const reports: InvocationReport[] = [];
  let fatal: LocalCloudError | undefined;
  const timeScale = options.timeScale ?? DEMO_TIME_SCALE;
  const cloud: LocalCloud = await startLocalCloud({
    ...options,
    timeScale,
    quiet: true,
    log,
    onInvocation: (r) => reports.push(r),
    onFatal: (e) => (fatal = e),
  });
  const clients = createLocalClients(cloud.topology.endpoints);
  try {
    return await drive(cloud, clients, reports, () => fatal, options, timeScale, t0, log);
  } finally {
    clients.destroy();
    await cloud.stop();
  }
}

async function drive(
  cloud: LocalCloud,
  clients: LocalClients,
  reports: InvocationReport[],
  fatal: () => LocalCloudError | undefined,
  options: DemoOptions,
  timeScale: number,
  t0: number,
  log: (line: string) => void,
): Promise<DemoSummary> {
  const { topology: t, roles } = cloud;
  if (!roles.jobs || !roles.jobsDlq || !roles.events) {
    throw new LocalCloudError('demo: the assembly needs a worker queue with a DLQ and a stream with consumers');
  }
  const jobsQueue = roles.jobs;
  const dlq = roles.jobsDlq;
  const fnOf = (id: string): LocalFunction => t.functions.find((f) => f.logicalId === id)!;
  const workerMapping = t.sqsMappings.find((m) => m.queue === jobsQueue)!;
  const worker = fnOf(workerMapping.functionLogicalId);
  const consumerMappings = t.kinesisMappings.filter((m) => m.stream === roles.events);

  // ── publish ──
  const orders = [1, 2, 3].map((n) => ({ orderId: `order-${n}`, customerEmail: `customer${n}@example.com` }));
  const events: Envelope[] = [
    ...orders.map((o, i) =>
      newEvent(
        'OrderPlaced',
        { ...o, items: [{ sku: `SKU-${i + 1}`, quantity: i + 1, unitPriceCents: 1250 }], totalCents: 1250 * (i + 1), currency: 'EUR' },
        { partitionKey: o.orderId },
      ),
    ),
    ...orders
      .slice(0, 2)
      .map((o, i) => newEvent('OrderShipped', { ...o, carrier: 'DHL', trackingNumber: `TRACK-${i + 1}` }, { partitionKey: o.orderId })),
  ];
  const goodJobs: Envelope[] = [
    newJob('send-email', { to: 'someone@example.com', template: 'order-confirmation', orderId: 'order-9' }, { jobKey: 'order-9' }),
    newJob('resize-image', { sourceKey: 'uploads/cat.jpg', widths: [128, 512] }, { jobKey: 'uploads/cat.jpg' }),
    newJob('process-payment', { orderId: 'order-9', amountCents: 4200, currency: 'EUR', paymentToken: 'tok_visa' }, { jobKey: 'order-9' }),
  ];
  const poison = newJob(
    'process-payment',
    { orderId: 'order-666', amountCents: 6600, currency: 'EUR', paymentToken: 'tok_chargeDeclined' },
    { jobKey: 'order-666' },
  );
  const malformed = `this is not an envelope {${crypto.randomUUID()}`;

  log(`demo: enqueueing ${goodJobs.length + 1} jobs (one poison), publishing ${events.length + 1} events (one malformed) ...`);
  const enqueued = await enqueueJobs([...goodJobs, poison], { client: clients.sqs, queueUrl: jobsQueue.url });
  if (enqueued.failed > 0) throw new LocalCloudError(`demo: ${enqueued.failed} jobs could not be enqueued`);
  const published = await publishEvents(events, { client: clients.kinesis, streamName: roles.events.name });
  if (published.failed > 0) throw new LocalCloudError(`demo: ${published.failed} events could not be published`);
  // the producer rightly refuses a malformed event: put it raw
  await clients.kinesis.send(
    new PutRecordCommand({ StreamName: roles.events.name, PartitionKey: 'malformed', Data: Buffer.from(malformed) }),
  );

  // ── wait ──
  // each consumer of the manifest in this template enqueues one job per type it lists for every event it handles
  const causedByConsumers = consumerMappings.reduce((n, m) => {
    const name = fnOf(m.functionLogicalId).name;
    if (!isConsumerName(name)) return n;
    const c = CONSUMERS[name];
    return n + events.filter((e) => (c.handles as readonly string[]).includes(e.type)).length * c.enqueues.length;
  }, 0);
  const expectedWorkerOk = goodJobs.length + causedByConsumers;
  const maxReceiveCount = jobsQueue.redrivePolicy?.maxReceiveCount ?? 0;
  const failures = roles.failures ? new BucketReader(clients, roles.failures.name) : undefined;
  const archive = roles.archive ? new BucketReader(clients, roles.archive.name) : undefined;
  const delivery = t.deliveryStreams.find((d) => d.bucket === roles.archive);
  const malformedB64 = Buffer.from(malformed).toString('base64');
  const deadline = t0 + (options.deadlineSeconds ?? 120) * 1000;

  const okIds = (f: LocalFunction): Set<string> => {
    const ids = new Set<string>();
    for (const r of reports) {
      if (r.functionName !== f.name && r.functionName !== f.logicalId) continue;
      const failed = new Set(r.failedIds);
      if (r.outcome === 'ok' || r.outcome === 'partial') for (const id of r.recordIds) if (!failed.has(id)) ids.add(id);
    }
    return ids;
  };
  const snapshot = async (): Promise<{ summary: DemoSummary; pending: string[] }> => {
    const pending: string[] = [];
    const consumers: DemoSummary['consumers'] = {};
    for (const m of consumerMappings) {
      const f = fnOf(m.functionLogicalId);
      const expected = deliveredThroughFilter(m.filterCriteria, events);
      const seen = okIds(f);
      const n = expected.filter((e) => seen.has(e.id)).length;
      consumers[f.name] = { seen: n, expected: expected.length };
      if (n < expected.length) pending.push(`consumer ${f.name} saw ${n} of ${expected.length} good events`);
    }
    const workerReports = reports.filter((r) => r.functionName === worker.name || r.functionName === worker.logicalId);
    const poisonReceives = workerReports.filter((r) => r.recordIds.includes(poison.id)).length;
    const workerOk = okIds(worker);
    const jobsOk = [...workerOk].filter((id) => id !== poison.id).length;
    const jobsFailed = workerReports.reduce(
      (a, r) => a + (r.outcome === 'ok' ? 0 : r.outcome === 'partial' ? r.failedIds.length : r.recordIds.length),
      0,
    );
    if (jobsOk < expectedWorkerOk) pending.push(`worker completed ${jobsOk} of ${expectedWorkerOk} jobs`);
    const [jobsDepth, dlqDepth] = await Promise.all([messagesIn(clients, jobsQueue), messagesIn(clients, dlq)]);
    let inDlq = false;
    if (dlqDepth > 0 && poisonReceives >= maxReceiveCount) {
      // peek without hiding the message (visibility 0)
      const got = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
      inDlq = (got.Messages ?? []).some((m) => m.Body?.includes(poison.id));
    }
    if (!inDlq) pending.push(`poison job not yet in the DLQ (${poisonReceives} of ${maxReceiveCount} receives)`);
    if (jobsDepth > 0) pending.push(`${jobsDepth} jobs still queued`);
    await failures?.refresh();
    const malformedFound = [...(failures?.bodies.values() ?? [])].some((b) => b.includes(malformedB64) || b.includes(malformed));
    if (failures && !malformedFound) pending.push('malformed event not yet in the failure bucket');
    await archive?.refresh();
    const archived = [...(archive?.bodies.values() ?? [])].reduce((a, b) => a + archiveRecords(b, delivery?.delimiter ?? '\n'), 0);
    if (archive && archived < events.length + 1) pending.push(`archive holds ${archived} of ${events.length + 1} records`);
    const summary: DemoSummary = {
      ok: pending.length === 0,
      elapsedSeconds: Math.round((Date.now() - t0) / 100) / 10,
      kinesisEngine: cloud.emulators.kinesis.engine,
      timeScale,
      published: { goodEvents: events.length, malformedEvents: 1, goodJobs: goodJobs.length, poisonJobs: 1 },
      consumers,
      worker: { name: worker.name, invocations: workerReports.length, jobsOk, jobsFailed, expectedOk: expectedWorkerOk },
      poison: { jobId: poison.id, receives: poisonReceives, maxReceiveCount, inDlq },
      queues: { jobsDepth, dlqDepth },
      failureBucket: { objects: failures?.bodies.size ?? 0, malformedEventFound: malformedFound },
      archive: { objects: archive?.bodies.size ?? 0, records: archived },
    };
    return { summary, pending };
  };

  let last = '';
  for (;;) {
    const f = fatal();
    const { summary, pending } = await snapshot();
    if (f) return { ...summary, ok: false, failure: f.message };
    if (pending.length === 0) return summary;
    if (pending[0] !== last) {
      last = pending[0];
      log(`demo: waiting: ${last}`);
    }
    if (Date.now() > deadline)
      return { ...summary, ok: false, failure: `deadline of ${options.deadlineSeconds ?? 120} s passed: ${pending.join('; ')}` };
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function formatDemoSummary(s: DemoSummary): string[] {
  const L = [`demo ${s.ok ? 'passed' : 'FAILED'} in ${s.elapsedSeconds} s (time scale ${s.timeScale}, Kinesis: ${s.kinesisEngine})`];
  L.push(
    `  published: ${s.published.goodEvents} good events + ${s.published.malformedEvents} malformed; ${s.published.goodJobs} good jobs + ${s.published.poisonJobs} poison`,
  );
  for (const [name, c] of Object.entries(s.consumers)) L.push(`  consumer ${name}: ${c.seen}/${c.expected} good events processed`);
  L.push(
    `  worker ${s.worker.name}: ${s.worker.invocations} invocations, ${s.worker.jobsOk}/${s.worker.expectedOk} jobs done (incl. jobs enqueued by consumers), ${s.worker.jobsFailed} failed attempts`,
  );
  L.push(
    `  poison job: ${s.poison.receives} receives (maxReceiveCount ${s.poison.maxReceiveCount}) → ${s.poison.inDlq ? 'in the DLQ' : 'NOT in the DLQ'}`,
  );
  L.push(`  queues: jobs ${s.queues.jobsDepth}, DLQ ${s.queues.dlqDepth}`);
  L.push(
    `  failure bucket: ${plural(s.failureBucket.objects, 'object')} (one per consumer that gave up on it), malformed event ${s.failureBucket.malformedEventFound ? 'found with its payload' : 'NOT found'}`,
  );
  L.push(`  archive: ${plural(s.archive.objects, 'object')}, ${plural(s.archive.records, 'record')} (GZIP NDJSON)`);
  if (s.failure) L.push(`  failure: ${s.failure}`);
  return L;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
