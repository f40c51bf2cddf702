/** Pure statistics and scheduling helpers of the benchmark (unit-tested in test/bench). */

/** Median of a non-empty sample (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty sample');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Percentile by the nearest-rank method (p in [0, 100]): p99 of 100 values is the 99th smallest. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Smallest and largest value, for the "spread" column. */
export function range(values: readonly number[]): { min: number; max: number } {
  if (values.length === 0) throw new RangeError('range of an empty sample');
  return { min: Math.min(...values), max: Math.max(...values) };
}

/**
 * The order in which to run `variants` for `rounds` rounds, interleaved (A,B,A,B…) so that slow phases of a
 * noisy machine hit every variant alike; the order inside a round alternates (A,B then B,A) so that no variant
 * always runs first, right after a warm or cold phase.
 */
export function interleave<T>(variants: readonly T[], rounds: number): T[] {
  if (!Number.isSafeInteger(rounds) || rounds < 0) throw new RangeError(`rounds must be a non-negative integer, got ${rounds}`);
  const order: T[] = [];
  for (let round = 0; round < rounds; round++) {
    order.push(...(round % 2 === 0 ? variants : [...variants].reverse()));
  }
  return order;
}

/** Runs `measure` over the interleaved schedule and returns the samples of each variant, in run order. */
export async function runInterleaved<K extends string>(
  variants: readonly K[],
  rounds: number,
  measure: (variant: K, round: number) => Promise<number>,
): Promise<Record<K, number[]>> {
  const samples = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<K, number[]>;
  const order = interleave(variants, rounds);
  for (let i = 0; i < order.length; i++) {
    const variant = order[i]!;
    samples[variant].push(await measure(variant, Math.floor(i / variants.length)));
  }
  return samples;
}

/** Rounds for display: 3 significant digits at most, never scientific notation for our ranges. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return Number(value.toFixed(Math.min(decimals, 6)));
}
