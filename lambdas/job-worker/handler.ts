/** Job worker: SQS batch → parse each job envelope → run it → partial batch response. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DEFAULT_MAX_JOB_BYTES, parseJob, type KnownJob } from '../shared/envelope';
import { InvalidEnvelopeError } from '../shared/errors';
import { createIdempotency, IdempotencyAlreadyInProgressError } from '../shared/idempotency';
import { BatchCounters, createTelemetry } from '../shared/telemetry';
import { runJob } from './jobs';
import { PermanentJobError } from './ports';
import { createPorts } from './wiring';

const { logger, metrics } = createTelemetry();
const ports = createPorts(); // fakes until a fork wires real adapters in wiring.ts
const processor = new BatchProcessor(EventType.SQS);
const idempotency = createIdempotency(); // throws at cold start if IDEMPOTENCY_* is not set

/** Per-job work, at most once per job envelope id: a redelivered or redriven job that completed is a no-op. */
const processJob = idempotency.once((job: KnownJob) => runJob(job, ports));

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  idempotency.registerLambdaContext(context);
  const counters = new BatchCounters();

  const processRecord = async (record: SQSRecord): Promise<void> => {
    const where = { messageId: record.messageId, receiveCount: Number(record.attributes.ApproximateReceiveCount) };
    const parsed = parseJob(record.body, { maxBytes: DEFAULT_MAX_JOB_BYTES });
    if (!parsed.ok) {
      counters.add('JobsInvalid');
      logger.error('invalid job envelope: reported as a batch item failure', { ...where, reason: parsed.reason, detail: parsed.message, envelopeId: parsed.envelopeId });
      throw new InvalidEnvelopeError(parsed.reason, parsed.message, parsed.envelopeId);
    }
    const job = parsed.envelope;
    const about = { ...where, envelopeId: job.id, jobType: job.type, jobKey: job.jobKey, causationId: job.causationId };
    let done: Awaited<ReturnType<typeof processJob>>;
    try {
      done = await processJob(job);
    } catch (error) {
      if (error instanceof IdempotencyAlreadyInProgressError) {
        // A duplicate of a job another invocation is running: visible again after the visibility timeout.
        counters.add('JobsInProgress', 1, { jobType: job.type });
        logger.warn('job is in progress in another invocation: reported as a batch item failure, retried later', about);
      } else {
        counters.add('JobsFailed', 1, { jobType: job.type });
        logger.error('job failed: reported as a batch item failure', { ...about, permanent: error instanceof PermanentJobError, error });
      }
      throw error;
    }
    if (done.duplicate) {
      counters.add('JobsDuplicate', 1, { jobType: job.type });
      logger.info('job already done: acknowledged without side effects', { ...about, outcome: done.result });
      return;
    }
    counters.add('JobsProcessed', 1, { jobType: job.type });
    logger.info('job done', { ...about, outcome: done.result });
  };

  try {
    // Standard queue, no order to keep: records run in parallel. A batch whose records all failed is
    // reported item by item rather than thrown, so the handler never throws for bad records.
    return await processPartialResponse(event, processRecord, processor, { context, processInParallel: true, throwOnFullBatchFailure: false });
  } finally {
    counters.publish(metrics);
  }
};
