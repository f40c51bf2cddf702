import type { Clock } from './types';

/**
 * Scales the waits a template implies (visibility timeouts, batching windows, backoff, buffering).
 * Function timeouts are real durations of code and are never scaled.
 */
export function createClock(timeScale = 1): Clock {
  if (!Number.isFinite(timeScale) || timeScale <= 0) {
    throw new Error(`time scale must be a positive number, got ${timeScale}`);
  }
  return {
    timeScale,
    scaledMs(templateSeconds: number): number {
      return Math.max(0, templateSeconds * 1000 * timeScale);
    },
    sleep,
  };
}

/** Resolves after realMs, or early (without rejecting) when the signal aborts: loops re-check the signal. */
export function sleep(realMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, realMs),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
