import { describe, expect, it } from 'vitest';
import { createClock } from '../../../local/clock';

describe('clock', () => {
  it('scales template seconds to real milliseconds and rejects a non-positive scale', () => {
    expect(createClock(0.1).scaledMs(30)).toBeCloseTo(3000);
    expect(createClock(1).scaledMs(0)).toBe(0);
    expect(() => createClock(0)).toThrow(/positive/);
    expect(() => createClock(Number.NaN)).toThrow(/positive/);
  });

  it('sleep ends early when its signal aborts', async () => {
    const clock = createClock(1);
    const ac = new AbortController();
    let done = false;
    const p = clock.sleep(60_000, ac.signal).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    ac.abort();
    await p;
    expect(done).toBe(true);
    await clock.sleep(60_000, ac.signal); // already aborted: returns at once
  });
});
