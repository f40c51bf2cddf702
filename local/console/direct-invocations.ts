// Invocations that do not come from an event source mapping: the local Lambda API's Invoke, which the
// operator tools use (replay --target consumer:<name>, redrive events, rewind). The lambda service counts
// only its pollers' invocations; the console counts these too, so a replay to one consumer visibly moves
// that consumer's counters and no other's.
import { EventEmitter } from 'node:events';
import type { FunctionHost, InvokeResult } from '../lambda/function-host';

export interface DirectInvocation {
  functionName: string;
  /** Kinesis records in the event (0 for another event shape) */
  records: number;
  /** records the function reported as batch item failures (all of them when the invocation failed) */
  failed: number;
  outcome: 'ok' | 'partial' | 'error' | 'timeout' | 'crash';
  durationMs: number;
  at: number;
  error?: string;
}

function recordsIn(event: unknown): number {
  const r = (event as { Records?: unknown } | null)?.Records;
  return Array.isArray(r) ? r.length : 0;
}

function failuresIn(result: unknown): number {
  const f = (result as { batchItemFailures?: unknown } | null)?.batchItemFailures;
  return Array.isArray(f) ? f.length : 0;
}

/** Wraps each host so that its invoke() is observed; everything else reaches the host itself. */
export class DirectInvocationTap {
  readonly events = new EventEmitter();
  private readonly wrapped = new WeakMap<FunctionHost, FunctionHost>();
  private cache?: { source: ReadonlyMap<string, FunctionHost>; size: number; view: ReadonlyMap<string, FunctionHost> };

  hosts(source: ReadonlyMap<string, FunctionHost> | undefined): ReadonlyMap<string, FunctionHost> | undefined {
    if (!source) return undefined;
    if (this.cache && this.cache.source === source && this.cache.size === source.size) return this.cache.view;
    const view = new Map<string, FunctionHost>();
    for (const [name, host] of source) view.set(name, this.wrap(name, host));
    this.cache = { source, size: source.size, view };
    return view;
  }

  private wrap(name: string, host: FunctionHost): FunctionHost {
    let w = this.wrapped.get(host);
    if (w) return w;
    const emit = (d: DirectInvocation): void => void this.events.emit('invocation', d);
    w = new Proxy(host, {
      get(target, prop) {
        if (prop === 'invoke') {
          return async (event: unknown, ...rest: unknown[]): Promise<InvokeResult> => {
            const at = Date.now();
            const records = recordsIn(event);
            const out = await (target.invoke as (e: unknown, ...r: unknown[]) => Promise<InvokeResult>).call(target, event, ...rest);
            const failed = out.status === 'ok' ? failuresIn(out.result) : records;
            emit({
              functionName: name,
              records,
              failed,
              outcome: out.status === 'ok' ? (failed > 0 ? 'partial' : 'ok') : out.status,
              durationMs: out.durationMs,
              at,
              ...(out.status !== 'ok' ? { error: `${out.error.errorType}: ${out.error.errorMessage}` } : {}),
            });
            return out;
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    this.wrapped.set(host, w);
    return w;
  }
}
