// How big the fault suite runs: FAULTS_SCALE=quick (default, part of `npm test`) or full (`npm run test:faults`).
import * as path from 'node:path';
import { PROJECT_DIR } from '../support/paths';

export type Variant = 'quick' | 'full';

export interface Scale {
  variant: Variant;
  /** jobs and events each load-bearing scenario publishes through the project's producers */
  jobs: number;
  events: number;
  /** share of poison jobs and events in the poison scenario */
  poisonRate: number;
  /** runtimes SIGKILLed mid-batch in the crash scenario, per target (worker, each consumer) */
  killsPerTarget: number;
  /** pause / resume bursts of the slow consumer */
  slowBursts: number;
  /** bounded wait for one scenario to settle (a deadline, not an assertion on speed) */
  settleTimeoutMs: number;
  /** concurrent producer calls (each keeps its own partition keys, so per-key order holds) */
  producerConcurrency: number;
}

const variant: Variant = process.env.FAULTS_SCALE === 'full' ? 'full' : 'quick';

export const SCALE: Scale =
  variant === 'full'
    ? {
        variant,
        jobs: 10_000,
        events: 10_000,
        poisonRate: 0.05,
        killsPerTarget: 3,
        slowBursts: 3,
        settleTimeoutMs: 900_000,
        producerConcurrency: 4,
      }
    : {
        variant,
        jobs: 200,
        events: 200,
        poisonRate: 0.05,
        killsPerTarget: 1,
        slowBursts: 2,
        settleTimeoutMs: 180_000,
        producerConcurrency: 2,
      };

/** The full run keeps its report in reliability/ (the README quotes it); the quick one beside it, in quick/. */
export const REPORT_DIR = process.env.FAULTS_REPORT_DIR
  ? path.resolve(process.env.FAULTS_REPORT_DIR)
  : variant === 'full'
    ? path.join(PROJECT_DIR, 'reliability')
    : path.join(PROJECT_DIR, 'reliability', 'quick');
