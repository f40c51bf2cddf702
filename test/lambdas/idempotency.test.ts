import { createHash } from 'node:crypto';
// Replays and redeliveries are harmless: the real handlers against a real DynamoDB emulator (dynalite).
import './env';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeSideEffects, type FakeSideEffect } from '../../lambdas/job-worker/fakes';
import { handler as worker } from '../../lambdas/job-worker/handler';
import * as jobs from '../../lambdas/job-worker/jobs';
import { CONSUMERS, consumerNames } from '../../lambdas/consumers';
import { paymentJobFor } from '../../lambdas/payments/payments';
import { readIdempotencyEnv } from '../../lambdas/shared/env';
import { deriveId, serializeEnvelope, type KnownEvent } from '../../lambdas/shared/envelope';
import { ConfigurationError } from '../../lambdas/shared/errors';
import { createIdempotency } from '../../lambdas/shared/idempotency';
import { EVENT_MESSAGES, JOB_MESSAGES } from '../../lambdas/shared/log-messages';
import { jobQueue } from '../../lambdas/shared/job-queue';
import { streamConsumerHandler } from '../../lambdas/shared/stream-consumer';
import { type FakeSqs, sdkError } from './fake-clients';
import {
  captureOutput,
  emfMetrics,
  eventRecord,
  kinesisEvent,
  kinesisRecord as kinesisRecordOf,
  lambdaContext,
  orderPlaced,
  paymentJob,
  sendEmailJob,
  sqsEvent,
  sqsRecord,
} from './factories';
import { useIdempotencyStore } from './idempotency-store';

const sqs = vi.hoisted(() => ({ current: undefined as unknown as FakeSqs }));
vi.mock('../../lambdas/shared/clients/sqs', async () => {
  const { FakeSqs: Fake } = await import('./fake-clients');
  sqs.current ??= new Fake(); // one queue for every fresh import of a consumer
  return { sqsClient: () => sqs.current, createSqsClient: () => sqs.current };
});
// runJob as is, observable, and able to fail once on demand.
vi.mock('../../lambdas/job-worker/jobs', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lambdas/job-worker/jobs')>();
  return { ...original, runJob: vi.fn(original.runJob) };
});

const store = useIdempotencyStore();

type Consumer = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;
/**
 * A consumer's handler as its own function would load it: a fresh module with its own POWERTOOLS_SERVICE_NAME
 * (on AWS and in the local cloud every function has its own environment; here they share one process).
 */
async function loadConsumer(name: 'notifications' | 'payments' | 'analytics'): Promise<Consumer> {
  const saved = process.env['POWERTOOLS_SERVICE_NAME'];
  process.env['POWERTOOLS_SERVICE_NAME'] = name;
  vi.resetModules();
  try {
    return ((await import(`../../lambdas/${name}/handler.ts`)) as { handler: Consumer }).handler;
  } finally {
    process.env['POWERTOOLS_SERVICE_NAME'] = saved;
  }
}

let output: ReturnType<typeof captureOutput>;
let effects: FakeSideEffect[];
const record = (e: FakeSideEffect) => effects.push(e);
beforeEach(async () => {
  sqs.current?.reset();
  await store().clear();
  effects = [];
  fakeSideEffects.on('effect', record);
  output = captureOutput();
});
afterEach(() => {
  output.restore();
  fakeSideEffects.off('effect', record);
  vi.mocked(jobs.runJob).mockClear();
});

const logs = (message: string) => output.lines().filter((l) => l['message'] === message);
const replayOf = (event: KnownEvent): KnownEvent => ({
  ...event,
  replay: { replayId: 'replay-1', replayedAt: new Date().toISOString(), target: 'stream' },
});
const invokeWorker = (records: SQSRecord[]) => worker(sqsEvent(records), lambdaContext('job-worker'));
const consume = (fn: Consumer, events: KnownEvent[]) => fn(kinesisEvent(events.map(eventRecord)), lambdaContext());

