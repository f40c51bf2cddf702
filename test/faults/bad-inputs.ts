// Bad inputs, one test per row, proven on the running local cloud: a rejection at the producer naming the field,
// or a place in the DLQ / failure bucket with a clear error — never a crash of the batch, never a silent drop.
import { randomUUID } from 'node:crypto';
import { PutRecordCommand, type PutRecordsCommand, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { SendMessageBatchCommand, SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { newEvent, newJob } from '../../lambdas/shared/envelope';
import { eventTypes } from '../../lambdas/shared/registry';
import { enqueueJobs } from '../../lambdas/shared/producers/enqueue-jobs';
import { publishEvents } from '../../lambdas/shared/producers/publish-events';
import type { DeliveryFailure } from '../../lambdas/shared/producers/delivery';
import { type FaultCloud, type RawEvent, type RawJob, FAULT_POLL_MS } from './harness';
import { eventually, show } from '../support/wait';
import { recordBadInput } from './report';

const goodJob = () =>
  newJob(
    'send-email',
    { to: 'someone@example.com', template: 'order-confirmation', orderId: `bad-${randomUUID()}` },
    { jobKey: 'bad-inputs' },
  );
const goodEvent = () => {
  const orderId = `bad-${randomUUID()}`;
  return newEvent(
    'OrderShipped',
    { orderId, customerEmail: 'someone@example.com', carrier: 'DHL', trackingNumber: 'T-1' },
    { partitionKey: orderId },
  );
};

/** Raw inputs sent once, before the rows: their DLQ receives and stream retries then run concurrently. */
interface Sent {
  jobs: Record<string, RawJob>;
  events: Record<string, RawEvent>;
}

/** The cloud's producer clients, counting the requests they send: a record the producer refuses costs none. */
function countingClients(fc: FaultCloud) {
  const sends = { kinesis: 0, sqs: 0 };
  const kinesis = {
    send: (c: PutRecordsCommand): Promise<PutRecordsCommandOutput> => {
      sends.kinesis++;
      return fc.clients.kinesis.send(c);
    },
  };
  const sqs = {
    send: (c: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput> => {
      sends.sqs++;
      return fc.clients.sqs.send(c);
    },
  };
  return { sends, kinesis, sqs };
}

export function badInputSuite(cloud: () => FaultCloud, timeoutMs: number): void {
  describe('bad inputs: every one answered, none crashes a batch, none silently dropped', () => {
    let fc: FaultCloud;
    const sent: Sent = { jobs: {}, events: {} };

    beforeAll(async () => {
      fc = cloud();
      const rawJobs: Record<string, string> = {
        'non-json': `hello, this is not JSON ${randomUUID()}`,
        'not-envelope': JSON.stringify({ hello: 'world', nonce: randomUUID() }),
        'wrong-version': JSON.stringify({ ...goodJob(), version: 9 }),
      };
      const jobs = await fc.sendRawJobs(Object.values(rawJobs));
      Object.keys(rawJobs).forEach((k, i) => {
        sent.jobs[k] = jobs[i]!;
      });
      const noOrderId = goodEvent() as unknown as { data: Record<string, unknown> };
      delete noOrderId.data.orderId;
      const rawEvents: Record<string, Buffer> = {
        'non-json': Buffer.from(`plain text, not JSON ${randomUUID()}`),
        'unknown-type': Buffer.from(JSON.stringify({ ...goodEvent(), type: 'RefundIssued' })),
        'missing-field': Buffer.from(JSON.stringify(noOrderId)),
        binary: Buffer.from([
          0xff,
          0xfe,
          0x00,
          0x81,
          0xc3,
          0x28,
          ...randomUUID()
            .split('')
            .map((c) => c.charCodeAt(0)),
        ]),
      };
      // one at a time: a consumer stops at the first bad record of a batch and reports the rest as not attempted,
      // so each bad record gets its own batch (and its own error line)
      for (const [i, [k, data]] of Object.entries(rawEvents).entries()) {
        const [rec] = await fc.putRawEvents([{ partitionKey: `bad-input-${i}`, data }]);
        sent.events[k] = rec!;
        const receivers = fc.consumers.filter((c) => c.receivesData(data)).length;
        await eventually(
          `raw event "${k}" settled`,
          async () => {
            await fc.failures.refresh();
            return fc.failures.records.filter((r) => r.sequenceNumber === rec!.sequenceNumber).length;
          },
          (n) => n >= receivers,
          {
            timeoutMs,
            intervalMs: FAULT_POLL_MS,
            abortIf: () => fc.fatalError,
          },
        );
      }
    }, timeoutMs * 4);

    /** The raw job reaches the DLQ after maxReceiveCount failed receives, each a batch item failure (never a crashed batch). */
    const inDlq = async (key: string): Promise<{ error: string; receives: number }> => {
      const job = sent.jobs[key]!;
      const max = fc.jobs.redrivePolicy!.maxReceiveCount;
      await eventually(
        `raw job "${key}" in the DLQ`,
        async () => {
          await fc.dlq.refresh();
          return fc.dlq.byBody.get(job.body) ?? 0;
        },
        (n) => n === 1,
        { timeoutMs, intervalMs: FAULT_POLL_MS, abortIf: () => fc.fatalError },
      );
      const worker = fc.tally(fc.worker.name);
      expect(worker.failed.get(job.id), 'failed receives').toBe(max);
      expect(worker.ok.has(job.id)).toBe(false);
      const logs = fc.invalidLogs.get(job.messageId) ?? [];
      expect(logs.length, 'an error line per receive').toBe(max);
      return { error: `${logs[0]!.reason}: ${logs[0]!.detail}`, receives: max };
    };

    /**
     * The raw record lands in the failure bucket once per consumer whose mapping delivers it, after its
     * retries; each of them logged why. Data that is not JSON passes no filter: a filtered consumer never sees it.
     */
    const inFailureBucket = async (key: string): Promise<{ error: string; conditions: string[] }> => {
      const rec = sent.events[key]!;
      const receivers = fc.consumers.filter((c) => c.receivesData(rec.data));
      expect(receivers.length, 'at least one consumer receives it').toBeGreaterThanOrEqual(1);
      const n = receivers.length;
      const copies = (): number => fc.failures.records.filter((r) => r.sequenceNumber === rec.sequenceNumber).length;
      await eventually(
        `raw event "${key}" in the failure bucket once per consumer`,
        async () => {
          await fc.failures.refresh();
          return copies();
        },
        (c) => c >= n,
        { timeoutMs, intervalMs: FAULT_POLL_MS, abortIf: () => fc.fatalError },
      );
      expect(copies()).toBe(n);
      const found = fc.failures.records.filter((r) => r.sequenceNumber === rec.sequenceNumber);
      expect(
        found.every((r) => r.data.equals(rec.data)),
        'payload kept byte for byte',
      ).toBe(true);
      for (const c of fc.consumers) expect(fc.tally(c.name).ok.has(rec.id), `${c.name} reported it processed`).toBe(false);
      const logs = fc.invalidLogs.get(rec.sequenceNumber) ?? [];
      expect(new Set(logs.map((l) => l.functionName)), 'every consumer that received it logged the reason').toEqual(
        new Set(receivers.map((c) => c.name)),
      );
      return { error: `${logs[0]!.reason}: ${logs[0]!.detail}`, conditions: [...new Set(found.map((r) => r.condition))] };
    };

    const rejected = (failures: readonly DeliveryFailure[]): string => {
      expect(failures.length).toBe(1);
      return `${failures[0]!.reason}: ${failures[0]!.message}`;
    };
    const failuresOf = (r: { results: ReadonlyArray<{ ok: boolean }> }): DeliveryFailure[] =>
      r.results.filter((x): x is DeliveryFailure => !x.ok);

    it(
      'non-JSON body: the worker and every consumer that receives it (no filter) report it as a batch item failure; it ends in the DLQ / the failure bucket',
      async () => {
        const job = await inDlq('non-json');
        const event = await inFailureBucket('non-json');
        expect(job.error).toMatch(/^not-json: body is not JSON/);
        expect(event.error).toMatch(/^not-json: body is not JSON/);
        await recordBadInput({
          key: '01-non-json',
          input: 'non-JSON body (SQS message or Kinesis record)',
          happens: `batch item failure, logged as \`${job.error.slice(0, 60)}…\`; the rest of the batch is processed`,
          endsUp: `job: DLQ after ${job.receives} receives (maxReceiveCount); event: failure bucket, once per consumer without a filter (a mapping filter drops data that is not JSON, as Lambda does), with its payload (${event.conditions.join(', ')})`,
          evidence: { job, event },
        });
      },
      timeoutMs + 30_000,
    );

    it(
      'JSON that is not an envelope: the producer refuses it naming the fields; sent raw, it ends in the DLQ',
      async () => {
        const report = await enqueueJobs([{ hello: 'world' }], { client: fc.clients.sqs, queueUrl: fc.jobs.url });
        const producer = rejected(failuresOf(report));
        expect(producer).toMatch(/^not-an-envelope: kind: .*id: /);
        const events = rejected(
          failuresOf(await publishEvents([{ hello: 'world' }], { client: fc.clients.kinesis, streamName: fc.stream.name })),
        );
        expect(events).toMatch(/^not-an-envelope: kind:/);
        const job = await inDlq('not-envelope');
        expect(job.error).toMatch(/^not-an-envelope: kind:/);
        await recordBadInput({
          key: '02-not-envelope',
          input: 'JSON that is not an envelope (`{"hello":"world"}`)',
          happens: `producer: rejected, \`${producer.slice(0, 90)}…\`; sent raw: batch item failure with the same reason`,
          endsUp: 'producer: not sent (per-entry failure returned to the caller); raw: DLQ / failure bucket',
          evidence: { producer, events, job },
        });
      },
      timeoutMs + 30_000,
    );

    it(
      'unknown type: the producer refuses it naming the type and the known ones; put raw, it ends in the failure bucket',
      async () => {
        const producer = rejected(
          failuresOf(
            await publishEvents([{ ...goodEvent(), type: 'RefundIssued' }], { client: fc.clients.kinesis, streamName: fc.stream.name }),
          ),
        );
        expect(
          producer.startsWith(`unknown-type: type: "RefundIssued" is not a registered event type (known: ${eventTypes.join(', ')})`),
          producer,
        ).toBe(true);
        const event = await inFailureBucket('unknown-type');
        expect(event.error).toMatch(/^unknown-type: type: "RefundIssued"/);
        await recordBadInput({
          key: '03-unknown-type',
          input: 'unknown type (`RefundIssued`)',
          happens: `producer: rejected, \`${producer}\`; put raw: batch item failure with the same reason`,
          endsUp:
            'producer: not sent; raw: failure bucket, once per consumer (a mapping filter drops only the registered types its consumer does not act on, never unknown ones)',
          evidence: { producer, event },
        });
      },
      timeoutMs + 30_000,
    );

    it(
      'wrong version: the producer refuses it naming the supported versions; sent raw, it ends in the DLQ',
      async () => {
        const producer = rejected(
          failuresOf(await publishEvents([{ ...goodEvent(), version: 2 }], { client: fc.clients.kinesis, streamName: fc.stream.name })),
        );
        expect(producer).toMatch(/^unsupported-version: version: OrderShipped v2 is not supported \(supported: v1\)/);
        const job = await inDlq('wrong-version');
        expect(job.error).toMatch(/^unsupported-version: version: send-email v9 is not supported/);
        await recordBadInput({
          key: '04-wrong-version',
          input: 'wrong version (OrderShipped v2, send-email v9)',
          happens: `producer: rejected, \`${producer}\`; sent raw: batch item failure, \`${job.error}\``,
          endsUp: 'producer: not sent; raw: DLQ after maxReceiveCount receives',
          evidence: { producer, job },
        });
      },
      timeoutMs + 30_000,
    );

    it(
      'missing required field: the producer refuses it naming data.orderId; put raw, it ends in the failure bucket',
      async () => {
        const e = goodEvent() as unknown as { data: Record<string, unknown> };
        delete e.data.orderId;
        const producer = rejected(failuresOf(await publishEvents([e], { client: fc.clients.kinesis, streamName: fc.stream.name })));
        expect(producer).toMatch(/^invalid-data: data\.orderId: required/);
        const event = await inFailureBucket('missing-field');
        expect(event.error).toMatch(/^invalid-data: data\.orderId: required/);
        await recordBadInput({
          key: '05-missing-field',
          input: 'missing required field (`data.orderId`)',
          happens: `producer: rejected, \`${producer}\`; put raw: batch item failure with the same reason`,
          endsUp: 'producer: not sent; raw: failure bucket, once per consumer whose filter lets its type through',
          evidence: { producer, event },
        });
      },
      timeoutMs + 30_000,
    );

    it(
      'oversized event and oversized job: the producer refuses them before sending, naming size and limit',
      async () => {
        const { sends, kinesis, sqs } = countingClients(fc);
        const orderId = `bad-${randomUUID()}`;
        const items = Array.from({ length: 20_000 }, (_, i) => ({ sku: `SKU-${'x'.repeat(40)}-${i}`, quantity: 1, unitPriceCents: 1 }));
        const big = newEvent(
          'OrderPlaced',
          { orderId, customerEmail: 'someone@example.com', items, totalCents: items.length, currency: 'EUR' },
          { partitionKey: orderId },
        );
        const event = rejected(failuresOf(await publishEvents([big], { client: kinesis, streamName: fc.stream.name })));
        expect(event).toMatch(/^oversized: record is \d+ bytes \(data \d+ \+ partition key \d+\), over the stream's 1048576-byte limit/);
        const bigJob = newJob(
          'resize-image',
          { sourceKey: 'uploads/huge.jpg', widths: Array.from({ length: 200_000 }, () => 10_000) },
          { jobKey: 'huge' },
        );
        const job = rejected(
          failuresOf(await enqueueJobs([bigJob], { client: sqs, queueUrl: fc.jobs.url, maxMessageBytes: fc.jobs.maximumMessageSize })),
        );
        expect(job).toMatch(
          new RegExp(
            `^oversized: message is \\d+ bytes \\(body \\+ attributes\\), over the queue's ${fc.jobs.maximumMessageSize}-byte limit`,
          ),
        );
        expect(sends, 'requests sent').toEqual({ kinesis: 0, sqs: 0 });
        await recordBadInput({
          key: '06-oversized',
          input: `oversized record: event over the stream's 1 MiB record limit, job over the queue's MaximumMessageSize (${fc.jobs.maximumMessageSize} B)`,
          happens: `producer: rejected before any request, \`${event.replace(/\d{5,}/g, (d) => Number(d).toLocaleString('en-US'))}\` / \`${job.replace(/\d{5,}/g, (d) => Number(d).toLocaleString('en-US'))}\``,
          endsUp: 'not sent; the per-entry failure goes back to the caller (other entries of the call are still sent)',
          evidence: { event, job, sends },
        });
      },
      timeoutMs,
    );

    it(
      'empty batch: the producers send nothing and report nothing; handlers given an empty event answer with no failures',
      async () => {
        const { sends, kinesis, sqs } = countingClients(fc);
        const p = await publishEvents([], { client: kinesis, streamName: fc.stream.name });
        const q = await enqueueJobs([], { client: sqs, queueUrl: fc.jobs.url });
        expect([p.succeeded, p.failed, q.succeeded, q.failed]).toEqual([0, 0, 0, 0]);
        expect(sends).toEqual({ kinesis: 0, sqs: 0 });
        const answers: Record<string, unknown> = {};
        for (const name of [fc.worker.name, ...fc.consumers.map((c) => c.name)]) {
          const r = await fc.lambda.hosts.get(name)!.invoke({ Records: [] });
          expect(r.status, `${name} on an empty batch`).toBe('ok');
          const failures = (r as { result?: { batchItemFailures?: unknown[] } }).result?.batchItemFailures ?? [];
          expect(failures).toEqual([]);
          answers[name] = (r as { result?: unknown }).result;
        }
        await recordBadInput({
          key: '07-empty-batch',
          input: 'empty batch (`publishEvents([])`, `enqueueJobs([])`, a handler invoked with `{"Records":[]}`)',
          happens: 'producers: empty report, no request; handlers: succeed with `batchItemFailures: []`',
          endsUp: 'nowhere: nothing to deliver',
          evidence: { sends, answers },
        });
      },
      timeoutMs,
    );

    it(
      'binary data: consumers report it as not UTF-8; it ends in the failure bucket with its bytes intact',
      async () => {
        const producer = rejected(
          failuresOf(await publishEvents([Buffer.from([0xff, 0xfe])], { client: fc.clients.kinesis, streamName: fc.stream.name })),
        );
        expect(producer).toMatch(/^not-an-envelope:/);
        const event = await inFailureBucket('binary');
        expect(event.error).toBe('not-json: body is not UTF-8 text (binary data?)');
        await recordBadInput({
          key: '08-binary',
          input: 'binary data (invalid UTF-8 bytes in a Kinesis record)',
          happens: `batch item failure, \`${event.error}\`; the producer refuses a non-envelope value (\`${producer.slice(0, 50)}…\`)`,
          endsUp:
            'failure bucket, once per consumer without a filter (not JSON, so no filter matches it), bytes intact (base64 in the invocation record)',
          evidence: { producer, event },
        });
      },
      timeoutMs + 30_000,
    );

    it(
      'an AWS-shaped SQS / Kinesis event whose body is plain text: only that record fails; the good one beside it is processed',
      async () => {
        const job = goodJob();
        const now = String(Date.now());
        const sqsRecord = (messageId: string, body: string) => ({
          messageId,
          receiptHandle: `rh-${messageId}`,
          body,
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: fc.jobs.arn,
          awsRegion: 'us-east-1',
          messageAttributes: {},
          attributes: { ApproximateReceiveCount: '1', SentTimestamp: now, SenderId: '000000000000', ApproximateFirstReceiveTimestamp: now },
        });
        const plainId = randomUUID();
        const w = await fc.lambda.hosts
          .get(fc.worker.name)!
          .invoke({ Records: [sqsRecord(randomUUID(), JSON.stringify(job)), sqsRecord(plainId, 'Hello from a plain-text producer')] });
        expect(w.status).toBe('ok');
        expect((w as { result: unknown }).result).toEqual({ batchItemFailures: [{ itemIdentifier: plainId }] });
        await eventually(
          'the good job done',
          () => fc.tally(fc.worker.name).effects.get(job.id) ?? 0,
          (n) => n === 1,
          { timeoutMs: 10_000, intervalMs: FAULT_POLL_MS },
        );
        const ev = goodEvent();
        const kRecord = (seq: string, data: Buffer) => ({
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: ev.partitionKey,
            sequenceNumber: seq,
            data: data.toString('base64'),
            approximateArrivalTimestamp: Date.now() / 1000,
          },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `shardId-000000000000:${seq}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: 'arn:aws:iam::000000000000:role/x',
          awsRegion: 'us-east-1',
          eventSourceARN: fc.stream.arn,
        });
        const seqGood = '49000000000000000000000000000000000000000000000000000001';
        const seqPlain = '49000000000000000000000000000000000000000000000000000002';
        const answers: Record<string, unknown> = {};
        for (const c of fc.consumers) {
          const k = await fc.lambda.hosts
            .get(c.name)!
            .invoke({ Records: [kRecord(seqGood, Buffer.from(JSON.stringify(ev))), kRecord(seqPlain, Buffer.from('Hello, plain text'))] });
          expect(k.status, c.name).toBe('ok');
          expect((k as { result: unknown }).result, c.name).toEqual({ batchItemFailures: [{ itemIdentifier: seqPlain }] });
          answers[c.name] = (k as { result: unknown }).result;
        }
        await recordBadInput({
          key: '09-aws-shaped-plain-text',
          input: 'a real AWS-shaped SQS / Kinesis event whose body is plain text, beside a good record',
          happens:
            'the handler returns `batchItemFailures` naming only the plain-text record (message id / sequence number); the good record is processed',
          endsUp: 'through a mapping: DLQ / failure bucket like any non-JSON body; the good record is not retried',
          evidence: { worker: (w as { result: unknown }).result, consumers: answers },
        });
      },
      timeoutMs,
    );

    it(
      'huge partition key: the producer refuses it naming partitionKey (and jobKey); Kinesis itself refuses one over 256 characters',
      async () => {
        const e = goodEvent();
        const producer = rejected(
          failuresOf(
            await publishEvents([{ ...e, partitionKey: 'k'.repeat(1000) }], { client: fc.clients.kinesis, streamName: fc.stream.name }),
          ),
        );
        expect(producer).toMatch(/^not-an-envelope: partitionKey: expected at most 256 characters/);
        const jobs = rejected(
          failuresOf(await enqueueJobs([{ ...goodJob(), jobKey: 'k'.repeat(1000) }], { client: fc.clients.sqs, queueUrl: fc.jobs.url })),
        );
        expect(jobs).toMatch(/^not-an-envelope: jobKey: expected at most 256 characters/);
        let service = '';
        try {
          await fc.clients.kinesis.send(
            new PutRecordCommand({ StreamName: fc.stream.name, PartitionKey: 'k'.repeat(257), Data: Buffer.from(JSON.stringify(e)) }),
          );
          service = 'accepted (!)';
        } catch (err) {
          service = `${(err as Error).name}: ${(err as Error).message}`;
        }
        expect(service).toMatch(/partitionKey/i);
        await recordBadInput({
          key: '10-huge-partition-key',
          input: 'huge partition key (1,000 characters; jobKey likewise)',
          happens: `producer: rejected, \`${producer}\` / \`${jobs}\`; a raw PutRecord is refused by Kinesis: \`${show(service, 120)}\``,
          endsUp: 'not sent',
          evidence: { producer, jobs, service },
        });
      },
      timeoutMs,
    );
  });
}
