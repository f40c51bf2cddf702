/** Error types shared by handlers and producers; each carries what a structured log line needs. */
import type { ParseFailureReason } from './envelope';

/** A record whose body is not a valid envelope: reported as a batch item failure, never retried into success. */
export class InvalidEnvelopeError extends Error {
  override readonly name = 'InvalidEnvelopeError';
  constructor(
    readonly reason: ParseFailureReason,
    message: string,
    readonly envelopeId?: string,
  ) {
    super(`${reason}: ${message}`);
  }
}

/** A stream record not attempted because an earlier record of the same batch failed (per-shard order). */
export class SkippedAfterEarlierFailureError extends Error {
  override readonly name = 'SkippedAfterEarlierFailureError';
  constructor(readonly failedSequenceNumber: string) {
    super(`not processed: earlier record ${failedSequenceNumber} of this batch failed; Lambda retries from it`);
  }
}

/** A configuration problem found at cold start (missing or malformed environment variable). */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}
