/**
 * Token bucket: `rate` tokens per second, at most `burst` (default: one second's worth) banked. Sending n
 * records takes n tokens first. Clock and sleep are injected so tests count tokens on a simulated clock.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class TokenBucket {
  private tokens: number;
  private last: number;
  /** tokens handed out so far (what a test compares against rate × elapsed + burst) */
  granted = 0;
  readonly burst: number;

  constructor(
    readonly rate: number,
    options: { burst?: number; clock?: Clock } = {},
  ) {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a positive number of records per second, got ${rate}`);
    this.burst = options.burst ?? Math.max(1, rate);
    this.clock = options.clock ?? realClock;
    this.tokens = this.burst;
    this.last = this.clock.now();
  }

  private readonly clock: Clock;

  /** Waits until n tokens are available, then takes them. n larger than the burst is taken in burst-sized steps. */
  async take(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const step = Math.min(left, this.burst);
      this.refill();
      if (this.tokens < step) {
        await this.clock.sleep(Math.ceil(((step - this.tokens) / this.rate) * 1000));
        continue;
      }
      this.tokens -= step;
      this.granted += step;
      left -= step;
    }
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}
