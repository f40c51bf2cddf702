/** Powertools logger and metrics for a function, and per-batch metric counters. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as Unit } from '@aws-lambda-powertools/metrics/types';

export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Service name, namespace and log level come from POWERTOOLS_* variables set by the function construct. */
export const createTelemetry = (): Telemetry => ({ logger: new Logger(), metrics: new Metrics() });

type Dimensions = Readonly<Record<string, string>>;

/**
 * Sums metrics during one invocation and publishes them once at its end: one EMF line per dimension set,
 * instead of one per record (Powertools applies dimensions per publish, not per metric).
 */
export class BatchCounters {
  readonly #groups = new Map<string, { dimensions: Dimensions; values: Map<string, { unit: Unit; value: number }> }>();

  add(name: string, value = 1, dimensions: Dimensions = {}, unit: Unit = MetricUnit.Count): void {
    const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = { dimensions, values: new Map() };
      this.#groups.set(key, group);
    }
    const current = group.values.get(name);
    group.values.set(name, { unit, value: (current?.value ?? 0) + value });
  }

  /** Adds every counter of `other` (one record's metrics, kept apart until the record has succeeded). */
  merge(other: BatchCounters): void {
    for (const { dimensions, values } of other.#groups.values()) {
      for (const [name, { unit, value }] of values) this.add(name, value, dimensions, unit);
    }
  }

  /** Snapshot for tests and logs: `name{dim=value}` → sum. */
  toJSON(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const { dimensions, values } of this.#groups.values()) {
      const dims = Object.entries(dimensions)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      for (const [name, { value }] of values) out[dims ? `${name}{${dims}}` : name] = value;
    }
    return out;
  }

  publish(metrics: Metrics): void {
    for (const { dimensions, values } of this.#groups.values()) {
      for (const [name, value] of Object.entries(dimensions)) metrics.addDimension(name, value);
      for (const [name, { unit, value }] of values) metrics.addMetric(name, unit, value);
      metrics.publishStoredMetrics();
    }
    this.#groups.clear();
  }
}
