// How `npm start` reads Ctrl-C: one press is one clean stop, however many copies of the signal arrive.
//
// A terminal's Ctrl-C sends SIGINT to every process of its foreground group, and launchers pass it on again:
// npm forwards SIGINT/SIGTERM to its script's process (@npmcli/run-script signal-manager), and the tsx CLI
// re-sends it to its child when the child has not confirmed it within 30 ms, then SIGKILLs the child after
// another 30 ms (tsx 4.x `relaySignalToChild`) — which is why `npm start` runs `node --import tsx`, with no
// tsx parent process. Copies of one press arrive within milliseconds of each other; a person pressing again
// to force takes far longer. So repeats inside a short window count as the same request, and only a signal
// after it forces.

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Signals this close to the first one are copies of the same request (relayed, forwarded), not a second press. */
export const REPEAT_WINDOW_MS = 1000;

export interface StopRequestHandlers {
  /** the first signal: stop cleanly */
  onStop(signal: StopSignal): void;
  /** a signal after the window, while the clean stop still runs: give up on it */
  onForce(signal: StopSignal): void;
  /** a copy inside the window (ignored; for logs and tests) */
  onRepeat?(signal: StopSignal, sinceFirstMs: number): void;
  windowMs?: number;
  now?: () => number;
}

/** Returns the listener to install for every stop signal. */
export function createStopRequests(h: StopRequestHandlers): (signal: StopSignal) => void {
  const windowMs = h.windowMs ?? REPEAT_WINDOW_MS;
  const now = h.now ?? Date.now;
  let first: number | undefined;
  return (signal) => {
    const t = now();
    if (first === undefined) {
      first = t;
      h.onStop(signal);
    } else if (t - first < windowMs) {
      h.onRepeat?.(signal, t - first);
    } else {
      h.onForce(signal);
    }
  };
}

/** Installs `listener` for SIGINT, SIGTERM and SIGHUP; returns the function that removes it again. */
export function onStopSignals(listener: (signal: StopSignal) => void): () => void {
  const installed = STOP_SIGNALS.map((signal) => {
    const fn = (): void => listener(signal);
    process.on(signal, fn);
    return [signal, fn] as const;
  });
  return () => {
    for (const [signal, fn] of installed) process.removeListener(signal, fn);
  };
}
