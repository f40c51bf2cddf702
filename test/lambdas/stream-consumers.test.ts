import './env';
import type { KinesisStreamRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as analytics } from '../../lambdas/analytics/handler';
import { handler as notifications } from '../../lambdas/notifications/handler';
import { handler as payments } from '../../lambdas/payments/handler';
import { CONSUMERS } from '../../lambdas/consumers';
import { deriveId, serializeEnvelope } from '../../lambdas/shared/envelope';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { createIdempotency } from '../../lambdas/shared/idempotency';
import { jobQueue } from '../../lambdas/shared/job-queue';
import { BATCH_DONE, EVENT_MESSAGES } from '../../lambdas/shared/log-messages';
import { streamConsumerHandler } from '../../lambdas/shared/stream-consumer';
import { emailJobFor } from '../../lambdas/notifications/notifications';
import type { FakeSqs } from './fake-clients';
import {
  captureOutput,
  emfMetrics,
  eventRecord,
  kinesisEvent,
  kinesisRecord,
  lambdaContext,
  orderPlaced,
  orderShipped,
  sendEmailJob,
} from './factories';
import { useIdempotencyStore } from './idempotency-store';

const sqs = vi.hoisted(() => ({ current: undefined as unknown as FakeSqs }));
vi.mock('../../lambdas/shared/clients/sqs', async () => {
  const { FakeSqs: Fake } = await import('./fake-clients');
  sqs.current = new Fake();
  return { sqsClient: () => sqs.current, createSqsClient: () => sqs.current };
});

const store = useIdempotencyStore();

let output: ReturnType<typeof captureOutput>;
beforeEach(() => {
  sqs.current.reset();
  output = captureOutput();
});
afterEach(() => output.restore());

const run = (fn: typeof analytics, records: KinesisStreamRecord[]) => fn(kinesisEvent(records), lambdaContext());
const failures = (records: KinesisStreamRecord[]) => records.map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber }));
const consumers = { notifications, payments, analytics } as const;

