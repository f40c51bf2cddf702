// Starts the npm emulators on loopback: fauxqs (SQS + S3), a Kinesis engine (kinesalite or kinesis-local) and
// dynalite (DynamoDB, for the idempotency records).
import * as fs from 'node:fs';
import type * as net from 'node:net';
import type * as http from 'node:http';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../lib/contract';
import { LocalCloudError } from './assembly';
import { localKinesisClient } from './clients';
import { http1AndHttp2 } from './http2-front';
import { startEmulatorProcess } from './emulator-process';
import { persistentFauxqsStores } from './persistence';
import { freePort, isAddrInUse, PORT_FLAGS, PortInUseError, probePort, type EmulatorPorts } from './ports';

export type KinesisEngine = 'kinesalite' | 'kinesis-local';
export const KINESIS_ENGINES: readonly KinesisEngine[] = ['kinesalite', 'kinesis-local'];

/** kinesalite: ~20× faster here (see README), in-process, survives everything we need; kinesis-local adds ON_DEMAND and EFO. */
export const DEFAULT_KINESIS_ENGINE: KinesisEngine = 'kinesalite';

export interface EmulatorEndpoints {
  sqs: string;
  s3: string;
  kinesis: string;
  dynamodb: string;
}

/**
 * Host fauxqs puts in queue URLs: `http://sqs.<region>.localhost:<port>/000000000000/<name>`. The URL is a
 * valid URL and an identifier only — `*.localhost` does not resolve here — so every SQS client is given the
 * endpoint explicitly with `useQueueUrlAsEndpoint: false`.
 */
const FAUXQS_URL_HOST = 'localhost';

export interface KinesisCapabilities {
  engine: KinesisEngine;
  onDemand: boolean;
  enhancedFanOut: boolean;
  maxRetentionHours: number;
}

export interface EmulatorOptions {
  ports: EmulatorPorts;
  kinesis: KinesisEngine;
  /** called once if an emulator dies while running (not during stop) */
  onFatal?: (err: LocalCloudError) => void;
  /** working directory for a child-process emulator */
  workDir?: string;
  /**
   * Keep the emulators' state on disk under this directory (queues and messages, streams and records, buckets
   * and objects, tables and items) so a restart with the same directory finds it again; undefined: in memory.
   */
  persistDir?: string;
}

/** Where each emulator keeps its state under a persist directory. */
export function persistPaths(persistDir: string): { fauxqs: string; kinesalite: string; kinesisLocal: string; dynalite: string } {
  return {
    fauxqs: path.join(persistDir, 'fauxqs'),
    kinesalite: path.join(persistDir, 'kinesalite'),
    kinesisLocal: path.join(persistDir, 'kinesis-local'),
    dynalite: path.join(persistDir, 'dynalite'),
  };
}

export interface RunningEmulators {
  endpoints: EmulatorEndpoints;
  ports: Required<EmulatorPorts>;
  kinesis: KinesisCapabilities;
  /** child process ids, for tests that check for orphans */
  childPids: number[];
  /** the directory their state is kept in (undefined: in memory, lost at stop) */
  persistDir?: string;
  stop(): Promise<void>;
}

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

/** A started emulator: the port it listens on (127.0.0.1) and how to stop it. */
export interface ServerHandle {
  readonly port: number;
  stop(): Promise<void>;
}

/** Reports an emulator failing after start-up (the local cloud stops with it; tests and the bench log it). */
export type OnFatal = (error: LocalCloudError) => void;

/** fauxqs 2.x needs Node ≥ 22.5 (node:sqlite): on an older Node, say how to get the right one instead of a stack. */
async function importFauxqs(): Promise<typeof import('fauxqs')> {
  try {
    return (await import('fauxqs')) as typeof import('fauxqs');
  } catch (err) {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    if (major < 22 || (major === 22 && minor < 5)) {
      throw new LocalCloudError(
        `fauxqs (SQS + S3) needs Node >= 22.5 and this is Node ${process.versions.node}: start the local cloud through npm (npm start, npm test), which runs it on the project's own Node (node_modules/node)`,
      );
    }
    throw err;
  }
}

export async function startFauxqsServer(port: number, onFatal: OnFatal, options: { dataDir?: string } = {}): Promise<ServerHandle> {
  // fauxqs is ESM-only; startFauxqs() listens on 0.0.0.0, so build the app and listen on loopback ourselves.
  const { buildApp } = await importFauxqs();
  const persisted = options.dataDir ? await persistentFauxqsStores(options.dataDir) : undefined;
  const app = buildApp({
    logger: false,
    host: FAUXQS_URL_HOST,
    defaultRegion: LOCAL_REGION,
    ...(persisted ? { stores: persisted.stores } : {}),
  });
  // after the server closed: no request writes to a closed database
  if (persisted) app.addHook('onClose', () => persisted.close());
  try {
    await app.listen({ port, host: '127.0.0.1' });
  } catch (err) {
    await app.close().catch(() => undefined);
    if (isAddrInUse(err)) throw new PortInUseError(port, PORT_FLAGS.sqs.what, PORT_FLAGS.sqs.flag);
    throw new LocalCloudError(`fauxqs (SQS + S3) failed to start on port ${port}: ${(err as Error).message}`);
  }
  let stopping = false;
  app.server.on('error', (err: Error) => {
    if (!stopping) onFatal(new LocalCloudError(`fauxqs (SQS + S3) failed: ${err.message}`));
  });
  const actual = (app.server.address() as net.AddressInfo).port;
  return {
    port: actual,
    stop: async () => {
      stopping = true;
      await app.close();
    },
  };
}

