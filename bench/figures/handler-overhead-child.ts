/**
 * Child process of figure 3 (run by tsx; stdout goes to /dev/null so the handlers' log and EMF lines cost
 * what writing them costs, without flooding the terminal). Telemetry settings and the idempotency table
 * (IDEMPOTENCY_*, AWS_ENDPOINT_URL_DYNAMODB = the parent's dynalite) come from the parent's environment, read
 * when the handler modules load, as on Lambda. Writes its samples as JSON to BENCH_RESULT_FILE.
 *
 * Series per batch size: the worker with its idempotency storage in memory (in-memory-idempotency.ts), the
 * same with its storage on dynalite, the bare loop; for analytics, the deployed handler ("handler": no
 * idempotency records, lambdas/consumers.ts) and the same consumer built with the manifest's `dynamodb` mode
 * ("with-idempotency" in memory, "dynamodb" on dynalite): what a consumer that needs records pays. Every invocation gets fresh envelopes (new
 * ids, built before the clock starts): a repeated batch would measure the duplicate path.
 */
import { sqsEvent as sqsEventOf } from './capacity';
import * as fs from 'node:fs';
import type { Context, KinesisStreamEvent, KinesisStreamRecord, SQSEvent } from 'aws-lambda';
import { metricsFor } from '../../lambdas/analytics/analytics';
import { handler as analyticsHandler } from '../../lambdas/analytics/handler';
import { CONSUMERS } from '../../lambdas/consumers';
import { createFakePorts } from '../../lambdas/job-worker/fakes';
import { handler as workerHandler } from '../../lambdas/job-worker/handler';
import { runJob } from '../../lambdas/job-worker/jobs';
import { newEvent, newJob, parseEvent, parseJob, serializeEnvelope, type KnownEvent, type KnownJob } from '../../lambdas/shared/envelope';
import { createIdempotency } from '../../lambdas/shared/idempotency';
import { streamConsumerHandler } from '../../lambdas/shared/stream-consumer';
import { createTelemetry } from '../../lambdas/shared/telemetry';
import { runInterleaved } from '../lib/stats';
import { installInMemoryIdempotency, type StoreMode } from './in-memory-idempotency';

const store = installInMemoryIdempotency();

const REGION = 'us-east-1';
const STREAM_ARN = `arn:aws:kinesis:${REGION}:000000000000:stream/bench-events`;

function jobs(n: number): KnownJob[] {
  return Array.from({ length: n }, (_, i): KnownJob => {
    const orderId = `ord-${String(i).padStart(6, '0')}`;
    switch (i % 3) {
      case 0:
        return newJob('send-email', { to: `customer${i}@example.com`, template: 'order-confirmation', orderId }, { jobKey: orderId });
      case 1:
        return newJob(
          'process-payment',
          { orderId, amountCents: 1499 + i, currency: 'EUR', paymentToken: `tok_${i}` },
          { jobKey: orderId },
        );
      default:
        return newJob('resize-image', { sourceKey: `uploads/${orderId}/photo.jpg`, widths: [320, 640] }, { jobKey: orderId });
    }
  });
}

function events(n: number): KnownEvent[] {
  return Array.from({ length: n }, (_, i): KnownEvent => {
    const orderId = `ord-${String(i).padStart(6, '0')}`;
    const customerEmail = `customer${i}@example.com`;
    return i % 2 === 0
      ? newEvent(
          'OrderPlaced',
          {
            orderId,
            customerEmail,
            items: [{ sku: 'SKU-MUG-350', quantity: 1 + (i % 3), unitPriceCents: 1299 }],
            totalCents: 1299 * (1 + (i % 3)),
            currency: 'EUR',
          },
          { partitionKey: orderId },
        )
      : newEvent('OrderShipped', { orderId, customerEmail, carrier: 'DHL', trackingNumber: `JD0146000${i}` }, { partitionKey: orderId });
  });
}

const sqsEvent = (n: number): SQSEvent => sqsEventOf(jobs(n));

function kinesisEvent(n: number): KinesisStreamEvent {
  return {
    Records: events(n).map(
      (event, i): KinesisStreamRecord => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: event.partitionKey,
          sequenceNumber: `4959${String(i).padStart(52, '0')}`,
          data: Buffer.from(serializeEnvelope(event), 'utf8').toString('base64'),
          approximateArrivalTimestamp: Date.now() / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:4959${i}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/bench',
        awsRegion: REGION,
        eventSourceARN: STREAM_ARN,
      }),
    ),
  };
}

