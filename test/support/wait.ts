// Bounded waits: every test that waits for something polls for that something, with a deadline and a message
// naming what was awaited and the last value seen. A fixed sleep stands in for no condition; `sleep` is for the
// few tests whose subject is time itself (a window, a pause), and says so where it is called.

export interface WaitOptions {
  timeoutMs: number;
  /** between observations; 100 ms unless told */
  intervalMs?: number;
  /** checked on every round: an error here fails at once (e.g. an emulator died) */
  abortIf?: () => Error | undefined;
}

export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A value for an error message: JSON, cut at `max` characters; errors as `Name: message`. */
export function show(v: unknown, max = 800): string {
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  try {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return s === undefined ? String(v) : s.length > max ? `${s.slice(0, max)}…` : s;
  } catch {
    return String(v);
  }
}

/**
 * Polls `observe` until `done(value)` holds, then returns the value. An observation that throws counts as not
 * done (its error is what was last seen). On the deadline it throws, naming what was awaited and the last value
 * or error observed.
 */
export async function eventually<T>(what: string, observe: () => T | Promise<T>, done: (value: T) => boolean, o: WaitOptions): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  let last: { value: T } | { error: unknown } | undefined;
  for (;;) {
    const fatal = o.abortIf?.();
    if (fatal) throw new Error(`while waiting for ${what}: ${fatal.message}`);
    try {
      const value = await observe();
      last = { value };
      if (done(value)) return value;
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) {
      const seen = last === undefined ? 'nothing' : 'error' in last ? `error ${show(last.error)}` : show(last.value);
      throw new Error(`timed out after ${o.timeoutMs} ms waiting for ${what}; last observed: ${seen}`);
    }
    await sleep(o.intervalMs ?? 100);
  }
}

/** `eventually` for an observation that is its own condition: returns the first truthy value. */
export function waitFor<T>(what: string, check: () => T | Promise<T>, o: WaitOptions): Promise<Truthy<T>> {
  return eventually(what, check, Boolean, o) as Promise<Truthy<T>>;
}
