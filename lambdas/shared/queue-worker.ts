/**
 * The SQS adapter of the handler core (lambdas/shared/record-batch.ts), for the job queue's worker:
 * parse each job envelope → run it once per envelope id → partial batch response.
 *
 * - Standard queue, no order to keep: the records of a batch run in parallel. Two copies of one job in a
 *   batch meet in the idempotency record: the second is in progress (a batch item failure, retried later).
 * - A failed record is reported by its messageId: SQS makes it visible again after the visibility timeout and,
 *   after maxReceiveCount receives, moves it to the DLQ. A batch whose every record failed is reported item by
 *   item rather than thrown, so the handler never throws for bad records.
 * - No checkpoint: every record is settled in this invocation, so every outcome is counted.
 * - Each record's line is logged as soon as it settles (with its messageId and receiveCount).
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DEFAULT_MAX_JOB_BYTES, type KnownJob, parseJob } from './envelope';
import type { Idempotency } from './idempotency';
import { JOBS, once, type Outcome, RecordBatch } from './record-batch';
import { BatchCounters, createTelemetry, type Telemetry } from './telemetry';

export interface QueueWorker<R> {
  /** One job's work. Throwing fails the record, which SQS delivers again. */
  readonly run: (job: KnownJob) => Promise<R>;
  /** Fields a failed job's ERROR line adds to its `error` (e.g. whether retrying can help). */
  readonly failureFields?: (error: unknown) => Record<string, unknown>;
}

export interface QueueWorkerPorts {
  readonly telemetry?: Telemetry;
  /** The worker's records: a redelivered or redriven job that completed is acknowledged without running. */
  readonly idempotency: Idempotency;
}

export function queueWorkerHandler<R>(
  worker: QueueWorker<R>,
  ports: QueueWorkerPorts,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const { logger, metrics } = ports.telemetry ?? createTelemetry();
  const { idempotency } = ports;
  const runOnce = once(idempotency, worker.run);

  return async (event, context) => {
    logger.addContext(context);
    idempotency.registerLambdaContext(context);
    const batch = new RecordBatch<SQSRecord, KnownJob, R | null>(event.Records, JOBS, logger, worker.failureFields);

    const settle = async (record: SQSRecord, i: number): Promise<void> => {
      const parsed = batch.parse(parseJob(record.body, { maxBytes: DEFAULT_MAX_JOB_BYTES }));
      const outcome = parsed.ok ? await batch.attempt(parsed.envelope, () => runOnce(parsed.envelope)) : parsed.outcome;
      batch.outcomes[i] = outcome;
      batch.log(outcome, about(record, outcome));
    };

    const committed = new BatchCounters();
    try {
      await Promise.all(event.Records.map(settle));
      for (const outcome of batch.outcomes) batch.commit(outcome, committed);
      batch.logSummary();
      return { batchItemFailures: batch.failedIndices().map((i) => ({ itemIdentifier: batch.records[i]!.messageId })) };
    } finally {
      committed.merge(batch.attempts);
      committed.publish(metrics);
    }
  };
}

/** Which record a line is about: the message, and the job when the body was one. */
function about<R>(record: SQSRecord, outcome: Outcome<KnownJob, R>): Record<string, unknown> {
  const where = { messageId: record.messageId, receiveCount: Number(record.attributes.ApproximateReceiveCount) };
  if (!('envelope' in outcome) || outcome.envelope === undefined) return where;
  const job = outcome.envelope;
  const fields = { ...where, envelopeId: job.id, jobType: job.type, jobKey: job.jobKey, causationId: job.causationId };
  return 'result' in outcome ? { ...fields, outcome: outcome.result } : fields;
}