describe('job worker', () => {
  it('a duplicate job (same envelope id, new messageId) charges the card once and is acknowledged', async () => {
    const job = paymentJob();
    await expect(invokeWorker([sqsRecord(serializeEnvelope(job))])).resolves.toEqual({ batchItemFailures: [] });
    await expect(invokeWorker([sqsRecord(serializeEnvelope(job), 2)])).resolves.toEqual({ batchItemFailures: [] });
    expect(effects.filter((e) => e.port === 'payments')).toHaveLength(1);
    expect(emfMetrics(output.lines())).toMatchObject({
      'JobsProcessed{jobType=process-payment}': 1,
      'JobsDuplicate{jobType=process-payment}': 1,
    });
    const [first] = logs(JOB_MESSAGES.processed);
    const [again] = logs(JOB_MESSAGES.duplicate);
    expect(again).toMatchObject({ envelopeId: job.id });
    // the duplicate returns the stored outcome: the same charge id
    expect(again?.['outcome']).toEqual(first?.['outcome']);
  });

  it('stores one COMPLETED record per job, keyed by the worker name and the envelope id, expiring after IDEMPOTENCY_EXPIRY_SECONDS', async () => {
    const before = Math.floor(Date.now() / 1000);
    const job = sendEmailJob();
    await invokeWorker([sqsRecord(serializeEnvelope(job))]);
    const records = await store().records();
    expect(records).toHaveLength(1);
    // Powertools' key for the id: `<scope>#md5(JSON of the id)`; pinned so records written by earlier releases stay valid
    const key = `test-service#${createHash('md5').update(JSON.stringify(job.id)).digest('base64')}`;
    expect(records[0]).toMatchObject({ status: 'COMPLETED', id: key });
    expect(records[0]!.expiration - before).toBeGreaterThanOrEqual(Number(process.env['IDEMPOTENCY_EXPIRY_SECONDS']) - 1);
    expect(records[0]!.expiration - before).toBeLessThanOrEqual(Number(process.env['IDEMPOTENCY_EXPIRY_SECONDS']) + 2);
    // the in-progress expiry was derived from the invocation's remaining time: Powertools did not warn
    expect(output.lines().some((l) => String(l['message'] ?? '').includes('registerLambdaContext'))).toBe(false);
  });

  it('a duplicate in the same batch is in progress: it fails as a batch item failure, and its retry is a no-op', async () => {
    const job = sendEmailJob();
    const [a, b] = [sqsRecord(serializeEnvelope(job)), sqsRecord(serializeEnvelope(job))];
    // the first copy is still running (records run in parallel) when the second one starts
    const runJob = vi.mocked(jobs.runJob).getMockImplementation()!;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    vi.mocked(jobs.runJob).mockImplementationOnce(async (...args) => held.then(() => runJob(...args)));
    const pending = invokeWorker([a!, b!]);
    const inProgress = () => logs(JOB_MESSAGES.inProgress);
    await vi.waitFor(() => expect(inProgress()).toHaveLength(1));
    release();
    const response = await pending;
    expect(response.batchItemFailures).toHaveLength(1);
    const retried = [a!, b!].find((r) => r.messageId === response.batchItemFailures[0]!.itemIdentifier)!;
    expect(inProgress()).toEqual([expect.objectContaining({ messageId: retried.messageId, envelopeId: job.id })]);
    expect(emfMetrics(output.lines())).toMatchObject({ 'JobsInProgress{jobType=send-email}': 1 });
    await expect(invokeWorker([sqsRecord(retried.body, 2)])).resolves.toEqual({ batchItemFailures: [] });
    expect(effects.filter((e) => e.port === 'email')).toHaveLength(1);
  });

  it('a failed job leaves no record behind and runs again on its next receive', async () => {
    const job = paymentJob();
    vi.mocked(jobs.runJob).mockRejectedValueOnce(new Error('payment provider timed out'));
    const first = sqsRecord(serializeEnvelope(job));
    await expect(invokeWorker([first])).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: first.messageId }] });
    expect(await store().records()).toEqual([]);
    await expect(invokeWorker([sqsRecord(first.body, 2)])).resolves.toEqual({ batchItemFailures: [] });
    expect(effects.filter((e) => e.port === 'payments')).toEqual([expect.objectContaining({ idempotencyKey: job.id })]);
    expect(await store().records()).toEqual([expect.objectContaining({ status: 'COMPLETED' })]);
  });

  it('a permanently failing job is attempted on every receive, never skipped as a duplicate', async () => {
    const body = serializeEnvelope(paymentJob({ paymentToken: 'tok_chargeDeclined' }));
    for (const receive of [1, 2, 3]) {
      const r = sqsRecord(body, receive);
      await expect(invokeWorker([r])).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: r.messageId }] });
    }
    expect(vi.mocked(jobs.runJob)).toHaveBeenCalledTimes(3);
    expect(logs(JOB_MESSAGES.failed)).toHaveLength(3);
  });
});

