/** What publishEvents and enqueueJobs share: per-entry results, retry with backoff, all-or-nothing check. */
import type { ParseFailure, ParseFailureReason } from '../envelope';

export type DeliveryFailureReason =
  /** the envelope failed validation and was not sent (see ParseFailureReason) */
  | Exclude<ParseFailureReason, 'not-json'>
  /** retryable per-entry errors (throttling, internal failure) or request errors persisted for maxAttempts */
  | 'retries-exhausted'
  /** the service rejected the entry with a non-retryable error */
  | 'rejected'
  /** the whole request failed with a non-retryable error (e.g. access denied, no such queue) */
  | 'request-failed'
  /** not sent because an earlier entry with the same partition key failed (keeps per-key order) */
  | 'blocked-by-earlier-failure';

export interface DeliveryFailure {
  /** Position of the entry in the caller's input array. */
  readonly index: number;
  /** Envelope id, when the entry had one. */
  readonly id: string | undefined;
  readonly ok: false;
  readonly reason: DeliveryFailureReason;
  readonly message: string;
  /** The service's error code (ErrorCode / Code / error name), when there was one. */
  readonly errorCode?: string;
  /** How many times the entry was sent (0 when rejected before sending). */
  readonly attempts: number;
}

/** An entry that failed validation: rejected before sending (validation never reports not-json for a value). */
export function invalidEntry(index: number, failure: ParseFailure): DeliveryFailure {
  return {
    index,
    id: failure.envelopeId,
    ok: false,
    reason: failure.reason as DeliveryFailureReason,
    message: failure.message,
    attempts: 0,
  };
}

/** What every delivered entry reports; each producer adds where it landed. */
export interface Delivered {
  /** The entry's position in the input. */
  readonly index: number;
  readonly id: string;
  readonly ok: true;
  /** How many times the entry was sent. */
  readonly attempts: number;
}

export interface DeliveryReport<S extends { readonly ok: true }> {
  /** One result per input entry, in input order (results[i].index === i). */
  readonly results: ReadonlyArray<S | DeliveryFailure>;
  readonly succeeded: number;
  readonly failed: number;
}

