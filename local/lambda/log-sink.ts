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
  const ringSize = options.ringSize ?? 2000;
  const ring: LogLine[] = [];
  const files = new Map<string, fs.WriteStream>();
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

  return {
    write(functionName, stream, line) {
      const entry: LogLine = { functionName, stream, line, at: Date.now() };
      ring.push(entry);
      if (ring.length > ringSize) ring.splice(0, ring.length - ringSize);
      fileFor(functionName)?.write(`[${functionName}] ${stream === 'stdout' ? '' : `(${stream}) `}${line}\n`);
      options.tee?.(entry);
    },
    recent(functionName, limit = 200) {
      const lines = functionName ? ring.filter((l) => l.functionName === functionName) : ring;
      return lines.slice(-limit);
    },
    async close() {
      await Promise.all([...files.values()].map((s) => new Promise<void>((resolve) => s.end(resolve))));
      files.clear();
    },
  };
}
