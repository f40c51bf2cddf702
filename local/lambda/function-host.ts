import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as readline from 'node:readline';
import type { LocalEndpoints, LocalFunction } from '../types';
import { killWithParent } from '../child-processes';
import { BOOTSTRAP, lambdaEnvironment } from './environment';
import { createLogSink, defaultLogDir, type LogSink } from './log-sink';
import { nodeForRuntime, type NodeSelection } from './node-runtime';

export interface InvocationError {
  errorType: string;
  errorMessage: string;
  stack?: string[];
}

export type InvokeResult =
  | { status: 'ok'; requestId: string; durationMs: number; result: unknown }
  | { status: 'error' | 'timeout' | 'crash'; requestId: string; durationMs: number; error: InvocationError };

/** A handler that throws at import (or cannot be found): names the function and the file. */
export class FunctionInitError extends Error {
  constructor(
    readonly functionName: string,
    readonly file: string,
    readonly cause: InvocationError,
  ) {
    super(`function ${functionName} failed to initialize: ${file}: ${cause.errorType}: ${cause.errorMessage}`);
    this.name = 'FunctionInitError';
  }
}

export interface FunctionHostOptions {
  fn: LocalFunction;
  endpoints: LocalEndpoints;
  logSink?: LogSink;
  /** execution environments that may run at once (the pool's maximum); grows with setMaxConcurrency */
  maxConcurrency?: number;
  /** added last: overrides everything else */
  extraEnv?: Record<string, string>;
  /** Lambda's init phase is limited to 10 s; locally a cold machine gets more */
  initTimeoutMs?: number;
  /** the Node binary to run it on (default: the one for the major its Runtime names, node-runtime.ts) */
  node?: NodeSelection;
}

interface Pending {
  id: string;
  resolve: (r: InvokeResult) => void;
  started: number;
  requestId: string;
  timer: NodeJS.Timeout;
}

class Runtime {
  readonly child: ChildProcess;
  /** the host's environment generation this runtime was started with (updateEnvironment bumps it) */
  readonly generation: number;
  readonly ready: Promise<void>;
  dead = false;
  pending?: Pending;

