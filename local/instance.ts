// One local cloud per state directory, and an endpoints file that never outlives it.
//
// - `<stateDir>/local-cloud.lock` is created (exclusively) before anything else, before the synth: a second
//   `npm start` on the same state directory stops at once with one line instead of synthesizing over the
//   first one's cdk.out and only then finding the ports taken. A lock whose process is gone is taken over.
// - `<stateDir>/endpoints.json` is removed at start (it can only be a stale one then) and on every exit.
// - Readers (the shell commands, the operator tools) call `readRunningEndpoints()`: a file left behind by a
//   process that no longer runs, or whose ports refuse, reads as "no local cloud is running".
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { LocalCloudError } from './assembly';
import type { EndpointsFile } from './endpoints-file';

const ENDPOINTS_FILE = 'endpoints.json';
const LOCK_FILE = 'local-cloud.lock';
const START_HINT = 'start it with npm start';

export const endpointsFilePath = (stateDir: string): string => path.join(stateDir, ENDPOINTS_FILE);
const lockFilePath = (stateDir: string): string => path.join(stateDir, LOCK_FILE);

/** What the lock file holds. */
export interface LockInfo {
  pid: number;
  /** the process's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for it */
  procStart?: string;
  startedAt: string;
  argv: string[];
}

/** The start time of a process (field 22 of /proc/<pid>/stat), or undefined where there is no /proc. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True while the process runs (a zombie counts as gone); with `procStart`, only if it is that same process. */
export function processAlive(pid: number, procStart?: string): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return false;
    return procStart === undefined || fields[19] === procStart;
  } catch {
    return !fs.existsSync('/proc/self/stat'); // no /proc here: signal 0 is all we can know
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export interface InstanceLock {
  readonly file: string;
  /** removes the lock if it is still ours (idempotent) */
  release(): void;
}

const clock = (iso: string): string => iso.slice(11, 19);

/**
 * Takes `<stateDir>/local-cloud.lock` for this process, or throws a one-line LocalCloudError naming the
 * running instance. Also refuses when an endpoints file names a live process (an instance without a lock).
 */
export function acquireInstanceLock(stateDir: string): InstanceLock {
  fs.mkdirSync(stateDir, { recursive: true });
  const file = lockFilePath(stateDir);
  const rel = path.relative(process.cwd(), stateDir) || '.';
  const procStart = processStartTime(process.pid);
  const mine: LockInfo = {
    pid: process.pid,
    ...(procStart ? { procStart } : {}),
    startedAt: new Date().toISOString(),
    argv: process.argv.slice(1),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
    }
    const held = readJson<LockInfo>(file);
    if (held && processAlive(held.pid, held.procStart)) {
      throw new LocalCloudError(
        `a local cloud is already running from ${rel} (pid ${held.pid}, started ${clock(held.startedAt)}): stop it first (Ctrl-C in its terminal, or kill ${held.pid}), or use another --state-dir`,
      );
    }
    // stale (its process is gone) or unreadable (a writer killed mid-write): take it over
    fs.rmSync(file, { force: true });
  }
  const release = (): void => {
    const held = readJson<LockInfo>(file);
    if (held?.pid === process.pid) fs.rmSync(file, { force: true });
  };
  try {
    const endpoints = readJson<{ pid?: number }>(endpointsFilePath(stateDir));
    if (endpoints?.pid !== undefined && endpoints.pid !== process.pid && processAlive(endpoints.pid)) {
      throw new LocalCloudError(
        `a local cloud is already running from ${rel} (pid ${endpoints.pid}, ${path.join(rel, ENDPOINTS_FILE)}): stop it first (Ctrl-C in its terminal, or kill ${endpoints.pid}), or use another --state-dir`,
      );
    }
  } catch (err) {
    release();
    throw err;
  }
  return { file, release };
}

/** Removes `<stateDir>/endpoints.json` unless a live process other than this one wrote it. */
export function removeStaleEndpointsFile(stateDir: string): boolean {
  const file = endpointsFilePath(stateDir);
  if (!fs.existsSync(file)) return false;
  const pid = readJson<{ pid?: number }>(file)?.pid;
  if (pid !== undefined && pid !== process.pid && processAlive(pid)) return false;
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.tmp`, { force: true });
  return true;
}

/** Removes an endpoints file only if this process wrote it (sync: safe in an 'exit' handler). */
export function removeOwnEndpointsFile(file: string): void {
  if (readJson<{ pid?: number }>(file)?.pid === process.pid) fs.rmSync(file, { force: true });
}

/** "no local cloud is running (start it with npm start)", with why, on one line. */
export class NoLocalCloudError extends LocalCloudError {
  constructor(readonly reason: string) {
    super(`no local cloud is running (${START_HINT}): ${reason}`);
    this.name = 'NoLocalCloudError';
  }
}

/** Resolves true when something accepts a TCP connection at the URL's host and port within timeoutMs. */
export function accepts(url: string, timeoutMs = 1000): Promise<boolean> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    host = u.hostname;
    port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export type LocalCloudState = { running: true; endpoints: EndpointsFile } | { running: false; reason: string };

/**
 * Whether the local cloud an endpoints file describes is up: the file exists and parses, the process that wrote
 * it runs, and its SQS and Kinesis endpoints accept connections.
 */
export async function localCloudState(file: string, options: { timeoutMs?: number } = {}): Promise<LocalCloudState> {
  const rel = path.relative(process.cwd(), file) || file;
  if (!fs.existsSync(file)) return { running: false, reason: `${rel} not found` };
  const endpoints = readJson<EndpointsFile>(file);
  if (!endpoints || typeof endpoints !== 'object' || typeof endpoints.endpoints !== 'object') {
    return { running: false, reason: `${rel} is not a local cloud endpoints file` };
  }
  if (typeof endpoints.pid === 'number' && !processAlive(endpoints.pid)) {
    return { running: false, reason: `${rel} was left by pid ${endpoints.pid}, which has exited` };
  }
  for (const url of [endpoints.endpoints.sqs, endpoints.endpoints.kinesis]) {
    if (url && !(await accepts(url, options.timeoutMs))) return { running: false, reason: `${url} (from ${rel}) refuses connections` };
  }
  return { running: true, endpoints };
}

/** The endpoints of the running local cloud, or a NoLocalCloudError saying why there is none. */
export async function readRunningEndpoints(file: string, options: { timeoutMs?: number } = {}): Promise<EndpointsFile> {
  const state = await localCloudState(file, options);
  if (!state.running) throw new NoLocalCloudError(state.reason);
  return state.endpoints;
}