describe('stream consumers', () => {
  /** payments as a fork would build it with the manifest's `dynamodb` mode, in its own execution environment. */
  const paymentsWithRecords = () =>
    streamConsumerHandler(
      'payments',
      { onEvent: (event, { enqueue }) => enqueue(paymentJobFor(event)) },
      {
        manifest: { ...CONSUMERS.payments, idempotency: 'dynamodb' },
        idempotency: createIdempotency({ ...readIdempotencyEnv(), scope: 'payments' }),
        jobQueue: jobQueue(sqs.current),
      },
    );

  it('consumers with idempotency none keep no records: a replayed event enqueues the same job id, and the worker runs it once', async () => {
    const notifications = await loadConsumer('notifications');
    const placed = orderPlaced();
    await expect(consume(notifications, [placed])).resolves.toEqual({ batchItemFailures: [] });
    await expect(consume(notifications, [replayOf(placed)])).resolves.toEqual({ batchItemFailures: [] });
    const sent = sqs.current.jobs();
    expect(sent.map((j) => j['id'])).toEqual([deriveId(placed.id, 'send-email'), deriveId(placed.id, 'send-email')]);
    expect(await store().records()).toEqual([]); // the consumer wrote none

    // both copies reach the worker: the e-mail goes out once
    const bodies = sqs.current.queue.map((e) => e.MessageBody!);
    for (const body of bodies) await expect(invokeWorker([sqsRecord(body)])).resolves.toEqual({ batchItemFailures: [] });
    expect(effects.filter((e) => e.port === 'email')).toHaveLength(1);
    expect(logs(JOB_MESSAGES.duplicate)).toHaveLength(1);
  });

  it('analytics: a retry never counts twice (only records before the checkpoint are published), a later redelivery does (at-least-once)', async () => {
    const analytics = await loadConsumer('analytics');
    const placed = orderPlaced({ totalCents: 1000, currency: 'EUR' });
    const other = orderPlaced({ totalCents: 500, currency: 'EUR' });
    const broken = kinesisRecordOf('{"broken":', placed.partitionKey);
    // placed succeeds, then its key fails; other (another key) succeeds after the checkpoint: not counted now
    const first = await analytics(kinesisEvent([eventRecord(placed), broken, eventRecord(other)]), lambdaContext());
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: broken.kinesis.sequenceNumber }]);
    expect(emfMetrics(output.lines())).toMatchObject({ OrdersPlaced: 1, 'OrderRevenueCents{currency=EUR}': 1000 });
    // Lambda's retry from the checkpoint (the poison record is bisected away later): other counts now, once
    await analytics(kinesisEvent([eventRecord(other)]), lambdaContext());
    expect(emfMetrics(output.lines())).toMatchObject({ OrdersPlaced: 2, 'OrderRevenueCents{currency=EUR}': 1500 });
    // a replay to the stream is a later delivery: counted again, as README's consumer table says
    await analytics(kinesisEvent([eventRecord(replayOf(placed))]), lambdaContext());
    expect(emfMetrics(output.lines())).toMatchObject({ OrdersPlaced: 3 });
    expect(await store().records()).toEqual([]);
  });

  it('a failed event counts nothing and is processed on the retry', async () => {
    const notifications = await loadConsumer('notifications');
    const placed = orderPlaced();
    sqs.current.throwOn = () => sdkError('AccessDenied', 'client'); // not retried by the producer: the record fails
    const records = [eventRecord(placed)];
    const failed = await notifications(kinesisEvent(records), lambdaContext());
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: records[0]!.kinesis.sequenceNumber }]);
    expect(emfMetrics(output.lines())['JobsEnqueued{jobType=send-email}']).toBeUndefined();

    sqs.current.throwOn = () => undefined;
    await expect(notifications(kinesisEvent(records), lambdaContext())).resolves.toEqual({ batchItemFailures: [] });
    expect(sqs.current.jobs().map((j) => j['id'])).toEqual([deriveId(placed.id, 'send-email')]);
    expect(emfMetrics(output.lines())).toMatchObject({
      'JobsEnqueued{jobType=send-email}': 1,
      'EventsProcessed{eventType=OrderPlaced}': 1,
    });
  });

  it('idempotency dynamodb: a replay is a no-op for the consumer that completed it; one record per consumer and id', async () => {
    const payments = paymentsWithRecords();
    const placed = orderPlaced();
    await expect(consume(payments, [placed])).resolves.toEqual({ batchItemFailures: [] });
    await expect(consume(payments, [replayOf(placed)])).resolves.toEqual({ batchItemFailures: [] });
    expect(sqs.current.jobs().map((j) => j['type'])).toEqual(['process-payment']);
    expect(logs(EVENT_MESSAGES.duplicate)).toEqual([expect.objectContaining({ envelopeId: placed.id, replayId: 'replay-1' })]);
    expect((await store().records()).map((r) => [r.id.split('#')[0], r.status])).toEqual([['payments', 'COMPLETED']]);
  });

  it('idempotency dynamodb: an event in progress in another invocation fails as a batch item failure (never skipped) and is a no-op once retried', async () => {
    // two execution environments of the same function (Lambda never runs two invocations in one)
    const [payments, paymentsElsewhere] = [paymentsWithRecords(), paymentsWithRecords()];
    const placed = orderPlaced();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let sends = 0;
    sqs.current.delay = async () => (sends++ === 0 ? held : undefined); // the first invocation is mid-enqueue ...
    const first = payments(kinesisEvent([eventRecord(placed)]), lambdaContext());
    await vi.waitFor(async () => expect(await store().records()).toEqual([expect.objectContaining({ status: 'INPROGRESS' })]));
    const before = orderPlaced();
    const next = orderPlaced({ orderId: placed.data.orderId });
    const duplicate = [eventRecord(before), eventRecord(placed), eventRecord(next)]; // ... when a concurrent duplicate arrives
    const response = await paymentsElsewhere(kinesisEvent(duplicate), lambdaContext());
    // the duplicate and the later record of its key; `before` (another key) succeeded
    expect(response.batchItemFailures).toEqual(duplicate.slice(1).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })));
    expect(logs(EVENT_MESSAGES.inProgress)).toHaveLength(1);
    release();
    await expect(first).resolves.toEqual({ batchItemFailures: [] });

    sqs.current.delay = async () => undefined;
    await expect(paymentsElsewhere(kinesisEvent(duplicate), lambdaContext())).resolves.toEqual({ batchItemFailures: [] });
    expect(
      sqs.current
        .jobs()
        .map((j) => j['causationId'])
        .sort(),
    ).toEqual([before.id, placed.id, next.id].sort());
    expect(emfMetrics(output.lines())).toMatchObject({
      'EventsInProgress{eventType=OrderPlaced}': 1,
      'EventsDuplicate{eventType=OrderPlaced}': 2,
    });
  });
});

describe('cold start configuration', () => {
  const withoutRecords = consumerNames.filter((n) => CONSUMERS[n].idempotency === 'none');

  it.each(['IDEMPOTENCY_TABLE_NAME', 'IDEMPOTENCY_EXPIRY_SECONDS'])(
    'the worker refuses to start without %s; consumers with idempotency none do not need it',
    async (name) => {
      const saved = process.env[name];
      delete process.env[name];
      vi.resetModules();
      try {
        const error = await import('../../lambdas/job-worker/handler').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).name).toBe(ConfigurationError.name);
        expect((error as Error).message).toContain(`${name} is not set`);
        for (const folder of withoutRecords) {
          await expect(import(`../../lambdas/${folder}/handler.ts`), folder).resolves.toHaveProperty('handler');
        }
      } finally {
        process.env[name] = saved;
      }
    },
  );
});