  constructor(
    private readonly host: FunctionHost,
    env: Record<string, string>,
    initTimeoutMs: number,
    generation = 0,
  ) {
    this.generation = generation;
    const fnName = host.fn.name;
    this.child = fork(BOOTSTRAP, [], {
      // the Node major the template's Runtime names (nodejs24.x → 24), when installed
      execPath: host.node.execPath,
      cwd: host.fn.codeDir,
      env,
      execArgv: [], // never inherit the parent's loaders (tsx, vitest) into a function
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    killWithParent(this.child);
    // a runtime killed after it answered may be handed the next invoke: send() then fails with EPIPE on this
    // emitter (uncaught, it would kill the whole local cloud); the 'exit' handler below reports the crash
    this.child.on('error', (err) => host.logSink.write(fnName, 'runtime', `ERROR runtime process ${this.child.pid}: ${err.message}`));
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = this.child[stream];
      if (source) readline.createInterface({ input: source }).on('line', (line) => host.logSink.write(fnName, stream, line));
    }
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill();
        reject(
          new FunctionInitError(fnName, host.fn.codeDir, {
            errorType: 'Runtime.InitTimeout',
            errorMessage: `no ready signal within ${initTimeoutMs} ms`,
          }),
        );
      }, initTimeoutMs);
      this.child.on('message', (msg: BootstrapMessage) => {
        if (msg.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (msg.type === 'init-error') {
          clearTimeout(timer);
          host.logSink.write(fnName, 'runtime', `INIT_ERROR ${msg.file}: ${msg.error.errorType}: ${msg.error.errorMessage}`);
          reject(new FunctionInitError(fnName, msg.file, msg.error));
        } else if (msg.type === 'result') {
          this.settle(msg);
        }
      });
      this.child.once('exit', (code, signal) => {
        this.dead = true;
        clearTimeout(timer);
        reject(
          new FunctionInitError(fnName, host.fn.codeDir, {
            errorType: 'Runtime.ExitError',
            errorMessage: `runtime exited during init (code ${code}, signal ${signal})`,
          }),
        );
        const p = this.pending;
        if (p) {
          this.pending = undefined;
          clearTimeout(p.timer);
          host.logSink.write(fnName, 'runtime', `CRASH ${p.requestId}: exit code ${code} signal ${signal}`);
          p.resolve({
            status: 'crash',
            requestId: p.requestId,
            durationMs: Date.now() - p.started,
            error: {
              errorType: 'Runtime.ExitError',
              errorMessage: `RequestId: ${p.requestId} Error: Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}`,
            },
          });
        }
        host.runtimeGone(this);
      });
    });
    // a rejected ready that nobody awaits must not become an unhandled rejection
    this.ready.catch(() => undefined);
  }

  invoke(event: unknown, requestId: string): Promise<InvokeResult> {
    const fn = this.host.fn;
    const timeoutMs = fn.timeoutSeconds * 1000; // real code time: never scaled
    const started = Date.now();
    const id = randomUUID();
    return new Promise<InvokeResult>((resolve) => {
      const timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.pending = undefined;
        this.host.logSink.write(fn.name, 'runtime', `TIMEOUT ${requestId}: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`);
        // Lambda discards a timed-out sandbox: the next invocation gets a fresh one
        this.kill();
        resolve({
          status: 'timeout',
          requestId,
          durationMs: Date.now() - started,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
          },
        });
      }, timeoutMs);
      this.pending = { id, resolve, started, requestId, timer };
      this.child.send({
        type: 'invoke',
        id,
        event,
        context: {
          awsRequestId: requestId,
          functionName: fn.name,
          functionVersion: '$LATEST',
          invokedFunctionArn: fn.arn,
          memoryLimitInMB: fn.memoryMb,
          logGroupName: `/aws/lambda/${fn.name}`,
          logStreamName: `local/${this.child.pid}`,
          deadlineMs: started + timeoutMs,
        },
      });
    });
  }

  private settle(msg: ResultMessage): void {
    const p = this.pending;
    if (!p || p.id !== msg.id) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    const durationMs = Date.now() - p.started;
    if (msg.ok) {
      p.resolve({
        status: 'ok',
        requestId: p.requestId,
        durationMs,
        result: msg.resultJson === undefined ? null : JSON.parse(msg.resultJson),
      });
    } else {
      p.resolve({ status: 'error', requestId: p.requestId, durationMs, error: msg.error });
    }
  }

  kill(): void {
    this.dead = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

type ResultMessage =
  | { type: 'result'; id: string; ok: true; resultJson?: string }
  | { type: 'result'; id: string; ok: false; error: InvocationError };
type BootstrapMessage = { type: 'ready'; file: string } | { type: 'init-error'; file: string; error: InvocationError } | ResultMessage;

/**
 * One function's execution environments: a pool of child processes, each running one invocation at a time.
 * A timed-out or crashed environment is discarded and replaced on demand, as Lambda does.
 */
export class FunctionHost {
  readonly fn: LocalFunction;
  readonly logSink: LogSink;
  /** the Node binary its execution environments run on */
  readonly node: NodeSelection;
  private env: Record<string, string>;
  private generation = 0;
  private readonly endpoints: LocalEndpoints;
  private readonly extraEnv: Record<string, string> | undefined;
  /** variables set by updateEnvironment, over the template's (or over the set replaceEnvironment gave) */
  private readonly envUpdates: Record<string, string> = {};
  /** the whole set of variables an UpdateFunctionConfiguration gave, instead of the template's */
  private replacedEnvironment: Record<string, string> | undefined;
  private readonly initTimeoutMs: number;
  private maxConcurrency: number;
  private readonly idle: Runtime[] = [];
  private readonly all = new Set<Runtime>();
  private busy = 0;
  private readonly waiters: Array<() => void> = [];
  private stopped = false;

  constructor(options: FunctionHostOptions) {
    this.fn = options.fn;
    this.logSink = options.logSink ?? createLogSink({ dir: defaultLogDir() });
    this.node = options.node ?? nodeForRuntime(options.fn.runtime);
    if (this.node.warning) this.logSink.write(options.fn.name, 'runtime', `WARNING ${this.node.warning}`);
    this.endpoints = options.endpoints;
    this.extraEnv = options.extraEnv;
    this.env = lambdaEnvironment(options.fn, options.endpoints, options.extraEnv);
    this.initTimeoutMs = options.initTimeoutMs ?? 30_000;
    this.maxConcurrency = Math.max(1, options.maxConcurrency ?? 1);
  }

  /** Starts one execution environment and loads the handler eagerly: an import error fails here, loudly. */
  async init(): Promise<void> {
    if (this.all.size > 0) return;
    const runtime = this.spawn();
    await runtime.ready;
    this.idle.push(runtime);
  }

  setMaxConcurrency(n: number): void {
    this.maxConcurrency = Math.max(1, n);
    this.wake();
  }

  /** pids of live execution environments (tests check none outlive stop()) */
  pids(): number[] {
    return [...this.all].map((r) => r.child.pid).filter((p): p is number => typeof p === 'number');
  }

  /** pids of execution environments running an invocation right now (the fault suite kills one mid-batch) */
  busyPids(): number[] {
    return [...this.all]
      .filter((r) => r.pending !== undefined && !r.dead)
      .map((r) => r.child.pid)
      .filter((p): p is number => typeof p === 'number');
  }

  /** pids of execution environments ready and waiting for an invocation (initialized, not running one) */
  idlePids(): number[] {
    return this.idle
      .filter((r) => !r.dead)
      .map((r) => r.child.pid)
      .filter((p): p is number => typeof p === 'number');
  }

  async invoke(event: unknown): Promise<InvokeResult> {
    if (this.stopped) throw new Error(`function ${this.fn.name} is stopped`);
    await this.acquireSlot();
    if (this.stopped) {
      this.busy--;
      throw new Error(`function ${this.fn.name} is stopped`);
    }
    const requestId = randomUUID();
    let runtime: Runtime | undefined;
    try {
      runtime = this.idle.pop();
      if (!runtime) {
        runtime = this.spawn();
        try {
          await runtime.ready;
        } catch (err) {
          const e = err instanceof FunctionInitError ? err.cause : { errorType: 'Runtime.Unknown', errorMessage: String(err) };
          return {
            status: 'error',
            requestId,
            durationMs: 0,
            error: { errorType: e.errorType, errorMessage: `init failed: ${e.errorMessage}` },
          };
        }
      }
      if (this.stopped) throw new Error(`function ${this.fn.name} is stopped`);
      return await runtime.invoke(event, requestId);
    } finally {
      if (runtime && !runtime.dead && !this.stopped) {
        if (runtime.generation === this.generation) this.idle.push(runtime);
        else runtime.kill(); // started with an environment that has since been updated
      }
      this.busy--;
      this.wake();
    }
  }

  /**
   * Lambda's UpdateFunctionConfiguration for environment variables: sets `vars` over the template's variables
   * (undefined reverts one to the template's value, or removes it; reserved variables still win). Idle execution
   * environments are discarded; one running an invocation finishes it and is discarded after; every later
   * invocation gets a fresh one.
   */
  updateEnvironment(vars: Readonly<Record<string, string | undefined>>): void {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete this.envUpdates[k];
      else this.envUpdates[k] = v;
    }
    this.applyEnvironment();
  }

  /** The function's own variables as they stand (GetFunctionConfiguration's Environment.Variables). */
  environmentVariables(): Record<string, string> {
    return { ...(this.replacedEnvironment ?? this.fn.environment), ...this.envUpdates };
  }

  /**
   * UpdateFunctionConfiguration with an Environment, as on AWS: `vars` becomes the function's whole set of
   * variables (one left out is gone); later invocations run in fresh execution environments.
   */
  replaceEnvironment(vars: Readonly<Record<string, string>>): void {
    this.replacedEnvironment = { ...vars };
    for (const k of Object.keys(this.envUpdates)) delete this.envUpdates[k];
    this.applyEnvironment();
  }

  private applyEnvironment(): void {
    this.env = lambdaEnvironment({ ...this.fn, environment: this.environmentVariables() }, this.endpoints, this.extraEnv);
    this.generation++;
    for (const r of this.idle.splice(0)) r.kill();
  }

  /** Kills every execution environment and waits until each process has exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    const exits = [...this.all].map(
      (r) =>
        new Promise<void>((resolve) => {
          if (r.child.exitCode !== null || r.child.signalCode !== null) return resolve();
          r.child.once('exit', () => resolve());
          r.kill();
        }),
    );
    this.idle.length = 0;
    for (const w of this.waiters.splice(0)) w();
    await Promise.all(exits);
  }

  /** called by a Runtime whose process exited */
  runtimeGone(runtime: Runtime): void {
    this.all.delete(runtime);
    const i = this.idle.indexOf(runtime);
    if (i >= 0) this.idle.splice(i, 1);
  }

  private spawn(): Runtime {
    const runtime = new Runtime(this, this.env, this.initTimeoutMs, this.generation);
    this.all.add(runtime);
    return runtime;
  }

  private acquireSlot(): Promise<void> {
    if (this.busy < this.maxConcurrency) {
      this.busy++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.waiters.push(() => {
        this.busy++;
        resolve();
      });
    });
  }

  private wake(): void {
    while (this.waiters.length > 0 && (this.busy < this.maxConcurrency || this.stopped)) {
      this.waiters.shift()!();
    }
  }
}
