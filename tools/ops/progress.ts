/**
 * Progress for long commands: a cli-progress bar on a terminal, plain lines otherwise (CI logs, pipes).
 * Always on stderr, so `--json` output on stdout stays machine-readable.
 *
 * Plain lines say only what is true at the moment they are written: every count a caller reports (per unit
 * with `object`, per batch with `update`) is kept, a line is written about every 10 % of a known total or at
 * most every `intervalMs` otherwise, and `stop` writes a last line whenever the counts moved since the last one,
 * so the last progress line always agrees with the summary that follows it.
 */
import { SingleBar } from 'cli-progress';

export interface ProgressCounts {
  readonly sent?: number;
  readonly failed?: number;
  readonly matched?: number;
}

type CountName = keyof ProgressCounts;
const COUNT_NAMES: readonly CountName[] = ['matched', 'sent', 'failed'];

export interface ProgressStartOptions {
  /** what `total` counts, in the plural (default "objects") */
  readonly unit?: string;
  /** the word each count is printed with, e.g. `{ sent: 'moved' }` (default: its name) */
  readonly words?: Partial<Record<CountName, string>>;
}

export interface ProgressSink {
  /** `total` units (objects, shards) to go through; undefined when it is not known in advance (a queue) */
  start(total: number | undefined, label: string, options?: ProgressStartOptions): void;
  /** `done` units (objects, messages) finished */
  object(done: number, counts: ProgressCounts): void;
  /** counts moved without a unit finishing (a batch was sent) */
  update(counts: ProgressCounts): void;
  log(line: string): void;
  stop(): void;
}

export interface ProgressOptions {
  quiet?: boolean;
  /** plain lines: the least time between two lines written for `update` (default 2 s) */
  intervalMs?: number;
  /** plain lines: the clock (tests) */
  now?: () => number;
}

export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  options: ProgressOptions = {},
): ProgressSink {
  if (options.quiet) return silentProgress;
  return stream.isTTY ? barProgress(stream as NodeJS.WriteStream) : lineProgress(stream, options);
}

export const silentProgress: ProgressSink = { start() {}, object() {}, update() {}, log() {}, stop() {} };

/** The counts reported so far, each remembered once it has been reported (a dry run never shows "sent 0"). */
class Counts {
  private readonly values: Partial<Record<CountName, number>> = {};
  constructor(private readonly words: Partial<Record<CountName, string>> = {}) {}

  merge(c: ProgressCounts): void {
    for (const name of COUNT_NAMES) if (c[name] !== undefined) this.values[name] = c[name];
  }

  text(): string {
    return COUNT_NAMES.filter((n) => this.values[n] !== undefined)
      .map((n) => `${this.words[n] ?? n} ${this.values[n]}`)
      .join(', ');
  }

  get(name: CountName): number {
    return this.values[name] ?? 0;
  }
}

function barProgress(stream: NodeJS.WriteStream): ProgressSink {
  let bar: SingleBar | undefined;
  let counts = new Counts();
  const payload = (): Record<string, string | number> => ({ counts: counts.text() });
  return {
    start(total, label, options = {}) {
      counts = new Counts(options.words);
      const unit = options.unit ?? 'objects';
      bar = new SingleBar({
        stream,
        format: total === undefined ? `${label} | {counts}` : `${label} [{bar}] {value}/{total} ${unit} | {counts} | {eta_formatted} left`,
        hideCursor: true,
        clearOnComplete: false,
      });
      bar.start(total ?? 0, 0, payload());
    },
    object(done, c) {
      counts.merge(c);
      bar?.update(done, payload());
    },
    update(c) {
      counts.merge(c);
      bar?.update(payload());
    },
    log(line) {
      // cli-progress redraws on the next update; a line written now stays above the bar
      stream.write(`\r\x1b[K${line}\n`);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

function lineProgress(stream: NodeJS.WritableStream, options: ProgressOptions): ProgressSink {
  const intervalMs = options.intervalMs ?? 2_000;
  const now = options.now ?? Date.now;
  let total: number | undefined;
  let unit = 'objects';
  let label = '';
  let counts = new Counts();
  let done = 0;
  let lastDone = 0;
  let lastLine = '';
  let lastAt = 0;
  let running = false;

  const line = (final: boolean): string => {
    const where = total === undefined ? (final ? 'done' : '') : `${done}/${total} ${unit}`;
    return `${label}: ${[where, counts.text()].filter(Boolean).join(', ') || 'nothing yet'}`;
  };
  const write = (final = false): void => {
    const text = line(final);
    if (text === lastLine) return;
    stream.write(`${text}\n`);
    lastLine = text;
    lastDone = done;
    lastAt = now();
  };
  return {
    start(t, l, o = {}) {
      total = t;
      label = l;
      unit = o.unit ?? 'objects';
      counts = new Counts(o.words);
      done = 0;
      lastDone = 0;
      running = true;
      lastLine = total === undefined ? `${label}: started` : `${label}: ${total} ${unit}`;
      lastAt = now();
      stream.write(`${lastLine}\n`);
    },
    object(d, c) {
      done = d;
      counts.merge(c);
      // about every 10 % (and the last one): enough to see it move without flooding a CI log
      const step = total === undefined ? 1 : Math.max(1, Math.ceil(total / 10));
      if (done === total || done - lastDone >= step || now() - lastAt >= intervalMs) write();
    },
    update(c) {
      counts.merge(c);
      if (now() - lastAt >= intervalMs) write();
    },
    log(text) {
      stream.write(`${text}\n`);
    },
    stop() {
      // the final counts, unless the last line already said exactly this or there was nothing at all
      if (running && (done > 0 || counts.text() !== '')) write(true);
      running = false;
    },
  };
}
