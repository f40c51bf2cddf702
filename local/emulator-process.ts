// An npm emulator in a process of its own (local/emulator-child.js): the parent's side. Used for dynalite, whose
// CPU per request (its DynamoDB expression parser above all) was ~45 % of the local cloud's main event loop under
// figure 4's load; in its own process it runs on the other core (BENCHMARKS.md, "Where the CPU goes").
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { LocalCloudError } from './assembly';
import { killWithParent } from './child-processes';

const CHILD = path.join(__dirname, 'emulator-child.js');

export interface EmulatorProcess {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface EmulatorProcessOptions {
  emulator: 'dynalite';
  /** 0 = any free port */
  port: number;
  /** passed to the emulator's factory as is */
  options: Record<string, unknown>;
  /** a clear error for a port in use (the caller names its flag) */
  portInUse: (port: number) => Error;
  /** the name in error messages, e.g. 'dynalite (DynamoDB)' */
  name: string;
  /** the process died after it started (the local cloud stops with it) */
  onFatal: (error: LocalCloudError) => void;
  startTimeoutMs?: number;
}

export async function startEmulatorProcess(o: EmulatorProcessOptions): Promise<EmulatorProcess> {
  let output = '';
  const child = fork(CHILD, [JSON.stringify({ emulator: o.emulator, port: o.port, options: o.options })], {
    execArgv: [], // no loaders (tsx, vitest): the child is plain JavaScript
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  killWithParent(child);
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new LocalCloudError(`${o.name} did not start within ${(o.startTimeoutMs ?? 15_000) / 1000} s`, output));
    }, o.startTimeoutMs ?? 15_000);
    child.once('message', (m: { type: string; port?: number; code?: string; message?: string }) => {
      clearTimeout(timer);
      if (m.type === 'listening' && typeof m.port === 'number') resolve(m.port);
      else if (m.code === 'EADDRINUSE') reject(o.portInUse(o.port));
      else reject(new LocalCloudError(`${o.name} failed to start on port ${o.port}: ${m.message ?? 'unknown error'}`, output));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new LocalCloudError(`${o.name} exited during start-up (${code ?? signal})`, output));
    });
  });

  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) o.onFatal(new LocalCloudError(`${o.name} exited (${code ?? signal})`, output));
  });
  return {
    port,
    pid: child.pid!,
    stop: async () => {
      if (stopping) return;
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect(); // the child lets running requests finish (≤ 2 s), closes its database and exits
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
