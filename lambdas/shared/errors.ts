/** Error types shared by handlers and producers; each carries what a structured log line needs. */
import type { ParseFailureReason } from './envelope';

/** A record whose body is not a valid envelope: reported as a batch item failure, never retried into success. */
export class InvalidEnvelopeError extends Error {
  override readonly name = 'InvalidEnvelopeError';
  constructor(
    readonly reason: ParseFailureReason,
    /** What is wrong, without the reason (the log line's `detail`). */
    readonly detail: string,
    readonly envelopeId?: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

/** A stream record not attempted (or its outcome withheld) because an earlier record of its partition key failed in this batch. */
export class SkippedAfterEarlierFailureError extends Error {
  override readonly name = 'SkippedAfterEarlierFailureError';
  constructor(readonly failedSequenceNumber: string) {
    super(`not processed: earlier record ${failedSequenceNumber} of its partition key failed; Lambda retries from it`);
  }
}

/** Thrown by a stream consumer whose first record failed, so that Lambda bisects the batch (stream-consumer.ts). */
export class PoisonAtBatchStartError extends Error {
  override readonly name = 'PoisonAtBatchStartError';
  constructor(
    readonly sequenceNumber: string,
    readonly batchSize: number,
  ) {
    super(`record ${sequenceNumber}, the first of ${batchSize}, failed: invocation failed so that Lambda bisects the batch`);
  }
}

/** A configuration problem found at cold start (missing or malformed environment variable). */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}