export interface RetryOptions {
  /** Sends per entry, including the first (default 5). */
  readonly maxAttempts?: number;
  /** First backoff ceiling; doubles per attempt, with full jitter (default 100 ms). */
  readonly baseDelayMs?: number;
  /** Backoff ceiling cap (default 5 s). */
  readonly maxDelayMs?: number;
  /** Injected in tests; defaults to setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected in tests; defaults to Math.random. */
  readonly random?: () => number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

interface Backoff {
  readonly maxAttempts: number;
  /** Waits before the next send of entries that have been sent `attempt` times already. */
  wait(attempt: number): Promise<void>;
}

function backoff(options: RetryOptions): Backoff {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be an integer ≥ 1, got ${maxAttempts}`);
  const base = options.baseDelayMs ?? 100;
  const cap = options.maxDelayMs ?? 5_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): spreads retries of many producers.
  return { maxAttempts, wait: (attempt) => sleep(Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1)))) };
}

/** SDK errors worth retrying for a whole request: throttling, server faults, network errors. */
export function isRetryableRequestError(error: unknown): boolean {
  const e = error as { $fault?: string; $retryable?: unknown; name?: string; $metadata?: { httpStatusCode?: number } };
  if (e.$retryable) return true;
  if (typeof e.name === 'string' && /throttl|limitexceeded|toomanyrequests|provisionedthroughput/i.test(e.name)) return true;
  // A client fault (4xx: access denied, no such queue or stream, validation) will not heal by retrying.
  return e.$fault !== 'client';
}

export const errorName = (error: unknown): string =>
  error instanceof Error ? error.name : typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : 'Error';
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * A whole request threw: a retryable error (network, 5xx, throttling) marks every entry of the chunk for another
 * attempt and returns the attempt count to back off by (0 when nothing is retried); any other fails them all.
 */
export function requestFailed<E extends { attempts: number; lastError?: { code: string; message: string } }>(
  chunk: readonly E[],
  error: unknown,
  fail: (entry: E, failure: Omit<DeliveryFailure, 'index' | 'id' | 'ok' | 'attempts'>) => void,
): number {
  if (!isRetryableRequestError(error)) {
    for (const entry of chunk) fail(entry, { reason: 'request-failed', errorCode: errorName(error), message: errorMessage(error) });
    return 0;
  }
  for (const entry of chunk) entry.lastError = { code: errorName(error), message: errorMessage(error) };
  return chunk[0]?.attempts ?? 0;
}

/** What a request said about one entry of its chunk. */
export type EntryOutcome<S> =
  | { readonly kind: 'ok'; readonly success: S }
  /** will not heal: reported at once */
  | { readonly kind: 'rejected'; readonly errorCode: string; readonly message: string }
  /** transient: the entry goes out again in a later round, until its attempts run out */
  | { readonly kind: 'retry'; readonly errorCode: string; readonly message: string };

/** An entry still to be delivered, as both producers keep it. */
export interface PendingEntry {
  readonly index: number;
  readonly id: string;
  readonly size: number;
  attempts: number;
  lastError?: { code: string; message: string };
}

type Failure = Omit<DeliveryFailure, 'index' | 'id' | 'ok' | 'attempts'>;

export interface Rounds<E extends PendingEntry, S> {
  /** one per input index: the entries already settled (invalid, oversized) are in it before the first round */
  readonly results: Array<S | DeliveryFailure>;
  readonly retry: RetryOptions;
  readonly fail: (entry: E, failure: Failure) => void;
  /** Drops entries that must not go out any more (and reports them); runs before every round. */
  readonly prune?: (pending: E[]) => E[];
  /** The entries this round may send (default: all pending). */
  readonly eligible?: (pending: E[]) => E[];
  /** Splits a round's entries into requests. */
  readonly requests: (entries: E[]) => Iterable<E[]>;
  /** Sends one request; one outcome per entry, in order. Throws when the whole request failed. */
  readonly send: (chunk: E[]) => Promise<Array<EntryOutcome<S>>>;
  /** Requests of one round in flight at once (default REQUESTS_IN_FLIGHT). */
  readonly concurrency?: number;
}

/**
 * Requests of one round sent at once: a round's entries are independent (publishEvents puts at most one
 * record of a partition key in a round), so 100 jobs take one round trip instead of ten. Well under the
 * SDK's default of 50 sockets per host.
 */
export const REQUESTS_IN_FLIGHT = 10;

/**
 * The delivery loop both producers share: rounds of requests, sent concurrently; a transient per-entry
 * error or a retryable whole-request failure sends only those entries again after a backoff; anything else
 * is reported at once. Fills `results` (one per input index) and returns their report once every entry has one.
 */
export async function deliverInRounds<E extends PendingEntry, S extends { readonly ok: true }>(
  initial: E[],
  o: Rounds<E, S>,
): Promise<DeliveryReport<S>> {
  const retry = backoff(o.retry);
  let pending = initial;
  while (pending.length > 0) {
    if (o.prune) pending = o.prune(pending);
    if (pending.length === 0) break;
    const eligible = o.eligible ? o.eligible(pending) : pending;
    let retryAfter = 0;
    const sendOne = async (chunk: E[]): Promise<void> => {
      for (const entry of chunk) entry.attempts += 1;
      let outcomes: Array<EntryOutcome<S>>;
      try {
        outcomes = await o.send(chunk);
      } catch (error) {
        retryAfter = Math.max(retryAfter, requestFailed(chunk, error, o.fail));
        return;
      }
      chunk.forEach((entry, i) => {
        const outcome = outcomes[i]!;
        if (outcome.kind === 'ok') o.results[entry.index] = outcome.success;
        else if (outcome.kind === 'rejected') o.fail(entry, { reason: 'rejected', errorCode: outcome.errorCode, message: outcome.message });
        else {
          entry.lastError = { code: outcome.errorCode, message: outcome.message };
          retryAfter = Math.max(retryAfter, entry.attempts);
        }
      });
    };
    const requests = o.requests(eligible)[Symbol.iterator]();
    const lane = async (): Promise<void> => {
      for (let next = requests.next(); !next.done; next = requests.next()) await sendOne(next.value);
    };
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? REQUESTS_IN_FLIGHT) }, lane));
    failExhausted(eligible, o.results, retry.maxAttempts, o.fail);
    pending = pending.filter((entry) => o.results[entry.index] === undefined);
    if (pending.length > 0 && retryAfter > 0) await retry.wait(retryAfter);
  }
  return summarize(o.results);
}

/** An entry that has used its last attempt without a result is reported with the last error seen. */
export function failExhausted<
  E extends { readonly index: number; readonly attempts: number; readonly lastError?: { code: string; message: string } },
>(
  entries: readonly E[],
  results: ReadonlyArray<unknown>,
  maxAttempts: number,
  fail: (entry: E, failure: Omit<DeliveryFailure, 'index' | 'id' | 'ok' | 'attempts'>) => void,
): void {
  for (const entry of entries) {
    if (results[entry.index] === undefined && entry.attempts >= maxAttempts) {
      fail(entry, {
        reason: 'retries-exhausted',
        errorCode: entry.lastError?.code ?? 'Unknown',
        message: `${entry.lastError?.message ?? 'no result'} (after ${entry.attempts} attempts)`,
      });
    }
  }
}

function summarize<S extends { readonly ok: true }>(results: ReadonlyArray<S | DeliveryFailure>): DeliveryReport<S> {
  const succeeded = results.filter((r) => r.ok).length;
  return { results, succeeded, failed: results.length - succeeded };
}

/** Thrown by assertAllDelivered: one inner error per failed entry, and all of them in the message. */
export class DeliveryFailedError extends AggregateError {
  override readonly name = 'DeliveryFailedError';
  constructor(
    readonly failures: readonly DeliveryFailure[],
    total: number,
  ) {
    super(
      failures.map((f) => Object.assign(new Error(`entry ${f.index} (${f.id ?? 'no id'}): ${f.reason}: ${f.message}`), { failure: f })),
      `${failures.length} of ${total} entries not delivered: ` +
        failures.map((f) => `#${f.index} ${f.id ?? 'no id'} ${f.reason}`).join(', '),
    );
  }
}

/** For all-or-nothing callers (a consumer must fail its record when its job was not enqueued). */
export function assertAllDelivered<S extends { readonly ok: true }>(report: DeliveryReport<S>): void {
  const failures = report.results.filter((r): r is DeliveryFailure => !r.ok);
  if (failures.length > 0) throw new DeliveryFailedError(failures, report.results.length);
}

/** Splits entries, in order, into requests of ≤ maxRecords records and ≤ maxBytes bytes. */
export function* chunks<T extends { readonly size: number }>(entries: readonly T[], maxRecords: number, maxBytes: number): Generator<T[]> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (chunk.length > 0 && (chunk.length >= maxRecords || bytes + entry.size > maxBytes)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(entry);
    bytes += entry.size;
  }
  if (chunk.length > 0) yield chunk;
}