/**
 * Serves an in-process emulator's http.Server on 127.0.0.1: a clear error for a port in use, later errors to
 * `onFatal`, and a stop that closes open connections (after letting running requests finish, bounded: dynalite
 * closes its database on close(), and a request still running then throws out of its callbacks).
 * With `http2`, one port serves HTTP/1.1 and HTTP/2 without TLS: each connection is told apart by its first bytes.
 */
async function serveOnLoopback(
  server: http.Server,
  port: number,
  what: keyof typeof PORT_FLAGS,
  name: string,
  onFatal: OnFatal,
  options: { http2?: boolean } = {},
): Promise<ServerHandle> {
  const dual = options.http2 ? http1AndHttp2(server) : undefined;
  const h2 = dual?.h2;
  // the listening server: the emulator's own, or a plain TCP server that hands each connection to the right one
  const listener: net.Server = dual?.listener ?? server;
  await new Promise<void>((resolve, reject) => {
    listener.once('error', (err) => {
      if (isAddrInUse(err)) reject(new PortInUseError(port, PORT_FLAGS[what].what, PORT_FLAGS[what].flag));
      else reject(new LocalCloudError(`${name} failed to start on port ${port}: ${err.message}`));
    });
    listener.listen(port, '127.0.0.1', () => resolve());
  });
  let stopping = false;
  listener.on('error', (err) => {
    if (!stopping) onFatal(new LocalCloudError(`${name} failed: ${err.message}`));
  });
  const sockets = new Set<net.Socket>();
  listener.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  let running = 0;
  const count = (_req: unknown, res: { once(event: 'close', cb: () => void): unknown }): void => {
    running++;
    res.once('close', () => running--);
  };
  server.on('request', count);
  h2?.on('request', count);
  return {
    port: (listener.address() as net.AddressInfo).port,
    stop: async () => {
      stopping = true;
      for (const deadline = Date.now() + 2000; running > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      // the emulator's own close (kinesalite closes its database there); its server never listened itself
      if (listener !== server) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startKinesalite(port: number, onFatal: OnFatal, options: { path?: string } = {}): Promise<ServerHandle> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kinesalite = require('kinesalite') as (opts: Record<string, unknown>) => http.Server;
  // createStreamMs etc. default to 500 ms; shardLimit to 10 (too few for several streams)
  // HTTP/2 too: the SDK v3 Kinesis client's default, so a plain `new KinesisClient()` works against it
  // path: a LevelDB directory (leveldown) instead of memory
  if (options.path) fs.mkdirSync(options.path, { recursive: true });
  const server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 1000,
    ...(options.path ? { path: options.path } : {}),
  });
  return serveOnLoopback(server, port, 'kinesis', 'kinesalite', onFatal, { http2: true });
}

/**
 * dynalite in a process of its own (local/emulator-process.ts): its CPU per request was ~45 % of the local cloud's
 * main event loop under figure 4's load, where it delayed the pollers; there it runs on the other core.
 */
export async function startDynalite(
  port: number,
  onFatal: OnFatal,
  persist: { path?: string } = {},
): Promise<ServerHandle & { pid: number }> {
  // path: a LevelDB directory (classic-level) instead of memory
  if (persist.path) fs.mkdirSync(persist.path, { recursive: true });
  return startEmulatorProcess({
    emulator: 'dynalite',
    port,
    // in memory unless given a path; tables are ACTIVE at once instead of after the default 500 ms
    options: { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(persist.path ? { path: persist.path } : {}) },
    portInUse: (p) => new PortInUseError(p, PORT_FLAGS.dynamodb.what, PORT_FLAGS.dynamodb.flag),
    name: 'dynalite (DynamoDB)',
    onFatal,
  });
}

async function waitForKinesis(endpoint: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const client = localKinesisClient({ kinesis: endpoint }, { maxAttempts: 1, requestTimeoutMs: 2000 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new LocalCloudError(`kinesis-local exited during start-up (code ${child.exitCode ?? child.signalCode})`, output());
      }
      try {
        await client.send(new ListStreamsCommand({}));
        return;
      } catch {
        if (Date.now() > deadline) throw new LocalCloudError(`kinesis-local did not answer within ${timeoutMs / 1000} s`, output());
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

export async function startKinesisLocal(
  port: number,
  workDir: string | undefined,
  onFatal: OnFatal,
  options: { persistPath?: string } = {},
): Promise<ServerHandle & { readonly pid: number }> {
  const actualPort = port === 0 ? await freePort() : port;
  // kinesis-local binds every interface (it has no host setting): probe the same way
  if (!(await probePort(actualPort))) throw new PortInUseError(actualPort, PORT_FLAGS.kinesis.what, PORT_FLAGS.kinesis.flag);
  const tlsPort = await freePort(); // its HTTPS port is unused by us but always bound
  const pkgDir = path.dirname(require.resolve('kinesis-local/package.json'));
  // The wrapper exits when our stdin pipe closes, so the emulator cannot outlive us even after kill -9.
  const wrapper = `process.stdin.on('end',()=>process.exit(0));process.stdin.resume();require(${JSON.stringify(path.join(pkgDir, 'main.js'))});`;
  const child = spawn(process.execPath, ['-e', wrapper], {
    cwd: workDir,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      KINESIS_MOCK_CERT_PATH: path.join(pkgDir, 'server.json'), // it crashes without it
      KINESIS_MOCK_PLAIN_PORT: String(actualPort),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      CREATE_STREAM_DURATION: '0ms',
      DELETE_STREAM_DURATION: '0ms',
      REGISTER_STREAM_CONSUMER_DURATION: '0ms',
      DEREGISTER_STREAM_CONSUMER_DURATION: '0ms',
      UPDATE_SHARD_COUNT_DURATION: '0ms',
      SHARD_LIMIT: '1000',
      AWS_REGION: LOCAL_REGION,
      AWS_ACCOUNT_ID: LOCAL_ACCOUNT_ID,
      LOG_LEVEL: 'WARN',
      // persisted: a JSON file written every second (and loaded at start), so a kill loses at most the last second
      ...(options.persistPath
        ? { SHOULD_PERSIST_DATA: 'true', LOAD_DATA_IF_EXISTS: 'true', PERSIST_PATH: options.persistPath, PERSIST_INTERVAL: '1s' }
        : { SHOULD_PERSIST_DATA: 'false', LOAD_DATA_IF_EXISTS: 'false' }),
    },
  });
  let tail = '';
  const keep = (d: Buffer): void => {
    tail = (tail + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', () => undefined);
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForKinesis(`http://127.0.0.1:${actualPort}`, child, () => tail, 30_000);
  } catch (err) {
    stopping = true;
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  child.once('exit', (code, signal) => {
    if (!stopping) onFatal(new LocalCloudError(`kinesis-local exited unexpectedly (${signal ?? `code ${code}`})`, tail));
  });
  return {
    port: actualPort,
    pid: child.pid ?? -1,
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // it may take up to ~2 s to stop; do not wait for ever
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts fauxqs, the chosen Kinesis engine and dynalite on 127.0.0.1. Port 0 = any free port. */
export async function startEmulators(options: EmulatorOptions): Promise<RunningEmulators> {
  const started: Stoppable[] = [];
  let fatalSent = false;
  const onFatal = (err: LocalCloudError): void => {
    if (fatalSent) return;
    fatalSent = true;
    options.onFatal?.(err);
  };
  const stopAll = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    started.length = 0;
  };
  const childPids: number[] = [];
  const dirs = options.persistDir ? persistPaths(path.resolve(options.persistDir)) : undefined;
  try {
    const fq = await startFauxqsServer(options.ports.sqs, onFatal, dirs ? { dataDir: dirs.fauxqs } : {});
    started.push({ name: 'fauxqs', stop: fq.stop });
    let kinesisPort: number;
    let caps: KinesisCapabilities;
    if (options.kinesis === 'kinesalite') {
      const k = await startKinesalite(options.ports.kinesis, onFatal, dirs ? { path: dirs.kinesalite } : {});
      started.push({ name: 'kinesalite', stop: k.stop });
      kinesisPort = k.port;
      caps = { engine: 'kinesalite', onDemand: false, enhancedFanOut: false, maxRetentionHours: 168 };
    } else if (options.kinesis === 'kinesis-local') {
      const k = await startKinesisLocal(options.ports.kinesis, options.workDir, onFatal, dirs ? { persistPath: dirs.kinesisLocal } : {});
      started.push({ name: 'kinesis-local', stop: k.stop });
      childPids.push(k.pid);
      kinesisPort = k.port;
      caps = { engine: 'kinesis-local', onDemand: true, enhancedFanOut: true, maxRetentionHours: 8760 };
    } else {
      throw new LocalCloudError(`unknown Kinesis engine ${String(options.kinesis)} (use --kinesis ${KINESIS_ENGINES.join('|')})`);
    }
    const ddb = await startDynalite(options.ports.dynamodb ?? 0, onFatal, dirs ? { path: dirs.dynalite } : {});
    started.push({ name: 'dynalite', stop: ddb.stop });
    childPids.push(ddb.pid);
    const sqs = `http://127.0.0.1:${fq.port}`;
    return {
      endpoints: { sqs, s3: sqs, kinesis: `http://127.0.0.1:${kinesisPort}`, dynamodb: `http://127.0.0.1:${ddb.port}` },
      ports: { sqs: fq.port, kinesis: kinesisPort, dynamodb: ddb.port },
      kinesis: caps,
      childPids,
      ...(dirs ? { persistDir: path.resolve(options.persistDir!) } : {}),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
