/**
 * Figure 2: the producers against local emulators, same payloads both ways, interleaved:
 * publishEvents (PutRecords) vs one PutRecord per event; enqueueJobs (SendMessageBatch) vs one SendMessage per job.
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, PurgeQueueCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createKinesisClient, createSqsClient } from '../../lambdas/shared/aws-clients';
import { newEvent, newJob, serializeEnvelope, type KnownEvent, type KnownJob } from '../../lambdas/shared/envelope';
import { enqueueJobs } from '../../lambdas/shared/producers/enqueue-jobs';
import { publishEvents } from '../../lambdas/shared/producers/publish-events';
import { CREDENTIALS, REGION, startFauxqs, startKinesalite, startKinesisLocal, type Emulator } from '../lib/emulators';
import { median, round, runInterleaved } from '../lib/stats';
import type { BenchOptions, FigureResult, Row } from '../lib/types';

export const EVENTS_TARGET = 10;
export const JOBS_TARGET = 5;
const SHARDS = 2; // the dev stage's stream

const SKUS = ['SKU-TSHIRT-M', 'SKU-MUG-350', 'SKU-POSTER-A2', 'SKU-SOCKS-42', 'SKU-CAP-BLK'];

/** Realistic OrderPlaced events: 1–3 items, a customer e-mail, EUR totals; distinct orders or one key for all. */
export function orderEvents(n: number, keys: 'distinct' | 'single', seed: number): KnownEvent<'OrderPlaced'>[] {
  return Array.from({ length: n }, (_, i) => {
    const orderId = `ord-${seed}-${String(i).padStart(6, '0')}`;
    const items = Array.from({ length: 1 + (i % 3) }, (_, k) => ({
      sku: SKUS[(i + k) % SKUS.length]!,
      quantity: 1 + ((i + k) % 4),
      unitPriceCents: 499 + 250 * k,
    }));
    const totalCents = items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
    return newEvent(
      'OrderPlaced',
      {
        orderId,
        customerEmail: `customer${i % 997}@example.com`,
        items,
        totalCents,
        currency: 'EUR',
        paymentToken: `tok_${(i * 7919) % 100_000}`,
      },
      { partitionKey: keys === 'distinct' ? orderId : 'customer-0042' },
    );
  });
}

/** Realistic send-email jobs (order confirmation), as the notifications consumer enqueues them. */
export function emailJobs(n: number, seed: number): KnownJob<'send-email'>[] {
  return Array.from({ length: n }, (_, i) => {
    const orderId = `ord-${seed}-${String(i).padStart(6, '0')}`;
    return newJob('send-email', { to: `customer${i % 997}@example.com`, template: 'order-confirmation', orderId }, { jobKey: orderId });
  });
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

async function createStream(client: KinesisClient, name: string): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: SHARDS }));
  for (let i = 0; i < 100; i++) {
    const { StreamDescriptionSummary: s } = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (s?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

type EventVariant = 'publishEvents' | 'PutRecord×N';

/** Interleaved pairs publishEvents vs single PutRecords; returns the samples in ms and the payload size. */
async function measureEvents(
  client: KinesisClient,
  stream: string,
  n: number,
  rounds: number,
  keys: 'distinct' | 'single',
): Promise<{ samples: Record<EventVariant, number[]>; bytes: number }> {
  let seed = Date.now();
  let bytes = 0;
  const once = async (variant: EventVariant, count: number): Promise<number> => {
    const events = orderEvents(count, keys, seed++);
    bytes = Buffer.byteLength(serializeEnvelope(events[0]!));
    const t0 = process.hrtime.bigint();
    if (variant === 'publishEvents') {
      const report = await publishEvents(events, { client, streamName: stream });
      if (report.failed > 0) throw new Error(`publishEvents: ${report.failed} of ${count} failed`);
    } else {
      for (const event of events) {
        await client.send(
          new PutRecordCommand({
            StreamName: stream,
            Data: Buffer.from(serializeEnvelope(event), 'utf8'),
            PartitionKey: event.partitionKey,
          }),
        );
      }
    }
    return ms(t0);
  };
  // Warm-up (JIT, keep-alive connection), not recorded.
  await once('publishEvents', Math.min(n, 50));
  await once('PutRecord×N', Math.min(n, 50));
  const samples = await runInterleaved<EventVariant>(['publishEvents', 'PutRecord×N'], rounds, (v) => once(v, n));
  return { samples, bytes };
}

type JobVariant = 'enqueueJobs' | 'SendMessage×N';

async function measureJobs(
  client: SQSClient,
  queueUrl: string,
  n: number,
  rounds: number,
): Promise<{ samples: Record<JobVariant, number[]>; bytes: number }> {
  let seed = Date.now();
  let bytes = 0;
  const once = async (variant: JobVariant, count: number): Promise<number> => {
    const jobs = emailJobs(count, seed++);
    bytes = Buffer.byteLength(serializeEnvelope(jobs[0]!));
    // Each sample starts on an empty queue, outside the timed part.
    await client.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    const t0 = process.hrtime.bigint();
    if (variant === 'enqueueJobs') {
      const report = await enqueueJobs(jobs, { client, queueUrl });
      if (report.failed > 0) throw new Error(`enqueueJobs: ${report.failed} of ${count} failed`);
    } else {
      for (const job of jobs) {
        await client.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: serializeEnvelope(job),
            MessageAttributes: {
              type: { DataType: 'String', StringValue: job.type },
              version: { DataType: 'String', StringValue: String(job.version) },
            },
          }),
        );
      }
    }
    return ms(t0);
  };
  await once('enqueueJobs', Math.min(n, 50));
  await once('SendMessage×N', Math.min(n, 50));
  const samples = await runInterleaved<JobVariant>(['enqueueJobs', 'SendMessage×N'], rounds, (v) => once(v, n));
  return { samples, bytes };
}

