// The workload the model is run under (what the CLI's options set) and the rates derived from it.
import type { MeasuredDurations } from './measured';
import { SQS_LIMITS } from './limits';
import { DAYS_PER_MONTH } from './prices';
import { evenMix, type EventMix } from './traffic';
import { KB, MIB } from './units';

export interface Workload {
  jobsPerDay: number;
  eventsPerDay: number;
  avgSizeKb: number;
  /** what-if number of Kinesis consumers; default: as many as the template maps */
  consumers?: number;
  peakFactor: number;
  /** Lambda duration of every invocation, overriding measured durations (--avg-duration-ms) */
  avgDurationMs?: number;
  /** durations measured by the bench (tools/cost/measured.json); without them ASSUMED_DURATION_MS */
  measured?: MeasuredDurations;
  /** share of each event type among the stream's events (normalised by the model) */
  eventMix: EventMix;
  /** jobs per send request from producers outside the template (1 = SendMessage per job; ≤ 10) */
  producerBatch: number;
  logBytesPerInvocation: number;
  compressionRatio: number;
  archiveMonths: number;
  customMetrics: number;
  /** bytes of the result Powertools stores with a completed idempotency record (DynamoDB's map encoding) */
  idempotencyResultBytes: number;
}

export const DEFAULT_ASSUMPTIONS = {
  peakFactor: 3,
  /** each order yields one OrderPlaced and one OrderShipped: an even split over the registered types */
  eventMix: evenMix(),
  /** outside producers call SendMessage once per job */
  producerBatch: 1,
  /** START/END/REPORT lines plus a couple of Powertools JSON log lines */
  logBytesPerInvocation: 1024,
  compressionRatio: 0.2,
  archiveMonths: 12,
  /** the analytics consumer's EMF metrics: OrdersPlaced, OrderRevenueCents, OrdersShipped */
  customMetrics: 3,
  /** consumers store `{duplicate: false, result: null}` (~20 B), the worker a job outcome (~90 B) */
  idempotencyResultBytes: 100,
} as const;

export function validateWorkload(w: Workload): void {
  const check = (name: string, v: number, min: number) => {
    if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number ≥ ${min} (got ${v})`);
  };
  check('jobs per day', w.jobsPerDay, 0);
  check('events per day', w.eventsPerDay, 0);
  check('average size (KB)', w.avgSizeKb, Number.MIN_VALUE);
  check('peak factor', w.peakFactor, 1);
  if (w.avgDurationMs !== undefined) check('average duration (ms)', w.avgDurationMs, 1);
  check('producer batch', w.producerBatch, 1);
  if (w.producerBatch > SQS_LIMITS.maxBatchEntries || !Number.isInteger(w.producerBatch))
    throw new Error(`producer batch must be a whole number from 1 to ${SQS_LIMITS.maxBatchEntries} (got ${w.producerBatch})`);
  const shares = Object.entries(w.eventMix ?? {});
  if (!shares.length || shares.some(([, v]) => !Number.isFinite(v) || v < 0) || !(shares.reduce((n, [, v]) => n + v, 0) > 0))
    throw new Error('event mix must give each type a share ≥ 0, adding up to more than 0');
  check('log bytes per invocation', w.logBytesPerInvocation, 0);
  check('compression ratio', w.compressionRatio, Number.MIN_VALUE);
  check('archive months', w.archiveMonths, 0);
  check('custom metrics', w.customMetrics, 0);
  check('idempotency result bytes', w.idempotencyResultBytes, 0);
  if (w.consumers !== undefined) check('consumers', w.consumers, 0);
}

/** Derived rates, shared by cost and capacity. */
export function rates(w: Workload) {
  const bytes = w.avgSizeKb * KB;
  const eventsPerSecond = w.eventsPerDay / 86_400;
  const jobsPerSecond = w.jobsPerDay / 86_400;
  return {
    bytes,
    eventsPerMonth: w.eventsPerDay * DAYS_PER_MONTH,
    jobsPerMonth: w.jobsPerDay * DAYS_PER_MONTH,
    eventsPerSecond,
    jobsPerSecond,
    peakEventsPerSecond: eventsPerSecond * w.peakFactor,
    peakJobsPerSecond: jobsPerSecond * w.peakFactor,
    peakWriteMibps: (eventsPerSecond * w.peakFactor * bytes) / MIB,
  };
}
