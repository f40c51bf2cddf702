/**
 * Progress for long commands: a cli-progress bar on a terminal, plain lines otherwise (CI logs, pipes).
 * Always on stderr, so `--json` output on stdout stays machine-readable.
 */
import { SingleBar } from 'cli-progress';

export interface ProgressCounts {
  readonly sent?: number;
  readonly failed?: number;
  readonly matched?: number;
}

export interface ProgressSink {
  start(total: number, label: string): void;
  /** `done` units (objects, messages) finished */
  object(done: number, counts: ProgressCounts): void;
  update(counts: ProgressCounts): void;
  log(line: string): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, options: { quiet?: boolean } = {}): ProgressSink {
  if (options.quiet) return silentProgress;
  return stream.isTTY ? barProgress(stream) : lineProgress(stream);
}

export const silentProgress: ProgressSink = { start() {}, object() {}, update() {}, log() {}, stop() {} };

function barProgress(stream: NodeJS.WriteStream): ProgressSink {
  const bar = new SingleBar({
    stream,
    format: '{label} [{bar}] {value}/{total} objects | sent {sent} | failed {failed} | {eta_formatted} left',
    hideCursor: true,
    clearOnComplete: false,
  });
  let counts = { sent: 0, failed: 0 };
  let running = false;
  return {
    start(total, label) {
      bar.start(total, 0, { label, ...counts });
      running = true;
    },
    object(done, c) {
      counts = { sent: c.sent ?? counts.sent, failed: c.failed ?? counts.failed };
      bar.update(done, counts);
    },
    update(c) {
      counts = { sent: c.sent ?? counts.sent, failed: c.failed ?? counts.failed };
      bar.update(counts);
    },
    log(line) {
      // cli-progress redraws on the next update; a line written now stays above the bar
      stream.write(`\r\x1b[K${line}\n`);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

function lineProgress(stream: NodeJS.WriteStream): ProgressSink {
  let total = 0;
  let lastPrinted = 0;
  let label = '';
  return {
    start(t, l) {
      total = t;
      label = l;
      stream.write(`${label}: ${total} object(s)\n`);
    },
    object(done, c) {
      // about every 10 % (and the last one): enough to see it move without flooding a CI log
      if (done === total || done - lastPrinted >= Math.max(1, Math.ceil(total / 10))) {
        lastPrinted = done;
        stream.write(`${label}: ${done}/${total} objects, sent ${c.sent ?? 0}, failed ${c.failed ?? 0}\n`);
      }
    },
    update() {},
    log(line) {
      stream.write(`${line}\n`);
    },
    stop() {},
  };
}