const rate = (n: number, msValue: number): number => (n * 1000) / msValue;

function pairRow<K extends string>(
  name: string,
  samples: Record<K, number[]>,
  ours: K,
  baseline: K,
  n: number,
  unit: string,
  target: number | null,
  note: string,
): Row {
  const a = rate(n, median(samples[ours]));
  const b = rate(n, median(samples[baseline]));
  const ratio = a / b;
  return {
    name,
    value: round(a),
    unit,
    baseline: { label: baseline, value: round(b), unit },
    ratio: round(ratio),
    ...(target === null ? {} : { target: { text: `≥ ${target}×`, pass: ratio >= target } }),
    n: samples[ours].length,
    note,
  };
}

export async function producersFigure(options: BenchOptions): Promise<FigureResult> {
  const started = Date.now();
  const n = options.quick ? 100 : 500;
  const rounds = options.quick ? 2 : 7;
  const localN = options.quick ? 50 : 200;
  const localRounds = options.quick ? 1 : 3;
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const running: Emulator[] = [];
  const common = { region: REGION, credentials: CREDENTIALS };
  try {
    // ---- Kinesis: kinesalite
    const kinesalite = await startKinesalite();
    running.push(kinesalite);
    const kinesis = createKinesisClient({ ...common, endpoint: kinesalite.endpoint });
    await createStream(kinesis, 'bench-events');
    options.log('  kinesalite: publishEvents vs PutRecord×N, distinct keys');
    const distinct = await measureEvents(kinesis, 'bench-events', n, rounds, 'distinct');
    raw['kinesalite, distinct keys (ms per sample)'] = distinct.samples;
    rows.push(
      pairRow(
        'publishEvents vs PutRecord per event (kinesalite, distinct keys)',
        distinct.samples,
        'publishEvents',
        'PutRecord×N',
        n,
        'events/s',
        EVENTS_TARGET,
        `${n} OrderPlaced events of ~${distinct.bytes} B per sample, one partition key per order, ${SHARDS} shards`,
      ),
    );
    options.log('  kinesalite: publishEvents vs PutRecord×N, one partition key');
    const single = await measureEvents(kinesis, 'bench-events', n, rounds, 'single');
    raw['kinesalite, one key (ms per sample)'] = single.samples;
    rows.push(
      pairRow(
        'publishEvents vs PutRecord per event (kinesalite, one partition key)',
        single.samples,
        'publishEvents',
        'PutRecord×N',
        n,
        'events/s',
        null,
        'no target: per-key order means one record of a key per request, so N events of one key take N rounds — the same round trips as single puts plus the bookkeeping; by design (AWS does not order records within one PutRecords call when an entry fails)',
      ),
    );
    kinesis.destroy();

    // ---- SQS: fauxqs
    const fauxqs = await startFauxqs();
    running.push(fauxqs);
    const sqs = createSqsClient({ ...common, endpoint: fauxqs.endpoint });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-jobs' }));
    options.log('  fauxqs: enqueueJobs vs SendMessage×N');
    const jobs = await measureJobs(sqs, QueueUrl!, n, rounds);
    raw['fauxqs (ms per sample)'] = jobs.samples;
    rows.push(
      pairRow(
        'enqueueJobs vs SendMessage per job (fauxqs)',
        jobs.samples,
        'enqueueJobs',
        'SendMessage×N',
        n,
        'jobs/s',
        JOBS_TARGET,
        `${n} send-email jobs of ~${jobs.bytes} B per sample; SendMessageBatch carries at most 10 entries, so the ceiling is ~10× minus the larger requests' cost`,
      ),
    );
    sqs.destroy();

    // ---- Kinesis: kinesis-local (optional; the slow engine)
    try {
      const local = await startKinesisLocal();
      running.push(local);
      const client = createKinesisClient({ ...common, endpoint: local.endpoint });
      await createStream(client, 'bench-events');
      options.log('  kinesis-local: publishEvents vs PutRecord×N, distinct keys');
      const kl = await measureEvents(client, 'bench-events', localN, localRounds, 'distinct');
      raw['kinesis-local, distinct keys (ms per sample)'] = kl.samples;
      rows.push(
        pairRow(
          'publishEvents vs PutRecord per event (kinesis-local, distinct keys)',
          kl.samples,
          'publishEvents',
          'PutRecord×N',
          localN,
          'events/s',
          EVENTS_TARGET,
          `${localN} events per sample; kinesis-local is the slower engine (one core saturated), informative beside kinesalite`,
        ),
      );
      client.destroy();
    } catch (error) {
      rows.push({
        name: 'publishEvents vs PutRecord per event (kinesis-local)',
        value: Number.NaN,
        unit: 'events/s',
        note: `not measured: ${(error as Error).message}`,
      });
    }
  } finally {
    for (const e of running.reverse()) await e.stop().catch(() => undefined);
  }
  return {
    id: '2',
    title: 'Producers against the local emulators',
    method:
      `Emulators started by the bench on 127.0.0.1 with free ports (kinesalite in-process, ${SHARDS}-shard stream; fauxqs in-process; ` +
      `kinesis-local as a child). Clients from lambdas/shared/aws-clients.ts with endpoint overrides. Each sample sends N freshly built envelopes ` +
      `(newEvent / newJob, built before the clock starts) either through the producer or one request per envelope, awaited one after ` +
      `another (the naive loop; it skips the producer's validation, which favours the baseline). Variants alternate A,B,B,A…; one unrecorded ` +
      `warm-up of each first; the queue is purged before each sample, outside the timed part. Value = N ÷ median sample time.`,
    rows,
    raw,
    durationMs: Date.now() - started,
  };
}
