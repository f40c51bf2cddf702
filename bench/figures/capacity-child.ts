/**
 * Child process of figure 7: one execution environment of one function. Built by esbuild into plain CommonJS
 * (no TypeScript loader in the child) and forked with the function's environment from the template; it
 * requires the function's bundle (BENCH_BUNDLE) once, like a cold start, then runs chains of invocations on
 * request, one invocation after another as Lambda runs one batch per shard at a time.
 *
 * Protocol (IPC): → { type: 'ready', initMs } | { type: 'init-error', message } once loaded;
 * ← { type: 'run', id, events, capMs } → { type: 'done', id, invocations, emf }. A chain stops early once it
 * has run `capMs` (at least one invocation), and at the first invocation that throws. Timing is per
 * invocation, around `await handler(event, context)` only (what Lambda bills as Duration).
 *
 * stdout (the handlers' log and EMF lines) goes where the parent points it (/dev/null); the EMF lines written
 * during a chain are also kept, and their metric values summed after the chain, so the parent can check that
 * the handler did the work it reports (e.g. EventsProcessed) without parsing anything while the clock runs.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

interface RunMessage {
  readonly type: 'run';
  readonly id: number;
  readonly events: readonly unknown[];
  readonly capMs: number;
}

export interface InvocationOutcome {
  readonly ms: number;
  /** batchItemFailures.length of the response (0 when the handler returns none). */
  readonly failures: number;
  /** Set when the invocation threw: `Name: message`. */
  readonly error?: string;
}

export interface ChainDone {
  readonly type: 'done';
  readonly id: number;
  readonly invocations: readonly InvocationOutcome[];
  /** Sum of every EMF metric value printed during the chain, by metric name. */
  readonly emf: Record<string, number>;
}

/** Set by the parent: only then does this module act as a child (tests import sumEmf without side effects). */
export const CHILD_FLAG = 'BENCH_CAPACITY_CHILD';

const send = (message: unknown): void => {
  if (process.connected) process.send!(message);
};

let captured: string[] | undefined;

/** Keeps the EMF lines written while `captured` is set; everything is still written to stdout. */
function captureEmf(): void {
  const realWrite = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    if (captured !== undefined) {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
      if (text.includes('"_aws"')) captured.push(text);
    }
    return realWrite(chunk, ...rest);
  }) as typeof process.stdout.write;
}

/** Sums the values of every metric the EMF lines in `chunks` declare (a value may be a number or a list). */
export function sumEmf(chunks: readonly string[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const line of chunks.join('').split('\n')) {
    const start = line.indexOf('{');
    if (start < 0 || !line.includes('"_aws"')) continue;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line.slice(start)) as Record<string, unknown>;
    } catch {
      continue;
    }
    const aws = doc['_aws'] as { CloudWatchMetrics?: { Metrics?: { Name?: string }[] }[] } | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      for (const metric of directive.Metrics ?? []) {
        const name = metric.Name;
        if (name === undefined) continue;
        const value = doc[name];
        const values = Array.isArray(value) ? value : [value];
        for (const v of values) if (typeof v === 'number') sums[name] = (sums[name] ?? 0) + v;
      }
    }
  }
  return sums;
}

function context(functionName: string, timeoutMs: number): Record<string, unknown> {
  const deadline = Date.now() + timeoutMs;
  const region = process.env['AWS_REGION'] ?? 'us-east-1';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] ?? '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `bench/[$LATEST]${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function main(): Promise<void> {
  // The parent's death closes the channel: never outlive it.
  process.on('disconnect', () => process.exit(0));
  process.on('unhandledRejection', (reason) =>
    process.stderr.write(`unhandled rejection: ${String((reason as Error)?.stack ?? reason)}\n`),
  );
  captureEmf();
  const file = process.env['BENCH_BUNDLE'];
  const functionName = process.env['AWS_LAMBDA_FUNCTION_NAME'] ?? 'bench';
  const timeoutMs = Number(process.env['BENCH_FUNCTION_TIMEOUT_MS'] ?? '30000');
  let handler: (event: unknown, context: unknown) => Promise<unknown>;
  const t0 = performance.now();
  try {
    if (!file) throw new Error('BENCH_BUNDLE is not set');
    const mod = createRequire(file)(file) as { handler?: unknown };
    if (typeof mod.handler !== 'function') throw new Error(`${file} exports no handler function`);
    handler = mod.handler as typeof handler;
  } catch (error) {
    send({ type: 'init-error', message: `${(error as Error).name}: ${(error as Error).message}` });
    return;
  }
  send({ type: 'ready', initMs: performance.now() - t0 });

  process.on('message', (message: RunMessage) => {
    if (message?.type !== 'run') return;
    void (async () => {
      const invocations: InvocationOutcome[] = [];
      captured = [];
      const chainStart = performance.now();
      for (const event of message.events) {
        if (invocations.length > 0 && performance.now() - chainStart >= message.capMs) break;
        const ctx = context(functionName, timeoutMs);
        const started = performance.now();
        try {
          const response = (await handler(event, ctx)) as { batchItemFailures?: unknown[] } | undefined;
          invocations.push({ ms: performance.now() - started, failures: response?.batchItemFailures?.length ?? 0 });
        } catch (error) {
          invocations.push({
            ms: performance.now() - started,
            failures: 0,
            error: `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`,
          });
          break;
        }
      }
      const emf = sumEmf(captured);
      captured = undefined;
      send({ type: 'done', id: message.id, invocations, emf } satisfies ChainDone);
    })();
  });
}

if (process.env[CHILD_FLAG] === '1' && typeof process.send === 'function') void main();
