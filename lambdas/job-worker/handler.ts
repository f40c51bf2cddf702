/** Job worker: SQS batch → parse each job envelope → run it → partial batch response. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DEFAULT_MAX_JOB_BYTES, parseJob, type KnownJob } from '../shared/envelope';
import { InvalidEnvelopeError } from '../shared/errors';
import { BatchCounters, createTelemetry } from '../shared/telemetry';
import { createFakePorts } from './fakes';
import { runJob } from './jobs';
import { PermanentJobError } from './ports';

const { logger, metrics } = createTelemetry();
const ports = createFakePorts();
const processor = new BatchProcessor(EventType.SQS);

/** Per-job work keyed on the envelope id: the idempotency issue wraps this with makeIdempotent in one line. */
const processJob = (job: KnownJob) => runJob(job, ports);

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
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
    try {
      const outcome = await processJob(job);
      counters.add('JobsProcessed', 1, { jobType: job.type });
      logger.info('job done', { ...about, outcome });
    } catch (error) {
      counters.add('JobsFailed', 1, { jobType: job.type });
      logger.error('job failed: reported as a batch item failure', { ...about, permanent: error instanceof PermanentJobError, error });
      throw error;
    }
  };

  try {
    // Standard queue, no order to keep: records run in parallel. A batch whose records all failed is
    // reported item by item rather than thrown, so the handler never throws for bad records.
    return await processPartialResponse(event, processRecord, processor, { context, processInParallel: true, throwOnFullBatchFailure: false });
  } finally {
    counters.publish(metrics);
  }
};