const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${REGION}:000000000000:function:bench`,
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/bench',
  logStreamName: '2026/01/01/[$LATEST]bench',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const ports = createFakePorts();
let sink = 0; // keeps the bare loops' results observable

/** The worker's work without the framework: parse each body, run the job. */
async function bareWorker(event: SQSEvent): Promise<void> {
  for (const record of event.Records) {
    const parsed = parseJob(record.body);
    if (!parsed.ok) throw new Error(parsed.message);
    const outcome = await runJob(parsed.envelope, ports);
    sink += outcome.type.length;
  }
}

/** The analytics consumer's work without the framework: decode, parse, compute its metric points. */
async function bareAnalytics(event: KinesisStreamEvent): Promise<void> {
  for (const record of event.Records) {
    const parsed = parseEvent(Buffer.from(record.kinesis.data, 'base64'));
    if (!parsed.ok) throw new Error(parsed.message);
    const event = parsed.envelope;
    if (event.type !== 'OrderPlaced' && event.type !== 'OrderShipped') continue;
    for (const point of metricsFor(event)) sink += point.value;
  }
}

/**
 * lambdas/analytics/handler.ts's consumer built through the same factory with the manifest's other
 * idempotency mode, `dynamodb` (a Powertools record per event): what a consumer whose side effect needs
 * records pays. The deployed analytics handler keeps none (lambdas/consumers.ts).
 */
const analyticsWithIdempotency = streamConsumerHandler(
  'analytics',
  {
    onEvent: (event, { counters }) => {
      for (const point of metricsFor(event)) counters.add(point.name, point.value, point.dimensions, point.unit);
    },
  },
  { manifest: { ...CONSUMERS.analytics, idempotency: 'dynamodb' }, idempotency: createIdempotency(), telemetry: createTelemetry() },
);

interface Series {
  readonly size: number;
  readonly store: StoreMode;
  readonly records: number;
  readonly build: (size: number) => unknown;
  readonly run: (event: never) => Promise<unknown>;
}

async function main(): Promise<void> {
  const out = process.env['BENCH_RESULT_FILE'];
  if (!out) throw new Error('BENCH_RESULT_FILE is not set');
  const samples = Number(process.env['BENCH_SAMPLES'] ?? '15');
  const recordsPerSample = Number(process.env['BENCH_RECORDS_PER_SAMPLE'] ?? '2000');
  const dynamoRecordsPerSample = Number(process.env['BENCH_DYNAMODB_RECORDS_PER_SAMPLE'] ?? '200');
  const sizes = [10, 100];
  const series = new Map<string, Series>();
  const mem = (records: number) => ({ store: 'memory' as const, records });
  for (const size of sizes) {
    series.set(`worker/handler/${size}`, {
      size,
      ...mem(recordsPerSample),
      build: sqsEvent,
      run: (e: SQSEvent) => workerHandler(e, context),
    });
    series.set(`worker/bare/${size}`, { size, ...mem(recordsPerSample), build: sqsEvent, run: (e: SQSEvent) => bareWorker(e) });
    series.set(`worker/dynamodb/${size}`, {
      size,
      store: 'dynamodb',
      records: dynamoRecordsPerSample,
      build: sqsEvent,
      run: (e: SQSEvent) => workerHandler(e, context),
    });
    series.set(`analytics/handler/${size}`, {
      size,
      ...mem(recordsPerSample),
      build: kinesisEvent,
      run: (e: KinesisStreamEvent) => analyticsHandler(e, context),
    });
    series.set(`analytics/bare/${size}`, {
      size,
      ...mem(recordsPerSample),
      build: kinesisEvent,
      run: (e: KinesisStreamEvent) => bareAnalytics(e),
    });
    series.set(`analytics/with-idempotency/${size}`, {
      size,
      ...mem(recordsPerSample),
      build: kinesisEvent,
      run: (e: KinesisStreamEvent) => analyticsWithIdempotency(e, context),
    });
    series.set(`analytics/dynamodb/${size}`, {
      size,
      store: 'dynamodb',
      records: dynamoRecordsPerSample,
      build: kinesisEvent,
      run: (e: KinesisStreamEvent) => analyticsWithIdempotency(e, context),
    });
  }
  // Check once that every series succeeds on fresh batches (a failing record would measure the error path) and
  // that the storage calls go where the series says.
  for (const [name, s] of series) {
    store.mode = s.store;
    const before = store.size();
    const result = (await s.run(s.build(s.size) as never)) as { batchItemFailures?: unknown[] } | undefined;
    if (result?.batchItemFailures && result.batchItemFailures.length > 0)
      throw new Error(`${name}: ${result.batchItemFailures.length} records failed`);
    const grew = store.size() - before;
    const keepsRecords = name.startsWith('worker/handler/') || name.includes('/with-idempotency/') || name.includes('/dynamodb/');
    const expected = keepsRecords && s.store === 'memory' ? s.size : 0;
    if (grew !== expected) throw new Error(`${name}: ${grew} in-memory idempotency records written, expected ${expected}`);
  }
  const timeSample = async (name: string): Promise<number> => {
    const s = series.get(name)!;
    const invocations = Math.max(1, Math.round(s.records / s.size));
    const batches = Array.from({ length: invocations }, () => s.build(s.size) as never);
    store.mode = s.store;
    const t0 = process.hrtime.bigint();
    for (const batch of batches) await s.run(batch);
    const ns = Number(process.hrtime.bigint() - t0);
    return ns / 1000 / (invocations * s.size); // µs per record
  };
  const names = [...series.keys()];
  await runInterleaved(names, 3, timeSample); // warm-up: JIT, not recorded
  const result = await runInterleaved(names, samples, timeSample);
  fs.writeFileSync(out, JSON.stringify({ usPerRecord: result, sink, inMemoryRecords: store.size() }));
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
