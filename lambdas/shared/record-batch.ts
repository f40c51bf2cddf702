/**
 * The core every handler shares, whatever delivers its records: parse the envelope (oversize and invalid
 * records classified), run the work once per envelope id, classify the outcome, count it, log it, and answer
 * with a partial batch response. Two thin adapters put it on an event source:
 * - lambdas/shared/stream-consumer.ts (Kinesis): per-key order, the checkpoint rule, a poison first record throws;
 * - lambdas/shared/queue-worker.ts (SQS): records in parallel, no order to keep, receiveCount in the log lines.
 *
 * Logging: one DEBUG line per record that succeeded, one INFO summary per invocation (BATCH_DONE), and the
 * failed records at ERROR (invalid, failed) or WARN (in progress), whatever the level. Messages:
 * lambdas/shared/log-messages.ts.
 *
 * Metrics: `<prefix>Processed`, `…Duplicate`, `…Skipped` (committed: see `commit`) and `…Invalid`, `…Failed`,
 * `…InProgress` (attempts, counted whatever the checkpoint), with the envelope's type as dimension (none for
 * `…Invalid`), published once per invocation (BatchCounters).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ParseResult } from './envelope';
import { InvalidEnvelopeError, type SkippedAfterEarlierFailureError } from './errors';
import type { Idempotency, IdempotentOutcome } from './idempotency';
import { BATCH_DONE, type BatchSummary, EVENT_MESSAGES, JOB_MESSAGES, type RecordMessages } from './log-messages';
import { BatchCounters } from './telemetry';

/** What a handler's records carry: it names the metrics, their dimension and the log lines. */
export interface RecordKind {
  readonly metricPrefix: 'Events' | 'Jobs';
  /** the dimension that holds the envelope's type */
  readonly typeDimension: 'eventType' | 'jobType';
  readonly messages: RecordMessages;
}

export const EVENTS: RecordKind = { metricPrefix: 'Events', typeDimension: 'eventType', messages: EVENT_MESSAGES };
export const JOBS: RecordKind = { metricPrefix: 'Jobs', typeDimension: 'jobType', messages: JOB_MESSAGES };

/** What the core needs to know of an envelope. */
export interface Identified {
  readonly id: string;
  readonly type: string;
}

/** What became of one record. `R` is what the work returned (logged, or kept until the record is committed). */
export type Outcome<E extends Identified, R> =
  | { readonly kind: 'ok'; readonly envelope: E; readonly result: R }
  /** `result`: what the work returned when it was done before (the idempotency record keeps it) */
  | { readonly kind: 'duplicate'; readonly envelope: E; readonly inBatch: boolean; readonly result?: R }
  | { readonly kind: 'skipped'; readonly envelope: E }
  | { readonly kind: 'failed'; readonly error: unknown; readonly envelope?: E }
  | { readonly kind: 'not-attempted'; readonly error: SkippedAfterEarlierFailureError };

export type Failed<E extends Identified> = Extract<Outcome<E, never>, { kind: 'failed' }>;

/**
 * `fn` once per `payload.id` through the idempotency records when there are any, else every time (a handler
 * whose side effect is idempotent by itself keeps no records: lambdas/consumers.ts `none`).
 */
export function once<P extends { readonly id: string }, A extends unknown[], R>(
  idempotency: Idempotency | undefined,
  fn: (payload: P, ...rest: A) => Promise<R>,
): (payload: P, ...rest: A) => Promise<IdempotentOutcome<R>> {
  if (idempotency !== undefined) return idempotency.once(fn);
  return async (payload, ...rest) => ({ duplicate: false, result: (await fn(payload, ...rest)) ?? null });
}

/** Another invocation holds the envelope id's idempotency record (lambdas/shared/idempotency.ts). */
const isInProgress = (error: unknown): boolean => (error as { name?: string } | null)?.name === 'IdempotencyAlreadyInProgressError';

/**
 * One invocation's records (`Rec`, the event source's shape) and what became of each: their outcomes, the
 * attempt counters, the log lines and the response.
 */
export class RecordBatch<Rec, E extends Identified, R> {
  /** one per record, by index; every adapter settles all of them before it answers */
  readonly outcomes: Array<Outcome<E, R>>;
  /** Attempt metrics (invalid, failed, in progress): counted whatever the checkpoint. */
  readonly attempts = new BatchCounters();

  constructor(
    readonly records: readonly Rec[],
    private readonly kind: RecordKind,
    private readonly logger: Logger,
    /** fields the failed record's ERROR line adds to `error` (e.g. the worker's `permanent`) */
    private readonly failureFields: (error: unknown) => Record<string, unknown> = () => ({}),
  ) {
    this.outcomes = new Array<Outcome<E, R>>(records.length);
  }