describe('notifications consumer', () => {
  it('enqueues a send-email job per order event, caused by the event, keyed by the order', async () => {
    const placed = orderPlaced({ customerEmail: 'grace@example.com' });
    const shipped = orderShipped({ orderId: placed.data.orderId, customerEmail: 'grace@example.com' });
    await expect(run(notifications, [eventRecord(placed), eventRecord(shipped)])).resolves.toEqual({ batchItemFailures: [] });
    expect(sqs.current.jobs()).toEqual([
      expect.objectContaining({
        kind: 'job',
        type: 'send-email',
        id: deriveId(placed.id, 'send-email'),
        jobKey: placed.data.orderId,
        causationId: placed.id,
        data: { to: 'grace@example.com', template: 'order-confirmation', orderId: placed.data.orderId },
      }),
      expect.objectContaining({
        type: 'send-email',
        causationId: shipped.id,
        data: expect.objectContaining({ template: 'order-shipped' }),
      }),
    ]);
    expect(sqs.current.requests[0]!.QueueUrl).toBe(process.env['JOB_QUEUE_URL']);
    expect(emfMetrics(output.lines())).toMatchObject({
      'EventsProcessed{eventType=OrderPlaced}': 1,
      'EventsProcessed{eventType=OrderShipped}': 1,
      'JobsEnqueued{jobType=send-email}': 2,
    });
  });

  it('has no records of its own: a redelivered event enqueues the same job id again, for the worker to run once', async () => {
    const placed = orderPlaced();
    await run(notifications, [eventRecord(placed)]);
    await run(notifications, [eventRecord(placed)]);
    const [first, second] = sqs.current.jobs();
    expect(first!['id']).toBe(deriveId(placed.id, 'send-email'));
    expect(second!['id']).toBe(first!['id']);
    expect(await store().records()).toEqual([]);
  });

  it('a job that is not accepted fails only its record (and the later records of its key); other keys succeed', async () => {
    const events = [orderPlaced(), orderPlaced(), orderPlaced(), orderPlaced()];
    const sameKeyAsDoomed = orderShipped({ orderId: events[1]!.data.orderId });
    const doomed = deriveId(events[1]!.id, 'send-email');
    sqs.current.rule = ({ id }) => (id === doomed ? { Code: 'InvalidMessageContents', SenderFault: true } : undefined);
    const records = [...events.map(eventRecord), eventRecord(sameKeyAsDoomed)];
    const response = await run(notifications, records);
    expect(response.batchItemFailures).toEqual(failures([records[1]!, records[4]!]));
    expect(
      sqs.current
        .jobs()
        .map((j) => j['causationId'])
        .sort(),
    ).toEqual([events[0]!.id, events[2]!.id, events[3]!.id, sameKeyAsDoomed.id].sort());
    const error = output.lines().find((l) => l['message'] === EVENT_MESSAGES.failed);
    expect(error).toMatchObject({
      envelopeId: events[1]!.id,
      sequenceNumber: records[1]!.kinesis.sequenceNumber,
      error: { name: 'DeliveryFailedError' },
    });
    // only the record before the checkpoint (index 0) is counted: Lambda delivers 1..4 again
    expect(emfMetrics(output.lines())).toMatchObject({
      'EventsProcessed{eventType=OrderPlaced}': 1,
      'JobsEnqueued{jobType=send-email}': 1,
    });
  });

  it('sends every job of the invocation in SendMessageBatch requests of at most 10, in parallel', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    sqs.current.delay = async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
    };
    const events = Array.from({ length: 25 }, () => orderPlaced());
    await expect(run(notifications, events.map(eventRecord))).resolves.toEqual({ batchItemFailures: [] });
    expect(sqs.current.requests.map((r) => r.Entries!.length)).toEqual([10, 10, 5]);
    expect(maxInFlight).toBe(3);
    expect(
      sqs.current
        .jobs()
        .map((j) => j['causationId'])
        .sort(),
    ).toEqual(events.map((e) => e.id).sort());
  });

  it('runs the records of one partition key in order, and different keys concurrently', async () => {
    const seen: string[] = [];
    const gates = new Map<string, () => void>();
    const consumer = streamConsumerHandler(
      'notifications',
      {
        onEvent: async (event, { enqueue }) => {
          seen.push(`start ${event.id}`);
          await new Promise<void>((resolve) => gates.set(event.id, resolve));
          seen.push(`end ${event.id}`);
          enqueue(emailJobFor(event));
        },
      },
      { jobQueue: jobQueue(sqs.current) },
    );
    const a1 = orderPlaced({ orderId: 'key-a' });
    const a2 = orderShipped({ orderId: 'key-a' });
    const b1 = orderPlaced({ orderId: 'key-b' });
    const pending = consumer(kinesisEvent([a1, a2, b1].map(eventRecord)), lambdaContext());
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen).toEqual([`start ${a1.id}`, `start ${b1.id}`]); // a2 waits for a1; b1 does not
    gates.get(b1.id)!();
    gates.get(a1.id)!();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen.slice(2)).toEqual([`end ${b1.id}`, `end ${a1.id}`, `start ${a2.id}`]);
    gates.get(a2.id)!();
    await expect(pending).resolves.toEqual({ batchItemFailures: [] });
  });
});

