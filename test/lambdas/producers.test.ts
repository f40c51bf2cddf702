import { describe, expect, it, vi } from 'vitest';
import { serializeEnvelope, type KnownEvent } from '../../lambdas/shared/envelope';
import { assertAllDelivered, DeliveryFailedError } from '../../lambdas/shared/producers/delivery';
import { enqueueJobs } from '../../lambdas/shared/producers/enqueue-jobs';
import { publishEvents } from '../../lambdas/shared/producers/publish-events';
import { FakeKinesis, FakeSqs, sdkError } from './fake-clients';
import { orderPlaced, orderShipped, sendEmailJob } from './factories';

const PTE = 'ProvisionedThroughputExceededException';
const noWait = { sleep: async () => undefined };
const publish = (events: readonly unknown[], client: FakeKinesis, extra: Partial<Parameters<typeof publishEvents>[1]> = {}) =>
  publishEvents(events, { client, streamName: 'events', ...noWait, ...extra });
const enqueue = (jobs: readonly unknown[], client: FakeSqs, extra: Partial<Parameters<typeof enqueueJobs>[1]> = {}) =>
  enqueueJobs(jobs, { client, queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs', ...noWait, ...extra });
const ids = (events: ReadonlyArray<{ id: string }>) => events.map((e) => e.id);
const distinctOrders = (n: number) => Array.from({ length: n }, () => orderPlaced());

describe('publishEvents', () => {
  it('returns an empty report for an empty input without calling Kinesis', async () => {
    const kinesis = new FakeKinesis();
    await expect(publish([], kinesis)).resolves.toEqual({ results: [], succeeded: 0, failed: 0 });
    expect(kinesis.requests).toHaveLength(0);
  });

  it('sends each envelope as UTF-8 JSON keyed by its partition key and reports shard and sequence number per entry', async () => {
    const kinesis = new FakeKinesis();
    const events = [orderPlaced(), orderShipped()];
    const report = await publish(events, kinesis);
    expect(report).toMatchObject({ succeeded: 2, failed: 0 });
    expect(report.results).toEqual([
      {
        index: 0,
        id: events[0]!.id,
        ok: true,
        shardId: 'shardId-000000000000',
        sequenceNumber: kinesis.stream[0]!.sequenceNumber,
        attempts: 1,
      },
      {
        index: 1,
        id: events[1]!.id,
        ok: true,
        shardId: 'shardId-000000000000',
        sequenceNumber: kinesis.stream[1]!.sequenceNumber,
        attempts: 1,
      },
    ]);
    const sent = kinesis.requests[0]!.Records!;
    expect(sent.map((r) => r.PartitionKey)).toEqual(events.map((e) => e.partitionKey));
    expect(Buffer.from(sent[0]!.Data!).toString('utf8')).toBe(serializeEnvelope(events[0]!));
  });

  it('retries only the failed entries, with exponential backoff and full jitter, until they succeed', async () => {
    // 1st attempt of events 1 and 3 throttled, 2nd attempt of event 3 hits an internal failure
    const events = distinctOrders(4);
    const kinesis = new FakeKinesis(({ id, attempt }) =>
      (id === events[1]!.id || id === events[3]!.id) && attempt === 1
        ? PTE
        : id === events[3]!.id && attempt === 2
          ? 'InternalFailure'
          : undefined,
    );
    const sleep = vi.fn(async () => undefined);
    const report = await publish(events, kinesis, { sleep, random: () => 0.5, baseDelayMs: 100 });
    expect(report).toMatchObject({ succeeded: 4, failed: 0 });
    expect(kinesis.requests.map((r) => r.Records!.map((x) => x.PartitionKey))).toEqual([
      events.map((e) => e.partitionKey),
      [events[1]!.partitionKey, events[3]!.partitionKey],
      [events[3]!.partitionKey],
    ]);
    expect(sleep.mock.calls).toEqual([[50], [100]]); // 0.5 × 100·2⁰, 0.5 × 100·2¹
    expect(report.results.map((r) => r.attempts)).toEqual([1, 2, 1, 3]);
  });

  it('reports an entry that keeps failing with retries-exhausted, its error code and attempts, after maxAttempts sends', async () => {
    const events = distinctOrders(3);
    const kinesis = new FakeKinesis(({ id }) => (id === events[1]!.id ? PTE : undefined));
    const report = await publish(events, kinesis, { maxAttempts: 3 });
    expect(report).toMatchObject({ succeeded: 2, failed: 1 });
    expect(report.results[1]).toMatchObject({
      index: 1,
      id: events[1]!.id,
      ok: false,
      reason: 'retries-exhausted',
      errorCode: PTE,
      attempts: 3,
    });
    expect(kinesis.requests).toHaveLength(3);
  });

  it('does not retry an entry rejected with a non-retryable error code', async () => {
    const events = distinctOrders(2);
    const kinesis = new FakeKinesis(({ id }) => (id === events[0]!.id ? 'KMSAccessDeniedException' : undefined));
    const report = await publish(events, kinesis);
    expect(report.results[0]).toMatchObject({ ok: false, reason: 'rejected', errorCode: 'KMSAccessDeniedException', attempts: 1 });
    expect(kinesis.requests).toHaveLength(1);
  });

  it('retries a request that threw (network) and reports every entry when it keeps throwing', async () => {
    const events = distinctOrders(2);
    const flaky = new FakeKinesis();
    flaky.throwOn = (call) => (call === 1 ? sdkError('TimeoutError', undefined) : undefined);
    expect(await publish(events, flaky)).toMatchObject({ succeeded: 2, failed: 0 });
    expect(flaky.requests).toHaveLength(2);

    const down = new FakeKinesis();
    down.throwOn = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4567'), { code: 'ECONNREFUSED' });
    const report = await publish(events, down, { maxAttempts: 4 });
    expect(report).toMatchObject({ succeeded: 0, failed: 2 });
    expect(report.results).toEqual(
      events.map((e, index) => ({
        index,
        id: e.id,
        ok: false,
        reason: 'retries-exhausted',
        errorCode: 'Error',
        attempts: 4,
        message: 'connect ECONNREFUSED 127.0.0.1:4567 (after 4 attempts)',
      })),
    );
    expect(down.requests).toHaveLength(4);
  });

  it('does not retry a request that failed with a client fault (no such stream, access denied)', async () => {
    const kinesis = new FakeKinesis();
    kinesis.throwOn = () => sdkError('ResourceNotFoundException', 'client');
    const report = await publish(distinctOrders(2), kinesis);
    expect(report.results.map((r) => !r.ok && r.reason)).toEqual(['request-failed', 'request-failed']);
    expect(kinesis.requests).toHaveLength(1);
  });

  it('rejects an oversized entry before sending, with index, id and reason, and sends the rest', async () => {
    const small = orderPlaced();
    const big = orderPlaced({ items: Array.from({ length: 400 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1, unitPriceCents: 1 })) });
    const kinesis = new FakeKinesis();
    const report = await publish([small, big], kinesis, { maxRecordBytes: 4096 });
    expect(report.results[1]).toMatchObject({ index: 1, id: big.id, ok: false, reason: 'oversized', attempts: 0 });
    expect(!report.results[1]!.ok && report.results[1]!.message).toMatch(
      /^record is \d+ bytes \(data \d+ \+ partition key \d+\), over the stream's 4096-byte limit$/,
    );
    expect(ids(kinesis.stream)).toEqual([small.id]);
  });

  it('counts the partition key towards the record size', async () => {
    const event = orderPlaced();
    const dataBytes = Buffer.byteLength(serializeEnvelope(event));
    const keyBytes = Buffer.byteLength(event.partitionKey);
    expect((await publish([event], new FakeKinesis(), { maxRecordBytes: dataBytes + keyBytes })).succeeded).toBe(1);
    expect((await publish([event], new FakeKinesis(), { maxRecordBytes: dataBytes + keyBytes - 1 })).results[0]).toMatchObject({
      reason: 'oversized',
    });
  });

  it('rejects an invalid envelope before sending with the reason and the field', async () => {
    const good = orderPlaced();
    const bad = { ...orderPlaced(), data: { ...good.data, totalCents: 'lots' } };
    const kinesis = new FakeKinesis();
    const report = await publish([bad, good, { not: 'an envelope' }], kinesis);
    expect(report.results[0]).toMatchObject({
      index: 0,
      id: bad.id,
      ok: false,
      reason: 'invalid-data',
      message: 'data.totalCents: expected number, received string',
      attempts: 0,
    });
    expect(report.results[2]).toMatchObject({ index: 2, id: undefined, ok: false, reason: 'not-an-envelope' });
    expect(ids(kinesis.stream)).toEqual([good.id]);
  });

  it('sends at most 500 records per request', async () => {
    const kinesis = new FakeKinesis();
    const report = await publish(distinctOrders(1001), kinesis);
    expect(report.succeeded).toBe(1001);
    expect(kinesis.requests.map((r) => r.Records!.length)).toEqual([500, 500, 1]);
  });

  it('keeps every request within the byte limit (data + partition keys)', async () => {
    const events = distinctOrders(10);
    const size = (e: KnownEvent) => Buffer.byteLength(serializeEnvelope(e)) + Buffer.byteLength(e.partitionKey);
    const limit = size(events[0]!) * 3 + 10; // room for three records, not four
    const kinesis = new FakeKinesis();
    await publish(events, kinesis, { maxRequestBytes: limit });
    expect(kinesis.requests.map((r) => r.Records!.length)).toEqual([3, 3, 3, 1]);
    for (const request of kinesis.requests) {
      const bytes = request.Records!.reduce((sum, r) => sum + r.Data!.byteLength + Buffer.byteLength(r.PartitionKey!), 0);
      expect(bytes).toBeLessThanOrEqual(limit);
    }
  });

  describe('order per partition key under retries', () => {
    // events of order A: A1, A2, A3; of order B: B1, B2 — interleaved as the producer saw them
    const scenario = () => {
      const [a1, b1, a2, b2, a3] = [
        orderPlaced({ orderId: 'A' }),
        orderPlaced({ orderId: 'B' }),
        orderShipped({ orderId: 'A' }),
        orderShipped({ orderId: 'B' }),
        orderShipped({ orderId: 'A' }),
      ];
      return [a1!, b1!, a2!, b2!, a3!];
    };
    const perKey = (stream: FakeKinesis['stream'], key: string) => stream.filter((r) => r.partitionKey === key).map((r) => r.id);

    it('per-key (default): a later record of a key never overtakes an earlier failed one, and no request carries a key twice', async () => {
      const events = scenario();
      // A1 is throttled twice; a naive retry would let A2 (same request) land first
      const kinesis = new FakeKinesis(({ id, attempt }) => (id === events[0]!.id && attempt <= 2 ? PTE : undefined));
      const report = await publish(events, kinesis);
      expect(report).toMatchObject({ succeeded: 5, failed: 0 });
      expect(perKey(kinesis.stream, 'A')).toEqual([events[0]!.id, events[2]!.id, events[4]!.id]);
      expect(perKey(kinesis.stream, 'B')).toEqual([events[1]!.id, events[3]!.id]);
      for (const request of kinesis.requests) {
        const keys = request.Records!.map((r) => r.PartitionKey);
        expect(new Set(keys).size).toBe(keys.length);
      }
      // B is not held back by A's throttling
      expect(kinesis.stream.findIndex((r) => r.id === events[3]!.id)).toBeLessThan(kinesis.stream.findIndex((r) => r.id === events[0]!.id));
    });

    it('per-key: when an earlier record of a key finally fails, the later ones of that key are not sent', async () => {
      const events = scenario();
      const kinesis = new FakeKinesis(({ id }) => (id === events[0]!.id ? PTE : undefined));
      const report = await publish(events, kinesis, { maxAttempts: 2 });
      expect(report.results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual([
        'retries-exhausted',
        'ok',
        'blocked-by-earlier-failure',
        'ok',
        'blocked-by-earlier-failure',
      ]);
      expect(report.results[2]).toMatchObject({ attempts: 0, message: expect.stringContaining(`earlier entry 0 (${events[0]!.id})`) });
      expect(perKey(kinesis.stream, 'A')).toEqual([]);
      expect(perKey(kinesis.stream, 'B')).toEqual([events[1]!.id, events[3]!.id]);
    });

    it('per-key: an invalid earlier record of a key also holds back the later ones', async () => {
      const [a1, , a2] = scenario();
      const invalid = { ...a1!, data: { ...a1!.data, currency: 'euro' } };
      const report = await publish([invalid, a2!], new FakeKinesis());
      expect(report.results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['invalid-data', 'blocked-by-earlier-failure']);
    });

    it("ordering 'none' packs greedily, so a retried record can land after a later one of its key (why per-key is the default)", async () => {
      const events = scenario();
      const kinesis = new FakeKinesis(({ id, attempt }) => (id === events[0]!.id && attempt === 1 ? PTE : undefined));
      const report = await publish(events, kinesis, { ordering: 'none' });
      expect(report.succeeded).toBe(5);
      expect(kinesis.requests).toHaveLength(2);
      expect(perKey(kinesis.stream, 'A')).toEqual([events[2]!.id, events[4]!.id, events[0]!.id]);
    });
  });
});

describe('enqueueJobs', () => {
  it('returns an empty report for an empty input without calling SQS', async () => {
    const sqs = new FakeSqs();
    await expect(enqueue([], sqs)).resolves.toEqual({ results: [], succeeded: 0, failed: 0 });
    expect(sqs.requests).toHaveLength(0);
  });

  it('sends at most 10 entries per request, Id = index within the request, with type and version attributes', async () => {
    const sqs = new FakeSqs();
    const jobs = Array.from({ length: 25 }, () => sendEmailJob());
    const report = await enqueue(jobs, sqs);
    expect(report).toMatchObject({ succeeded: 25, failed: 0 });
    expect(sqs.requests.map((r) => r.Entries!.length)).toEqual([10, 10, 5]);
    expect(sqs.requests[2]!.Entries!.map((e) => e.Id)).toEqual(['0', '1', '2', '3', '4']);
    expect(sqs.requests[0]!.Entries![0]!.MessageAttributes).toEqual({
      type: { DataType: 'String', StringValue: 'send-email' },
      version: { DataType: 'String', StringValue: '1' },
    });
    expect(report.results[24]).toEqual({ index: 24, id: jobs[24]!.id, ok: true, messageId: 'm-25', attempts: 1 });
    expect(sqs.jobs().map((j) => j['id'])).toEqual(ids(jobs));
  });

  it('keeps each request within maxBatchBytes', async () => {
    const sqs = new FakeSqs();
    const jobs = Array.from({ length: 6 }, () => sendEmailJob());
    const one =
      Buffer.byteLength(serializeEnvelope(jobs[0]!)) +
      'type'.length +
      'String'.length +
      'send-email'.length +
      'version'.length +
      'String'.length +
      1;
    await enqueue(jobs, sqs, { maxBatchBytes: one * 2 + 5 });
    expect(sqs.requests.map((r) => r.Entries!.length)).toEqual([2, 2, 2]);
  });

  it('retries only the failed entries (service-side faults) until they succeed', async () => {
    const jobs = Array.from({ length: 4 }, () => sendEmailJob());
    const sqs = new FakeSqs(({ id, attempt }) =>
      id === jobs[2]!.id && attempt < 3 ? { Code: 'InternalError', SenderFault: false } : undefined,
    );
    const report = await enqueue(jobs, sqs);
    expect(report).toMatchObject({ succeeded: 4, failed: 0 });
    expect(sqs.requests.map((r) => r.Entries!.length)).toEqual([4, 1, 1]);
    expect(report.results[2]).toMatchObject({ ok: true, attempts: 3 });
  });

  it('reports a persistent failure per entry, and a sender fault at once without retrying', async () => {
    const jobs = Array.from({ length: 3 }, () => sendEmailJob());
    const sqs = new FakeSqs(({ id }) =>
      id === jobs[0]!.id
        ? { Code: 'InternalError', SenderFault: false }
        : id === jobs[1]!.id
          ? { Code: 'InvalidMessageContents', SenderFault: true }
          : undefined,
    );
    const report = await enqueue(jobs, sqs, { maxAttempts: 3 });
    expect(report.results).toEqual([
      {
        index: 0,
        id: jobs[0]!.id,
        ok: false,
        reason: 'retries-exhausted',
        errorCode: 'InternalError',
        attempts: 3,
        message: `InternalError for ${jobs[0]!.id} (after 3 attempts)`,
      },
      {
        index: 1,
        id: jobs[1]!.id,
        ok: false,
        reason: 'rejected',
        errorCode: 'InvalidMessageContents',
        attempts: 1,
        message: `InvalidMessageContents for ${jobs[1]!.id}`,
      },
      { index: 2, id: jobs[2]!.id, ok: true, messageId: 'm-1', attempts: 1 },
    ]);
  });

  it('retries a request that threw (throttling) and gives up on a client fault', async () => {
    const sqs = new FakeSqs();
    sqs.throwOn = (call) => (call === 1 ? sdkError('RequestThrottled', 'client') : undefined);
    expect(await enqueue([sendEmailJob()], sqs)).toMatchObject({ succeeded: 1 });
    expect(sqs.requests).toHaveLength(2);

    const missing = new FakeSqs();
    missing.throwOn = () => sdkError('QueueDoesNotExist', 'client');
    const report = await enqueue([sendEmailJob()], missing);
    expect(report.results[0]).toMatchObject({ ok: false, reason: 'request-failed', errorCode: 'QueueDoesNotExist', attempts: 1 });
  });

  it('rejects an oversized job (body + attributes) before sending with index, id and reason', async () => {
    const sqs = new FakeSqs();
    const job = sendEmailJob();
    const body = Buffer.byteLength(serializeEnvelope(job));
    const report = await enqueue([job], sqs, { maxMessageBytes: body + 10 }); // attributes need 39 bytes
    expect(report.results[0]).toMatchObject({ index: 0, id: job.id, ok: false, reason: 'oversized', attempts: 0 });
    expect(sqs.requests).toHaveLength(0);
  });
});

describe('assertAllDelivered', () => {
  it('passes when everything was delivered and otherwise throws one error listing every failed entry', async () => {
    const jobs = Array.from({ length: 3 }, () => sendEmailJob());
    assertAllDelivered(await enqueue(jobs, new FakeSqs()));

    const sqs = new FakeSqs(({ id }) => (id === jobs[1]!.id ? { Code: 'InvalidMessageContents', SenderFault: true } : undefined));
    const report = await enqueue([jobs[0], jobs[1], { broken: true }], sqs);
    const error = (() => {
      try {
        assertAllDelivered(report);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DeliveryFailedError);
    expect(error).toBeInstanceOf(AggregateError);
    const failed = error as DeliveryFailedError;
    expect(failed.message).toBe(`2 of 3 entries not delivered: #1 ${jobs[1]!.id} rejected, #2 no id not-an-envelope`);
    expect(failed.failures.map((f) => [f.index, f.id, f.reason])).toEqual([
      [1, jobs[1]!.id, 'rejected'],
      [2, undefined, 'not-an-envelope'],
    ]);
    expect(failed.errors).toHaveLength(2);
  });
});