  /** The envelope, or (counted as invalid) the failed outcome of a record that is not a valid, small enough one. */
  parse(parsed: ParseResult<E>): { readonly ok: true; readonly envelope: E } | { readonly ok: false; readonly outcome: Failed<E> } {
    if (parsed.ok) return parsed;
    this.attempts.add(`${this.kind.metricPrefix}Invalid`);
    return { ok: false, outcome: { kind: 'failed', error: new InvalidEnvelopeError(parsed.reason, parsed.message, parsed.envelopeId) } };
  }

  /** Runs the work (`once` decides whether it is a duplicate): never throws, the outcome says what happened. */
  async attempt(envelope: E, work: () => Promise<{ readonly duplicate: boolean; readonly result: R }>): Promise<Outcome<E, R>> {
    try {
      const { duplicate, result } = await work();
      return duplicate ? { kind: 'duplicate', envelope, inBatch: false, result } : { kind: 'ok', envelope, result };
    } catch (error) {
      return this.failed(envelope, error);
    }
  }

  /** A record whose work (or the delivery of its jobs) failed: counted as an attempt. */
  failed(envelope: E, error: unknown): Failed<E> {
    this.attempts.add(`${this.kind.metricPrefix}${isInProgress(error) ? 'InProgress' : 'Failed'}`, 1, this.dimensions(envelope));
    return { kind: 'failed', error, envelope };
  }

  /**
   * Adds a settled record's metric (processed, duplicate, skipped) to `counters`. The adapter says which
   * records count: the Kinesis one only those before the checkpoint (Lambda delivers the rest again), the SQS
   * one every record.
   */
  commit(outcome: Outcome<E, R>, counters: BatchCounters): void {
    const { metricPrefix: prefix } = this.kind;
    if (outcome.kind === 'ok') counters.add(`${prefix}Processed`, 1, this.dimensions(outcome.envelope));
    else if (outcome.kind === 'duplicate') counters.add(`${prefix}Duplicate`, 1, this.dimensions(outcome.envelope));
    else if (outcome.kind === 'skipped') counters.add(`${prefix}Skipped`, 1, this.dimensions(outcome.envelope));
  }

  /** One record's log line: DEBUG when it succeeded, WARN or ERROR when it failed; `about` says which record. */
  log(outcome: Outcome<E, R>, about: Record<string, unknown>): void {
    const { logger } = this;
    const m = this.kind.messages;
    switch (outcome.kind) {
      case 'ok':
        logger.debug(m.processed, about);
        return;
      case 'duplicate':
        // Only stream consumers meet an envelope id twice in one batch: the worker's copies meet in its records.
        logger.debug(outcome.inBatch ? EVENT_MESSAGES.repeatedInBatch : m.duplicate, about);
        return;
      case 'skipped':
        // Only stream consumers skip: a job of a type the worker has no runner for does not compile.
        logger.debug(EVENT_MESSAGES.skipped, about);
        return;
      case 'failed':
        if (outcome.error instanceof InvalidEnvelopeError) {
          const { reason, detail, envelopeId } = outcome.error;
          logger.error(m.invalid, { ...about, reason, detail, envelopeId });
        } else if (isInProgress(outcome.error)) {
          logger.warn(m.inProgress, about);
        } else {
          logger.error(m.failed, { ...about, ...this.failureFields(outcome.error), error: outcome.error });
        }
        return;
      case 'not-attempted':
        return;
    }
  }

  /** Indices of the records the response names, in record order. */
  failedIndices(): number[] {
    return this.outcomes.flatMap((o, i) => (o.kind === 'failed' || o.kind === 'not-attempted' ? [i] : []));
  }

  /** The invocation's INFO line: how many records ended how. */
  logSummary(): BatchSummary {
    const summary = {
      records: this.records.length,
      processed: 0,
      duplicates: 0,
      repeatedInBatch: 0,
      skipped: 0,
      invalid: 0,
      inProgress: 0,
      failed: 0,
      notAttempted: 0,
      batchItemFailures: 0,
    } satisfies BatchSummary;
    for (const o of this.outcomes) {
      if (o.kind === 'ok') summary.processed++;
      else if (o.kind === 'duplicate') summary[o.inBatch ? 'repeatedInBatch' : 'duplicates']++;
      else if (o.kind === 'skipped') summary.skipped++;
      else if (o.kind === 'not-attempted') summary.notAttempted++;
      else if (o.error instanceof InvalidEnvelopeError) summary.invalid++;
      else summary[isInProgress(o.error) ? 'inProgress' : 'failed']++;
    }
    summary.batchItemFailures = summary.invalid + summary.inProgress + summary.failed + summary.notAttempted;
    this.logger.info(BATCH_DONE, summary);
    return summary;
  }

  private dimensions(envelope: E): Record<string, string> {
    return { [this.kind.typeDimension]: envelope.type };
  }
}