describe('batch semantics', () => {
  it('a failed record stops its own key only; counters are published for the records before the checkpoint', async () => {
    const a1 = orderPlaced({ orderId: 'k-a', totalCents: 100 });
    const b1 = orderPlaced({ orderId: 'k-b', totalCents: 200 });
    const a2 = orderPlaced({ orderId: 'k-a', totalCents: 300 });
    const b2 = orderPlaced({ orderId: 'k-b', totalCents: 400 });
    const records = [eventRecord(a1), eventRecord(b1), kinesisRecord('{"broken":', 'k-a'), eventRecord(a2), eventRecord(b2)];
    const response = await run(analytics, records);
    // k-a: the broken record and a2 after it; k-b went on (b2 succeeded, but lies after the checkpoint)
    expect(response.batchItemFailures).toEqual(failures([records[2]!, records[3]!]));
    const metrics = emfMetrics(output.lines());
    expect(metrics).toMatchObject({
      OrdersPlaced: 2,
      'OrderRevenueCents{currency=EUR}': 300,
      'EventsProcessed{eventType=OrderPlaced}': 2,
      EventsInvalid: 1,
    });
    const processed = output.lines().filter((l) => l['message'] === EVENT_MESSAGES.processed);
    expect(processed.map((l) => l['envelopeId']).sort()).toEqual([a1.id, b1.id, b2.id].sort()); // a2 never ran
    // per record at DEBUG; at INFO one summary line for the invocation, whose outcomes sum to its records
    expect(processed.every((l) => l['level'] === 'DEBUG')).toBe(true);
    expect(output.lines().filter((l) => l['level'] === 'INFO')).toEqual([
      expect.objectContaining({
        message: BATCH_DONE,
        records: 5,
        processed: 3,
        invalid: 1,
        notAttempted: 1,
        failed: 0,
        duplicates: 0,
        skipped: 0,
        batchItemFailures: 2,
      }),
    ]);
  });

  it('an envelope id twice in one batch (a producer retry) runs once; the copy is acknowledged as a duplicate', async () => {
    const placed = orderPlaced();
    await expect(run(notifications, [eventRecord(placed), eventRecord(placed)])).resolves.toEqual({ batchItemFailures: [] });
    expect(sqs.current.jobs()).toHaveLength(1);
    expect(emfMetrics(output.lines())).toMatchObject({
      'EventsProcessed{eventType=OrderPlaced}': 1,
      'EventsDuplicate{eventType=OrderPlaced}': 1,
    });
    expect(output.lines().filter((l) => l['message'] === EVENT_MESSAGES.repeatedInBatch)).toEqual([
      expect.objectContaining({ level: 'DEBUG', envelopeId: placed.id }),
    ]);
    expect(output.lines().find((l) => l['message'] === BATCH_DONE)).toMatchObject({
      records: 2,
      processed: 1,
      repeatedInBatch: 1,
      duplicates: 0,
    });
  });

  it('a consumer whose manifest says dynamodb keeps a record per event and sends its jobs inside it', async () => {
    await store().clear();
    const consumer = streamConsumerHandler(
      'notifications',
      { onEvent: (event, { enqueue }) => enqueue(emailJobFor(event)) },
      {
        manifest: { ...CONSUMERS.notifications, idempotency: 'dynamodb' },
        idempotency: createIdempotency(),
        jobQueue: jobQueue(sqs.current),
      },
    );
    const placed = orderPlaced();
    await expect(consumer(kinesisEvent([eventRecord(placed)]), lambdaContext())).resolves.toEqual({ batchItemFailures: [] });
    await expect(consumer(kinesisEvent([eventRecord(placed)]), lambdaContext())).resolves.toEqual({ batchItemFailures: [] });
    expect(sqs.current.jobs()).toHaveLength(1);
    expect((await store().records()).map((r) => r.status)).toEqual(['COMPLETED']);
    expect(output.lines().filter((l) => l['message'] === EVENT_MESSAGES.duplicate)).toHaveLength(1);
  });

  it('refuses to start when the manifest and the handler disagree', () => {
    expect(() => streamConsumerHandler('payments', { onEvent: () => undefined })).toThrow(/enqueues process-payment .* passes no jobQueue/);
    expect(() =>
      streamConsumerHandler('analytics', { onEvent: () => undefined }, { manifest: { ...CONSUMERS.analytics, idempotency: 'dynamodb' } }),
    ).toThrow(/keeps DynamoDB idempotency records .* passes no idempotency/);
  });
});

describe('payments consumer', () => {
  it('enqueues a process-payment job for OrderPlaced and acknowledges OrderShipped as skipped (on AWS its filter keeps OrderShipped away)', async () => {
    const placed = orderPlaced({ totalCents: 4200, currency: 'USD', paymentToken: 'tok_mastercard' });
    const response = await run(payments, [eventRecord(placed), eventRecord(orderShipped())]);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sqs.current.jobs()).toEqual([
      expect.objectContaining({
        type: 'process-payment',
        jobKey: placed.data.orderId,
        causationId: placed.id,
        data: { orderId: placed.data.orderId, amountCents: 4200, currency: 'USD', paymentToken: 'tok_mastercard' },
      }),
    ]);
    expect(emfMetrics(output.lines())).toMatchObject({
      'EventsSkipped{eventType=OrderShipped}': 1,
      'EventsProcessed{eventType=OrderPlaced}': 1,
    });
  });
});

describe('analytics consumer', () => {
  it('emits OrdersPlaced, OrderRevenueCents by currency and OrdersShipped', async () => {
    const events = [
      orderPlaced({ totalCents: 1000, currency: 'EUR' }),
      orderPlaced({ totalCents: 250, currency: 'EUR' }),
      orderPlaced({ totalCents: 700, currency: 'USD' }),
      orderShipped(),
    ];
    await expect(run(analytics, events.map(eventRecord))).resolves.toEqual({ batchItemFailures: [] });
    expect(emfMetrics(output.lines())).toMatchObject({
      OrdersPlaced: 3,
      'OrderRevenueCents{currency=EUR}': 1250,
      'OrderRevenueCents{currency=USD}': 700,
      OrdersShipped: 1,
    });
    const emf = output.lines().find((l) => l['_aws'] !== undefined);
    expect(emf).toMatchObject({
      service: process.env['POWERTOOLS_SERVICE_NAME'],
      _aws: { CloudWatchMetrics: [{ Namespace: 'QueueAndStream' }] },
    });
  });
});

