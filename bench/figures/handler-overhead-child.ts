/**
 * Child process of figure 3 (run by tsx; stdout goes to /dev/null so the handlers' log and EMF lines cost
 * what writing them costs, without flooding the terminal). Telemetry settings come from the parent through
 * POWERTOOLS_* variables, read when the handler modules load. Writes its samples as JSON to BENCH_RESULT_FILE.
 */
import * as fs from 'node:fs';
import type { Context, KinesisStreamEvent, KinesisStreamRecord, SQSEvent, SQSRecord } from 'aws-lambda';
import { metricsFor } from '../../lambdas/analytics/analytics';
import { handler as analyticsHandler } from '../../lambdas/analytics/handler';
import { createFakePorts } from '../../lambdas/job-worker/fakes';
import { handler as workerHandler } from '../../lambdas/job-worker/handler';
import { runJob } from '../../lambdas/job-worker/jobs';
import { newEvent, newJob, parseEvent, parseJob, serializeEnvelope, type KnownEvent, type KnownJob } from '../../lambdas/shared/envelope';
import { runInterleaved } from '../lib/stats';

const REGION = 'us-east-1';
const QUEUE_ARN = `arn:aws:sqs:${REGION}:000000000000:bench-jobs`;
const STREAM_ARN = `arn:aws:kinesis:${REGION}:000000000000:stream/bench-events`;

function jobs(n: number): KnownJob[] {
  return Array.from({ length: n }, (_, i): KnownJob => {
    const orderId = `ord-${String(i).padStart(6, '0')}`;
    switch (i % 3) {
      case 0:
        return newJob('send-email', { to: `customer${i}@example.com`, template: 'order-confirmation', orderId }, { jobKey: orderId });
      case 1:
        return newJob('process-payment', { orderId, amountCents: 1499 + i, currency: 'EUR', paymentToken: `tok_${i}` }, { jobKey: orderId });
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
      ? newEvent('OrderPlaced', { orderId, customerEmail, items: [{ sku: 'SKU-MUG-350', quantity: 1 + (i % 3), unitPriceCents: 1299 }], totalCents: 1299 * (1 + (i % 3)), currency: 'EUR' }, { partitionKey: orderId })
      : newEvent('OrderShipped', { orderId, customerEmail, carrier: 'DHL', trackingNumber: `JD0146000${i}` }, { partitionKey: orderId });
  });
}

function sqsEvent(n: number): SQSEvent {
  const now = String(Date.now());
  return {
    Records: jobs(n).map(
      (job, i): SQSRecord => ({
        messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        receiptHandle: `rh-${i}`,
        body: serializeEnvelope(job),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: 'AIDABENCH', ApproximateFirstReceiveTimestamp: now },
        messageAttributes: { type: { dataType: 'String', stringValue: job.type, stringListValues: [], binaryListValues: [] } },
        md5OfBody: '0'.repeat(32),
        eventSource: 'aws:sqs',
        eventSourceARN: QUEUE_ARN,
        awsRegion: REGION,
      }),
    ),
  };
}

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

async function main(): Promise<void> {
  const out = process.env['BENCH_RESULT_FILE'];
  if (!out) throw new Error('BENCH_RESULT_FILE is not set');
  const samples = Number(process.env['BENCH_SAMPLES'] ?? '15');
  const recordsPerSample = Number(process.env['BENCH_RECORDS_PER_SAMPLE'] ?? '2000');
  const sizes = [10, 100];
  const batches = new Map<string, { run: () => Promise<unknown>; size: number }>();
  for (const size of sizes) {
    const sqs = sqsEvent(size);
    const kin = kinesisEvent(size);
    batches.set(`worker/handler/${size}`, { size, run: () => workerHandler(sqs, context) });
    batches.set(`worker/bare/${size}`, { size, run: () => bareWorker(sqs) });
    batches.set(`analytics/handler/${size}`, { size, run: () => analyticsHandler(kin, context) });
    batches.set(`analytics/bare/${size}`, { size, run: () => bareAnalytics(kin) });
  }
  // Check once that the handlers succeed on these batches (a failing record would measure the error path).
  for (const [name, b] of batches) {
    const result = (await b.run()) as { batchItemFailures?: unknown[] } | undefined;
    if (result?.batchItemFailures && result.batchItemFailures.length > 0) throw new Error(`${name}: ${result.batchItemFailures.length} records failed`);
  }
  const timeSample = async (name: string): Promise<number> => {
    const b = batches.get(name)!;
    const invocations = Math.max(1, Math.round(recordsPerSample / b.size));
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < invocations; i++) await b.run();
    const ns = Number(process.hrtime.bigint() - t0);
    return ns / 1000 / (invocations * b.size); // µs per record
  };
  const names = [...batches.keys()];
  await runInterleaved(names, 3, timeSample); // warm-up: JIT, not recorded
  const result = await runInterleaved(names, samples, timeSample);
  fs.writeFileSync(out, JSON.stringify({ usPerRecord: result, sink }));
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
