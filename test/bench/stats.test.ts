import { describe, expect, it } from 'vitest';
import { interleave, median, percentile, round, runInterleaved } from '../../bench/lib/stats';

describe('median', () => {
  it('takes the middle value of an odd sample regardless of order', () => {
    expect(median([9, 1, 5])).toBe(5);
  });
  it('averages the two middle values of an even sample', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('refuses an empty sample instead of returning NaN', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
  it('p50 and p99 of 1..100 are 50 and 99', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
  });
  it('p0 is the minimum and p100 the maximum', () => {
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(percentile([3, 1, 2], 100)).toBe(3);
  });
  it('rejects a percentile outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('interleave', () => {
  it('alternates variants within rounds and reverses every other round so no variant always runs first', () => {
    expect(interleave(['A', 'B'], 3)).toEqual(['A', 'B', 'B', 'A', 'A', 'B']);
  });
  it('never runs all of one variant before the other', () => {
    const order = interleave(['A', 'B', 'C'], 4);
    expect(order.slice(0, 3).sort()).toEqual(['A', 'B', 'C']);
    expect(order).toHaveLength(12);
  });
});

describe('runInterleaved', () => {
  it('collects each variant’s samples in run order', async () => {
    const calls: string[] = [];
    const samples = await runInterleaved(['x', 'y'] as const, 2, async (v, round) => {
      calls.push(`${v}${round}`);
      return round;
    });
    expect(calls).toEqual(['x0', 'y0', 'y1', 'x1']);
    expect(samples).toEqual({ x: [0, 1], y: [0, 1] });
  });
});

describe('round', () => {
  it('keeps three significant digits', () => {
    expect(round(123.456)).toBe(123);
    expect(round(1.23456)).toBe(1.23);
    expect(round(0.012345)).toBe(0.0123);
  });
});
