/**
 * The loop every Kinesis consumer shares: decode, parse the envelope, skip types it does not handle, call
 * its per-event function at most once per envelope id (idempotency.ts), report partial batch failures,
 * publish metrics.
 *
 * Failure semantics (per-shard order): records are processed one at a time, in order, and processing stops
 * at the first failure. The failed record AND every record after it are returned in batchItemFailures;
 * the later ones are not attempted (no side effects), so nothing of a partition key overtakes the failed
 * record. Lambda checkpoints before the lowest reported sequence number and redelivers from there; listing
 * the skipped records too keeps that lossless even for a poller that retried only the listed items.
 *
 * When the FIRST record of a batch fails (and there are others behind it), the handler throws instead: a
 * partial response naming the first record checkpoints nothing, so Lambda would retry the same batch and,
 * once retries run out, discard the good records behind the poison one to the on-failure destination too.
 * An invocation error makes Lambda bisect the batch (BisectBatchOnFunctionError applies to invocation
 * errors whatever ReportBatchItemFailures says), which isolates the poison record; only it is discarded.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { FailureResponse, SuccessResponse } from '@aws-lambda-powertools/batch/types';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { parseEvent, type KnownEvent } from './envelope';
import { InvalidEnvelopeError, PoisonAtBatchStartError, SkippedAfterEarlierFailureError } from './errors';
import { createIdempotency, IdempotencyAlreadyInProgressError, type Idempotency } from './idempotency';
import type { EventType as EventTypeName } from './registry';
import { BatchCounters, type Telemetry } from './telemetry';

/** Kinesis's hard ceiling on record size (a stream's limit is 1 MiB by default, raisable to 10 MiB). */
export const MAX_STREAM_RECORD_BYTES = 10 * 1024 * 1024;

export interface EventContext {
  readonly logger: Logger;
  /** This event's metrics: published only if the event completes, so a retried or duplicate event never counts twice. */
  readonly counters: BatchCounters;
}

export interface StreamConsumer<T extends EventTypeName> {
  /** Event types this consumer acts on; other registered types are acknowledged and counted as skipped. */
  readonly handles: readonly T[];
  /**
   * The per-event work, run at most once per `event.id` for this consumer: a redelivered or replayed event
   * this consumer already completed is acknowledged without calling it (see idempotency.ts).
   */
  readonly onEvent: (event: KnownEvent<T>, context: EventContext) => Promise<void>;
}

/** Powertools' BatchProcessor that stops at the first failed record and reports the rest as not attempted. */
export class StopOnFirstFailureProcessor extends BatchProcessor {
  override async processRecord(record: Parameters<BatchProcessor['processRecord']>[0]): Promise<SuccessResponse | FailureResponse> {
    const first = this.failureMessages[0];
    if (first !== undefined && 'kinesis' in first) {
      return this.failureHandler(record as KinesisStreamRecord, new SkippedAfterEarlierFailureError(first.kinesis.sequenceNumber));
    }
    return super.processRecord(record);
  }
}

/** `idempotency` defaults to the DynamoDB records named by the environment (throws at cold start if unset). */
export function streamConsumerHandler<T extends EventTypeName>(
  consumer: StreamConsumer<T>,
  { logger, metrics }: Telemetry,
  idempotency: Idempotency = createIdempotency(),
): (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse> {
  const handles = new Set<string>(consumer.handles);
  const processor = new StopOnFirstFailureProcessor(EventType.KinesisDataStreams);
  const onEventOnce = idempotency.once(consumer.onEvent);

  return async (event, context) => {
    logger.addContext(context);
    idempotency.registerLambdaContext(context);
    const counters = new BatchCounters();

    const processRecord = async (record: KinesisStreamRecord): Promise<void> => {
      const where = { sequenceNumber: record.kinesis.sequenceNumber, partitionKey: record.kinesis.partitionKey, eventSourceARN: record.eventSourceARN };
      const parsed = parseEvent(Buffer.from(record.kinesis.data, 'base64'), { maxBytes: MAX_STREAM_RECORD_BYTES });
      if (!parsed.ok) {
        counters.add('EventsInvalid');
        logger.error('invalid event envelope: reported as a batch item failure', { ...where, reason: parsed.reason, detail: parsed.message, envelopeId: parsed.envelopeId });
        throw new InvalidEnvelopeError(parsed.reason, parsed.message, parsed.envelopeId);
      }
      const envelope = parsed.envelope;
      const about = { ...where, envelopeId: envelope.id, eventType: envelope.type, version: envelope.version, replayId: envelope.replay?.replayId };
      if (!handles.has(envelope.type)) {
        counters.add('EventsSkipped', 1, { eventType: envelope.type });
        logger.debug('event type not handled by this consumer: acknowledged', about);
        return;
      }
      const eventCounters = new BatchCounters();
      let duplicate: boolean;
      try {
        ({ duplicate } = await onEventOnce(envelope as KnownEvent<T>, { logger, counters: eventCounters }));
      } catch (error) {
        if (error instanceof IdempotencyAlreadyInProgressError) {
          counters.add('EventsInProgress', 1, { eventType: envelope.type });
          logger.warn('event is in progress in another invocation: reported as a batch item failure, retried later', about);
        } else {
          counters.add('EventsFailed', 1, { eventType: envelope.type });
          logger.error('event processing failed: reported as a batch item failure', { ...about, error });
        }
        throw error;
      }
      if (duplicate) {
        counters.add('EventsDuplicate', 1, { eventType: envelope.type });
        logger.info('event already processed by this consumer: acknowledged without side effects', about);
        return;
      }
      counters.merge(eventCounters);
      counters.add('EventsProcessed', 1, { eventType: envelope.type });
      logger.info('event processed', about);
    };

    try {
      const response = await processPartialResponse(event, processRecord, processor, {
        context,
        // Powertools 2.x processes records in parallel unless told otherwise; streams need them in order.
        processInParallel: false,
        // A batch whose records all failed is reported item by item, like any other: the handler never
        // throws for bad records (a thrown error would only add a function error, not change the retry).
        throwOnFullBatchFailure: false,
      });
      const failures = response.batchItemFailures;
      const first = event.Records[0]?.kinesis.sequenceNumber;
      if (failures.length > 0 && event.Records.length > 1 && failures[0]!.itemIdentifier === first) {
        logger.warn('first record of the batch failed: failing the invocation so that Lambda bisects the batch', {
          records: event.Records.length,
          firstFailedSequenceNumber: first,
        });
        throw new PoisonAtBatchStartError(first, event.Records.length);
      }
      if (failures.length > 0) {
        logger.warn('batch partially failed: Lambda retries from the first failed record', {
          records: event.Records.length,
          firstFailedSequenceNumber: failures[0]!.itemIdentifier,
          notAttempted: failures.length - 1,
        });
      }
      return response;
    } finally {
      counters.publish(metrics);
    }
  };
}
