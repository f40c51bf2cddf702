import './env';
import type { SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DECLINED_TOKEN } from '../../lambdas/job-worker/fakes';
import { handler } from '../../lambdas/job-worker/handler';
import { serializeEnvelope } from '../../lambdas/shared/envelope';
import { BATCH_DONE, JOB_MESSAGES } from '../../lambdas/shared/log-messages';
import {
  captureOutput,
  emfMetrics,
  lambdaContext,
  orderPlaced,
  paymentJob,
  resizeImageJob,
  sendEmailJob,
  sqsEvent,
  sqsRecord,
} from './factories';
import { useIdempotencyStore } from './idempotency-store';

useIdempotencyStore();

let output: ReturnType<typeof captureOutput>;
beforeEach(() => (output = captureOutput()));
afterEach(() => output.restore());

const invoke = (records: SQSRecord[]) => handler(sqsEvent(records), lambdaContext('job-worker'));
const logsAt = (level: string) => output.lines().filter((l) => l['level'] === level);

describe('job worker', () => {
  it('processes a batch of good jobs of every type: no failures, JobsProcessed per type', async () => {
    const records = [sendEmailJob(), resizeImageJob(), paymentJob(), paymentJob()].map((j) => sqsRecord(serializeEnvelope(j)));
    await expect(invoke(records)).resolves.toEqual({ batchItemFailures: [] });
    expect(emfMetrics(output.lines())).toEqual({
      'JobsProcessed{jobType=send-email}': 1,
      'JobsProcessed{jobType=resize-image}': 1,
      'JobsProcessed{jobType=process-payment}': 2,
    });
    // one DEBUG line per job, one INFO line for the invocation
    expect(logsAt('DEBUG').filter((l) => l['message'] === JOB_MESSAGES.processed)).toHaveLength(4);
    expect(logsAt('INFO')).toEqual([
      expect.objectContaining({
        message: BATCH_DONE,
        records: 4,
        processed: 4,
        duplicates: 0,
        failed: 0,
        invalid: 0,
        batchItemFailures: 0,
      }),
    ]);
  });

  it('reports exactly the failed jobs by messageId and logs each with its reason', async () => {
    const good = [sendEmailJob(), paymentJob()].map((j) => sqsRecord(serializeEnvelope(j)));
    const declined = paymentJob({ paymentToken: DECLINED_TOKEN });
    const bad = [declined, resizeImageJob({ sourceKey: 'x.corrupt' }), sendEmailJob({ to: 'nobody@bounce.example' })].map((j) =>
      sqsRecord(serializeEnvelope(j), 3),
    );
    const response = await invoke([good[0]!, bad[0]!, bad[1]!, good[1]!, bad[2]!]);
    expect(response.batchItemFailures).toEqual(bad.map((r) => ({ itemIdentifier: r.messageId })));
    expect(emfMetrics(output.lines())).toMatchObject({
      'JobsFailed{jobType=process-payment}': 1,
      'JobsFailed{jobType=resize-image}': 1,
      'JobsFailed{jobType=send-email}': 1,
    });
    const failure = logsAt('ERROR').find((l) => l['messageId'] === bad[0]!.messageId);
    expect(failure).toMatchObject({
      envelopeId: declined.id,
      jobType: 'process-payment',
      permanent: true,
      receiveCount: 3,
      error: { name: 'PaymentDeclinedError' },
    });
    expect(logsAt('INFO')).toEqual([
      expect.objectContaining({ message: BATCH_DONE, records: 5, processed: 2, failed: 3, batchItemFailures: 3 }),
    ]);
  });

  const job = sendEmailJob();
  const badBodies: Array<[string, string, string]> = [
    ['malformed JSON', serializeEnvelope(job).slice(0, -5), 'not-json'],
    ['a plain-text body', 'please send the email', 'not-json'],
    ['a wrong envelope version', JSON.stringify({ ...job, version: 7 }), 'unsupported-version'],
    ['an unknown job type', JSON.stringify({ ...job, type: 'launch-rocket' }), 'unknown-type'],
    ['invalid job data', JSON.stringify({ ...job, data: { ...job.data, to: 42 } }), 'invalid-data'],
    ['an event envelope', serializeEnvelope(orderPlaced()), 'not-an-envelope'],
    ['an oversized body (> 1 MiB)', JSON.stringify({ ...job, padding: 'x'.repeat(1024 * 1024) }), 'oversized'],
  ];

  it.each(badBodies)('fails a record with %s as a batch item failure and logs reason and messageId', async (_name, body, reason) => {
    const records = [sqsRecord(serializeEnvelope(sendEmailJob())), sqsRecord(body), sqsRecord(serializeEnvelope(sendEmailJob()))];
    const response = await invoke(records);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1]!.messageId }]);
    const log = logsAt('ERROR').find((l) => l['messageId'] === records[1]!.messageId);
    expect(log).toMatchObject({ message: JOB_MESSAGES.invalid, reason });
    expect(typeof log?.['detail']).toBe('string');
  });

  it('names the envelope id and the field in the log line of invalid job data', async () => {
    const record = sqsRecord(JSON.stringify({ ...job, data: { ...job.data, to: 42 } }));
    await invoke([record, sqsRecord(serializeEnvelope(sendEmailJob()))]);
    expect(logsAt('ERROR')[0]).toMatchObject({ envelopeId: job.id, detail: 'data.to: expected string, received number' });
  });

  it('reports a batch whose every record fails item by item instead of throwing', async () => {
    const records = [sqsRecord('nope'), sqsRecord(serializeEnvelope(paymentJob({ paymentToken: DECLINED_TOKEN })))];
    await expect(invoke(records)).resolves.toEqual({ batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) });
    expect(logsAt('INFO')).toEqual([
      expect.objectContaining({ message: BATCH_DONE, records: 2, processed: 0, invalid: 1, failed: 1, batchItemFailures: 2 }),
    ]);
  });
});
