/**
 * The loop every Kinesis consumer shares: decode, parse the envelope, skip types it does not handle, call
 * its per-event function, report partial batch failures, publish metrics.
 *
 * Failure semantics (per-shard order): records are processed one at a time, in order, and processing stops
 * at the first failure. The failed record AND every record after it are returned in batchItemFailures;
 * the later ones are not attempted (no side effects), so nothing of a partition key overtakes the failed
 * record. Lambda checkpoints before the lowest reported sequence number and redelivers from there; listing
 * the skipped records too keeps that lossless even for a poller that retried only the listed items.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { FailureResponse, SuccessResponse } from '@aws-lambda-powertools/batch/types';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { parseEvent, type KnownEvent } from './envelope';
import { InvalidEnvelopeError, SkippedAfterEarlierFailureError } from './errors';
import type { EventType as EventTypeName } from './registry';
import { BatchCounters, type Telemetry } from './telemetry';

/** Kinesis's hard ceiling on record size (a stream's limit is 1 MiB by default, raisable to 10 MiB). */
export const MAX_STREAM_RECORD_BYTES = 10 * 1024 * 1024;

export interface EventContext {
  readonly logger: Logger;
  readonly counters: BatchCounters;
}

export interface StreamConsumer<T extends EventTypeName> {
  /** Event types this consumer acts on; other registered types are acknowledged and counted as skipped. */
  readonly handles: readonly T[];
  /**
   * The per-event work. Idempotency (a later issue) keys on `event.id`: wrapping this function with
   * Powertools' makeIdempotent (eventKeyJmesPath 'id') is the one-line change.
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

export function streamConsumerHandler<T extends EventTypeName>(
  consumer: StreamConsumer<T>,
  { logger, metrics }: Telemetry,
): (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse> {
  const handles = new Set<string>(consumer.handles);
  const processor = new StopOnFirstFailureProcessor(EventType.KinesisDataStreams);

  return async (event, context) => {
    logger.addContext(context);
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
      try {
        await consumer.onEvent(envelope as KnownEvent<T>, { logger, counters });
      } catch (error) {
        counters.add('EventsFailed', 1, { eventType: envelope.type });
        logger.error('event processing failed: reported as a batch item failure', { ...about, error });
        throw error;
      }
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