describe.each(Object.entries(consumers))('%s consumer: bad records', (_name, consume) => {
  const good = orderPlaced();
  const badRecords: Array<[string, () => KinesisStreamRecord, string]> = [
    ['malformed JSON', () => kinesisRecord(serializeEnvelope(good).slice(0, 30)), 'not-json'],
    ['a plain-text record', () => kinesisRecord('OrderPlaced order-7'), 'not-json'],
    ['binary (non-UTF-8) data', () => kinesisRecord(new Uint8Array([0xc3, 0x28, 0xa0, 0xa1, 0xff])), 'not-json'],
    ['a wrong envelope version', () => kinesisRecord({ ...good, version: 3 }), 'unsupported-version'],
    ['an unknown event type', () => kinesisRecord({ ...good, type: 'OrderTeleported' }), 'unknown-type'],
    ['invalid event data', () => kinesisRecord({ ...good, data: { ...good.data, totalCents: 'free' } }), 'invalid-data'],
    ['a job envelope on the stream', () => kinesisRecord(sendEmailJob()), 'not-an-envelope'],
    ['an oversized record (> 10 MiB)', () => kinesisRecord({ ...good, pad: 'x'.repeat(10 * 1024 * 1024) }), 'oversized'],
  ];

  it.each(badRecords)(
    'record 2 of 4 of one key is %s: it and the records after it are reported, 3 and 4 are not processed',
    async (_case, bad, reason) => {
      const key = 'order-1'; // kinesisRecord's default key: one key, so the failure stops everything after it
      const records = [
        eventRecord(orderPlaced({ orderId: key })),
        bad(),
        eventRecord(orderPlaced({ orderId: key })),
        eventRecord(orderPlaced({ orderId: key })),
      ];
      const response = await run(consume, records);
      expect(response.batchItemFailures).toEqual(failures(records.slice(1)));
      const invalid = output.lines().find((l) => l['message'] === EVENT_MESSAGES.invalid);
      expect(invalid).toMatchObject({
        reason,
        sequenceNumber: records[1]!.kinesis.sequenceNumber,
        partitionKey: records[1]!.kinesis.partitionKey,
      });
      const metrics = emfMetrics(output.lines());
      expect(metrics['EventsProcessed{eventType=OrderPlaced}']).toBe(1); // record 1 only
      expect(metrics['EventsInvalid']).toBe(1);
    },
  );

  it('a batch whose first record fails fails the invocation, so that Lambda bisects it', async () => {
    const records = [kinesisRecord('garbage'), eventRecord(orderPlaced()), eventRecord(orderShipped())];
    await expect(run(consume, records)).rejects.toMatchObject({
      name: 'PoisonAtBatchStartError',
      sequenceNumber: records[0]!.kinesis.sequenceNumber,
    });
    // the invocation that throws still logs its summary
    expect(output.lines().filter((l) => l['message'] === BATCH_DONE)).toEqual([
      expect.objectContaining({ level: 'INFO', records: 3, invalid: 1, batchItemFailures: 1 }),
    ]);
  });

  it('a batch of one failing record is reported as a batch item failure (nothing left to bisect)', async () => {
    const records = [kinesisRecord('garbage')];
    await expect(run(consume, records)).resolves.toEqual({ batchItemFailures: failures(records) });
  });
});

it('records of a key after its first failure have no side effects (notifications: no job enqueued for them)', async () => {
  const events = [orderPlaced({ orderId: 'order-1' }), orderPlaced({ orderId: 'order-1' }), orderPlaced({ orderId: 'order-1' })];
  const records = [eventRecord(events[0]!), kinesisRecord('{"broken":'), eventRecord(events[1]!), eventRecord(events[2]!)];
  await run(notifications, records);
  expect(sqs.current.jobs().map((j) => j['causationId'])).toEqual([events[0]!.id]);
});

describe('cold start configuration', () => {
  it.each([
    ['JOB_QUEUE_URL', undefined, 'JOB_QUEUE_URL is not set'],
    ['JOB_MAX_MESSAGE_BYTES', 'lots', 'JOB_MAX_MESSAGE_BYTES must be a positive integer, got "lots"'],
  ])('a consumer that enqueues jobs refuses to start when %s is %s', async (name, value, message) => {
    const saved = process.env[name];
    vi.resetModules();
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
    try {
      for (const path of ['../../lambdas/notifications/handler', '../../lambdas/payments/handler']) {
        const error = await import(path).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).name).toBe(ConfigurationError.name);
        expect((error as Error).message).toContain(message);
      }
    } finally {
      process.env[name] = saved;
    }
  });
});
