/**
 * The messages the handlers log, in one home that the handlers and every reader of their logs (the unit tests,
 * the fault suite's tallies, the e2e suites) import, so that renaming one breaks its readers at compile time
 * instead of silently zeroing a tally.
 *
 * Levels (lambdas/shared/record-batch.ts logs them):
 * - per record, DEBUG: `processed`, `duplicate`, `repeatedInBatch`, `skipped` (no per-record chatter at INFO,
 *   the level every function runs at: lib/house-function-defaults.ts logLevel);
 * - per invocation, INFO: BATCH_DONE, a summary with counts (BatchSummary);
 * - per failed record, whatever the level: `invalid` and `failed` at ERROR, `inProgress` at WARN.
 *
 * A reader that needs per-record identities (envelope id, causationId, replayId) runs the function with
 * RECORD_LINES_ENVIRONMENT, as an operator does on AWS (`npm run function-env -- <function> POWERTOOLS_LOG_LEVEL=DEBUG`).
 */
import { FUNCTION_ENV } from '../../lib/contract';

/** The environment under which a function logs its per-record lines (the test suites' tallies read them). */
export const RECORD_LINES_ENVIRONMENT: Readonly<Record<string, string>> = { [FUNCTION_ENV.logLevel]: 'DEBUG' };

/** What a stream consumer logs per event (lambdas/shared/stream-consumer.ts). */
export const EVENT_MESSAGES = {
  processed: 'event processed',
  duplicate: 'event already processed by this consumer: acknowledged without side effects',
  repeatedInBatch: 'event repeated in this batch: acknowledged without side effects',
  skipped: 'event type not handled by this consumer: acknowledged',
  invalid: 'invalid event envelope: reported as a batch item failure',
  inProgress: 'event is in progress in another invocation: reported as a batch item failure, retried later',
  failed: 'event processing failed: reported as a batch item failure',
} as const;

/** What the job worker logs per job (lambdas/job-worker/handler.ts). */
export const JOB_MESSAGES = {
  processed: 'job done',
  duplicate: 'job already done: acknowledged without side effects',
  invalid: 'invalid job envelope: reported as a batch item failure',
  inProgress: 'job is in progress in another invocation: reported as a batch item failure, retried later',
  failed: 'job failed: reported as a batch item failure',
} as const;

/** The per-record messages every handler logs (the shared core's part of EVENT_MESSAGES and JOB_MESSAGES). */
export type RecordMessages = { readonly [K in keyof typeof JOB_MESSAGES]: string };

/** The one INFO line per invocation. */
export const BATCH_DONE = 'batch done';

/**
 * The fields of the BATCH_DONE line. Every record is counted in exactly one of the outcome fields, so they
 * sum to `records`; `batchItemFailures` is how many records the response names (invalid + inProgress + failed
 * + notAttempted).
 */
export interface BatchSummary {
  readonly records: number;
  /** ran the work (side effects applied) */
  readonly processed: number;
  /** acknowledged without side effects: the idempotency record says it was done before */
  readonly duplicates: number;
  /** acknowledged without side effects: the same envelope id earlier in this batch (stream consumers) */
  readonly repeatedInBatch: number;
  /** acknowledged: a type this consumer does not handle (stream consumers) */
  readonly skipped: number;
  /** not a valid envelope */
  readonly invalid: number;
  /** held by another invocation: retried later */
  readonly inProgress: number;
  /** the work threw (or its jobs were not accepted) */
  readonly failed: number;
  /** reported with an earlier failed record of its partition key (stream consumers) */
  readonly notAttempted: number;
  readonly batchItemFailures: number;
}
