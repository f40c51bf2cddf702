// Per-file lifecycles as vitest hooks. A module that a fixture process imports outside vitest must not import this.
import { afterAll, beforeAll } from 'vitest';

/**
 * For a test file: starts what `start` makes before its tests (emulators, a cloud) and stops it after them;
 * `use` receives it. Nothing to stop when the start failed.
 */
export function useForFile<T extends { stop(): Promise<void> | void }>(
  start: () => Promise<T>,
  use: (started: T) => void,
  timeoutMs?: number,
): void {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
    use(started);
  }, timeoutMs);
  afterAll(async () => {
    await started?.stop();
  }, timeoutMs);
}
