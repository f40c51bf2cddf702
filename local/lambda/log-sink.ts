import * as fs from 'node:fs';
import * as path from 'node:path';

export interface LogLine {
  functionName: string;
  stream: 'stdout' | 'stderr' | 'runtime';
  line: string;
  at: number;
}

/** Where each function's stdout/stderr goes (never the terminal by default). */
export interface LogSink {
  write(functionName: string, stream: LogLine['stream'], line: string): void;
  /** the most recent lines, all functions or one */
  recent(functionName?: string, limit?: number): LogLine[];
  close(): Promise<void>;
}

export interface LogSinkOptions {
  /** one `<functionName>.log` per function; omit for memory only */
  dir?: string;
  /** ring buffer size across all functions */
  ringSize?: number;
  /** also forward every line here (e.g. a --verbose terminal) */
  tee?: (line: LogLine) => void;
}

/** The project root (folder holding package.json + node_modules), found from this module's location. */
export function projectRoot(): string {
  return path.resolve(__dirname, '..', '..');
}

export function defaultLogDir(): string {
  return path.join(projectRoot(), '.local', 'logs');
}

export function createLogSink(options: LogSinkOptions = {}): LogSink {
  const ringSize = Math.max(1, options.ringSize ?? 2000);
  // circular: a busy function writes thousands of lines a second; no per-line array shifting
  const ring: LogLine[] = [];
  let next = 0;
  const files = new Map<string, fs.WriteStream>();
  // lines gathered per file and written once per event-loop turn: one fs write per line costs the local
  // cloud's main thread (which also serves the emulators) more than the functions' own logging
  const pending = new Map<string, string[]>();
  let flushScheduled: NodeJS.Immediate | undefined;
  if (options.dir) fs.mkdirSync(options.dir, { recursive: true });

  const fileFor = (functionName: string): fs.WriteStream | undefined => {
    if (!options.dir) return undefined;
    let stream = files.get(functionName);
    if (!stream) {
      const safe = functionName.replace(/[^A-Za-z0-9._-]/g, '_');
      stream = fs.createWriteStream(path.join(options.dir, `${safe}.log`), { flags: 'a' });
      files.set(functionName, stream);
    }
    return stream;
  };

  const flush = (): void => {
    flushScheduled = undefined;
    for (const [functionName, lines] of pending) fileFor(functionName)?.write(lines.join(''));
    pending.clear();
  };

  return {
    write(functionName, stream, line) {
      const entry: LogLine = { functionName, stream, line, at: Date.now() };
      if (ring.length < ringSize) ring.push(entry);
      else ring[next] = entry;
      next = (next + 1) % ringSize;
      if (options.dir) {
        let lines = pending.get(functionName);
        if (!lines) {
          lines = [];
          pending.set(functionName, lines);
        }
        lines.push(`[${functionName}] ${stream === 'stdout' ? '' : `(${stream}) `}${line}\n`);
        flushScheduled ??= setImmediate(flush);
      }
      options.tee?.(entry);
    },
    recent(functionName, limit = 200) {
      const ordered = ring.length < ringSize ? ring : [...ring.slice(next), ...ring.slice(0, next)];
      const lines = functionName ? ordered.filter((l) => l.functionName === functionName) : ordered;
      return lines.slice(-limit);
    },
    async close() {
      if (flushScheduled) clearImmediate(flushScheduled);
      flush();
      await Promise.all([...files.values()].map((s) => new Promise<void>((resolve) => s.end(resolve))));
      files.clear();
    },
  };
}
