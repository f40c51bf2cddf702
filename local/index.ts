// Programmatic entry point of the local cloud: synth → load cdk.out → emulators → provision → Lambda service.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { archiveCopyDir, restoreArchive } from './archive-copy';
import { startLambdaApi, type LambdaApi } from './lambda-api';
import { LocalCloudError, loadAssembly, type CloudAssembly } from './assembly';
import { DEFAULT_KINESIS_ENGINE, startEmulators, type KinesisEngine, type RunningEmulators } from './emulators';
import { endpointsFile, type EndpointsFile } from './endpoints-file';
import { assertPortsFree, DEFAULT_PORTS, type EmulatorPorts } from './ports';
import { acquireInstanceLock, endpointsFilePath, removeOwnEndpointsFile, removeStaleEndpointsFile } from './instance';
import { provision, type ProvisionResult } from './provision';
import { analyzeAssembly } from './provision/analyze';
import type { TopologyRoles } from './project';
import { synthesize, throwIfAborted } from './synth';
import { nodeForRuntime, type NodeSelection } from './lambda/node-runtime';
import { hasSavedState, loadPositions, persistDirOf, savePositions, type SavedPositions } from './persistence';
import { createClock } from './clock';
import { startFirehose, type FirehoseService } from './firehose';
import { createLogSink } from './lambda/log-sink';
import { startLambdaService, type LambdaService } from './lambda/service';
import type { Clock, InvocationReport, LambdaServiceStats, LocalTopology } from './types';

export { LocalCloudError } from './assembly';
export { archiveCopyDir } from './archive-copy';
export { StartAbortedError, synthesize } from './synth';

export interface LocalCloudOptions {
  /** run this cloud assembly instead of synthesizing the project (implies synth: false) */
  assemblyDir?: string;
  /** synthesize the project's CDK app first (default true unless assemblyDir is given) */
  synth?: boolean;
  /** project root holding cdk.json (default: cwd) */
  projectDir?: string;
  timeScale?: number;
  /** default DEFAULT_PORTS; DynamoDB takes any free port too when every port given is 0 (tests, the demo) */
  ports?: Partial<EmulatorPorts>;
  kinesis?: KinesisEngine;
  /** endpoints.json and the synthesized assembly go here (default .local, relative to projectDir) */
  stateDir?: string;
  quiet?: boolean;
  allowUnsupported?: boolean;
  /** start the Lambda service and the Firehose stand-in (default true); false = emulators + resources only */
  startLambda?: boolean;
  /** progress lines (default: console.error unless quiet) */
  log?: (line: string) => void;
  /** every function log line, as it is written to <stateDir>/logs/<function>.log (e.g. to echo on a terminal) */
  onFunctionLog?: (line: { functionName: string; stream: string; line: string }) => void;
  onInvocation?: (report: InvocationReport) => void;
  /** concurrent pollers per SQS event source mapping (default min(5, MaximumConcurrency)); the benchmark scales it */
  pollersPerQueue?: number;
  /** set in every function's environment over the template's, from the first invocation (test suites: a log level) */
  functionEnvironment?: Record<string, string>;
  /** port of the local Lambda Invoke API (default 4569; any free port when every emulator port given is 0) */
  lambdaPort?: number;
  /** an emulator or the Lambda service died: everything is already stopped when this is called */
  onFatal?: (err: LocalCloudError) => void;
  /** aborts a start in progress (Ctrl-C during the synth): the synth is stopped, nothing is left running */
  signal?: AbortSignal;
  /**
   * Keep the archive across restarts: every object the Firehose stand-in writes is also copied under
   * <stateDir>/archive-copy and put back into its bucket at the next start with this option. Without it the
   * copy is deleted at start, so an old archive never reappears unasked. (The S3 emulator keeps objects in
   * memory only; the stream and the queues start empty either way.)
   */
  keepArchive?: boolean;
  /**
   * `--persist`: keep queues, streams, buckets and idempotency records on disk under <stateDir>/state (with each
   * event source mapping's and the Firehose stand-in's position per shard), so a restart with it loses nothing.
   * Without it everything is in memory and a stop loses it.
   */
  persist?: boolean;
  /**
   * The local console (local/console): a web page on 127.0.0.1 showing the queue and the stream live, with the
   * operator tools' actions. Off unless given; `port` default 4570 (any free port when every emulator port is 0);
   * `log` gets one line per action (default: the progress log).
   */
  console?: false | { port?: number; log?: (line: string) => void };
}

export interface LocalCloud {
  topology: LocalTopology;
  endpoints: EndpointsFile;
  endpointsFile: string;
  provisioned: ProvisionResult;
  roles: TopologyRoles;
  emulators: RunningEmulators;
  clock?: Clock;
  /** undefined when startLambda is false */
  lambda?: LambdaService;
  /** undefined when startLambda is false or the assembly has no delivery stream */
  firehose?: FirehoseService;
  /** where the state lives: on disk under `dir` (--persist; `resumed`: it held an earlier run's state), or in memory */
  persistence: { mode: 'disk'; dir: string; resumed: boolean } | { mode: 'memory' };
  /** function name → the Node binary its execution environments run on (the major its Runtime names, when installed) */
  nodes: Record<string, NodeSelection>;
  /** undefined unless the console was asked for */
  console?: { url: string; token: string };
  assembly: CloudAssembly;
  timings: { synthMs: number; startMs: number };
  stats(): LambdaServiceStats;
  stop(): Promise<void>;
}

const EMPTY_STATS: LambdaServiceStats = { functions: {}, consumerLag: {}, onFailureRecords: {} };

/**
 * A caller that asked for any free port for every emulator it named (tests, the demo beside a running
 * `npm start`) gets a free DynamoDB port too, instead of colliding on the fixed default.
 */
function dynamodbPortDefault(ports: Partial<EmulatorPorts> | undefined): number {
  return allFreePorts(ports) ? 0 : DEFAULT_PORTS.dynamodb;
}

function allFreePorts(ports: Partial<EmulatorPorts> | undefined): boolean {
  const given = Object.values(ports ?? {});
  return given.length > 0 && given.every((p) => p === 0);
}

export const DEFAULT_LAMBDA_API_PORT = 4569;

/** SDK error names that mean a resource the template declared no longer exists in its emulator. */
const VANISHED = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'ResourceNotFoundException', 'NoSuchBucket']);

/** Starts the whole local cloud. Resolves once the resources exist and the Lambda service polls. */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const t0 = Date.now();
  const projectDir = path.resolve(options.projectDir ?? process.cwd());
  const stateDir = path.resolve(projectDir, options.stateDir ?? '.local');
  const log = options.log ?? ((line: string) => (options.quiet ? undefined : console.error(line)));
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new LocalCloudError(`--time-scale must be a positive number, got ${timeScale}`);
  fs.mkdirSync(stateDir, { recursive: true });
  const file = endpointsFilePath(stateDir);

  // Before the synth: one instance per state directory, no stale endpoints file, the fixed ports free.
  const lock = acquireInstanceLock(stateDir);
  // Whatever way this process ends (a forced exit, an uncaught error), it leaves no endpoints file or lock.
  const onExit = (): void => {
    removeOwnEndpointsFile(file);
    lock.release();
  };
  process.on('exit', onExit);
  const release = (): void => {
    process.removeListener('exit', onExit);
    onExit();
  };

  let stopped = false;
  let lambda: LambdaService | undefined;
  let firehose: FirehoseService | undefined;
  let emulators: RunningEmulators | undefined;
  let lambdaApi: LambdaApi | undefined;
  const persistDir = options.persist ? persistDirOf(stateDir) : undefined;
  const resumed = persistDir !== undefined && hasSavedState(persistDir);
  let positions: SavedPositions | undefined = persistDir ? loadPositions(persistDir) : undefined;
  let positionTimer: NodeJS.Timeout | undefined;
  const saveNow = (): void => {
    if (!persistDir || !lambda) return;
    try {
      positions = savePositions(persistDir, positions, { mappings: lambda.checkpoints(), firehose: firehose?.positions() ?? {} });
    } catch (err) {
      log(`warning: could not save positions under ${persistDir}: ${(err as Error).message}`);
    }
  };
  let consoleServer: import('./console/server').ConsoleServer | undefined;

  const stopAll = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await consoleServer?.stop().catch(() => undefined);
    await firehose?.stop().catch(() => undefined);
    await lambda?.stop().catch(() => undefined);
    await lambdaApi?.stop().catch(() => undefined);
    // --persist: the positions of what read the stream, once nothing moves them any more (before the emulators go)
    if (positionTimer) clearInterval(positionTimer);
    saveNow();
    await emulators?.stop().catch(() => undefined);
    release(); // the endpoints file (if ours) and the lock
  };

  let synthMs = 0;
  let assembly: CloudAssembly;
  try {
    if (removeStaleEndpointsFile(stateDir)) log(`removed a stale ${path.relative(projectDir, file)} (its local cloud is gone)`);
    const kinesisEngine = options.kinesis ?? DEFAULT_KINESIS_ENGINE;
    await assertPortsFree(
      {
        sqs: options.ports?.sqs ?? DEFAULT_PORTS.sqs,
        kinesis: options.ports?.kinesis ?? DEFAULT_PORTS.kinesis,
        dynamodb: options.ports?.dynamodb ?? dynamodbPortDefault(options.ports),
        ...(options.startLambda !== false
          ? { lambda: options.lambdaPort ?? (allFreePorts(options.ports) ? 0 : DEFAULT_LAMBDA_API_PORT) }
          : {}),
      },
      kinesisEngine,
    );
    throwIfAborted(options.signal);

    const synth = options.synth ?? options.assemblyDir === undefined;
    let assemblyDir = options.assemblyDir ? path.resolve(projectDir, options.assemblyDir) : path.join(stateDir, 'cdk.out');
    if (synth) {
      assemblyDir = path.join(stateDir, 'cdk.out');
      log(`synthesizing the CDK app (cdk synth → ${path.relative(projectDir, assemblyDir)}) ...`);
      await synthesize(projectDir, assemblyDir, options.signal);
      log(`synthesized in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    synthMs = Date.now() - t0;
    if (!synth && !options.assemblyDir && !fs.existsSync(path.join(assemblyDir, 'manifest.json'))) {
      throw new LocalCloudError(`no synthesized assembly in ${assemblyDir}: run once without --no-synth, or pass --assembly <cdk.out>`);
    }
    assembly = loadAssembly(assemblyDir);
    // fail on unknown types / missing assets before any emulator starts
    analyzeAssembly(assembly, { allowUnsupported: options.allowUnsupported });
  } catch (err) {
    release();
    throw err;
  }

  let fatalError: LocalCloudError | undefined;
  const fatal = (err: LocalCloudError): void => {
    if (fatalError) return; // every poller may report the same loss: say it once
    fatalError = err;
    void stopAll().then(() => (options.onFatal ? options.onFatal(err) : console.error(`error: ${err.message}`)));
  };

  try {
    emulators = await startEmulators({
      ports: {
        sqs: options.ports?.sqs ?? DEFAULT_PORTS.sqs,
        kinesis: options.ports?.kinesis ?? DEFAULT_PORTS.kinesis,
        dynamodb: options.ports?.dynamodb ?? dynamodbPortDefault(options.ports),
      },
      kinesis: options.kinesis ?? DEFAULT_KINESIS_ENGINE,
      workDir: stateDir,
      onFatal: fatal,
      ...(persistDir ? { persistDir } : {}),
    });
    const provisioned = await provision({
      assembly,
      endpoints: emulators.endpoints,
      kinesis: emulators.kinesis,
      allowUnsupported: options.allowUnsupported,
      stateDir,
      reuseExisting: persistDir !== undefined,
    });
    for (const w of provisioned.warnings) log(`warning: ${w}`);
    const copyDir = archiveCopyDir(stateDir);
    if (options.keepArchive) {
      const restored = await restoreArchive(copyDir, provisioned.topology);
      if (restored > 0)
        log(`restored ${restored} archive object(s) from ${path.relative(projectDir, copyDir) || copyDir} (--keep-archive)`);
    } else {
      fs.rmSync(copyDir, { recursive: true, force: true });
    }
    if (options.startLambda !== false) {
      lambdaApi = await startLambdaApi({
        port: options.lambdaPort ?? (allFreePorts(options.ports) ? 0 : DEFAULT_LAMBDA_API_PORT),
        functions: provisioned.topology.functions,
        // through the console's tap when it runs: it counts the operator tools' direct invocations
        hosts: () => (consoleServer ? consoleServer.tapHosts(lambda?.hosts) : lambda?.hosts),
      });
    }
    if (options.console) {
      const { startConsole, DEFAULT_CONSOLE_PORT } = await import('./console/server');
      consoleServer = await startConsole({
        port: options.console.port ?? (allFreePorts(options.ports) ? 0 : DEFAULT_CONSOLE_PORT),
        topology: provisioned.topology,
        roles: provisioned.roles,
        provisioned,
        timeScale,
        endpointsFile: file,
        stateDir,
        lambda: () => lambda,
        firehose: () => firehose,
        log: options.console.log ?? log,
      });
    }
    const endpoints = endpointsFile(provisioned, emulators, timeScale, lambdaApi?.url, consoleServer?.url);
    fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(endpoints, null, 2)}\n`);
    fs.renameSync(`${file}.tmp`, file);

    let clock: Clock | undefined;
    if (options.startLambda !== false) {
      clock = createClock(timeScale);
      const tee = options.onFunctionLog;
      const cs = consoleServer;
      const logSink = createLogSink({
        dir: path.join(stateDir, 'logs'),
        ...(tee || cs
          ? {
              tee: (l: { functionName: string; stream: string; line: string }) => {
                cs?.onFunctionLog(l);
                tee?.(l);
              },
            }
          : {}),
      });
      lambda = await startLambdaService(provisioned.topology, {
        clock,
        logSink,
        onError: (err, where) => {
          logSink.write(where, 'runtime', `ERROR ${err instanceof Error ? err.message : String(err)}`);
          // A queue, stream or bucket that vanished means the emulator lost its state: stop loudly rather than
          // poll on and report success with messages missing.
          if (VANISHED.has((err as { name?: string }).name ?? '')) {
            fatal(
              new LocalCloudError(
                `${where}: ${(err as Error).message} — the emulator lost this resource (restarted?); stopping the local cloud`,
              ),
            );
          }
        },
        ...(options.onInvocation ? { onInvocation: options.onInvocation } : {}),
        ...(options.pollersPerQueue !== undefined ? { pollersPerQueue: options.pollersPerQueue } : {}),
        ...(options.functionEnvironment ? { extraEnv: options.functionEnvironment } : {}),
        ...(positions ? { kinesisCheckpoints: positions.mappings } : {}),
      });
      if (provisioned.topology.deliveryStreams.length > 0) {
        firehose = await startFirehose(provisioned.topology.deliveryStreams, {
          clock,
          endpoints: provisioned.topology.endpoints,
          ...(options.keepArchive ? { archiveCopyDir: copyDir } : {}),
          ...(positions ? { startAfter: positions.firehose } : {}),
          onError: (err, ds) => logSink.write(`firehose:${ds}`, 'runtime', `ERROR ${err instanceof Error ? err.message : String(err)}`),
        });
      }
    }
    // --persist: positions saved every second too, so even a forced exit redelivers at most about a second's worth
    if (persistDir && lambda) {
      positionTimer = setInterval(saveNow, 1000);
      positionTimer.unref();
    }
    // the Node each function runs on: the major its Runtime names (local/lambda/node-runtime.ts); a missing one once
    const nodes: Record<string, NodeSelection> = {};
    for (const f of provisioned.topology.functions) nodes[f.name] = nodeForRuntime(f.runtime);
    for (const w of new Set(Object.values(nodes).flatMap((n) => (n.warning ? [n.warning] : [])))) log(`warning: ${w}`);
    const cloud: LocalCloud = {
      topology: provisioned.topology,
      endpoints,
      endpointsFile: file,
      provisioned,
      roles: provisioned.roles,
      emulators,
      ...(clock ? { clock } : {}),
      ...(lambda ? { lambda } : {}),
      ...(firehose ? { firehose } : {}),
      ...(consoleServer ? { console: { url: consoleServer.url, token: consoleServer.token } } : {}),
      persistence: persistDir ? { mode: 'disk', dir: persistDir, resumed } : { mode: 'memory' },
      nodes,
      assembly,
      timings: { synthMs, startMs: Date.now() - t0 - synthMs },
      stats: () => lambda?.stats() ?? EMPTY_STATS,
      stop: stopAll,
    };
    return cloud;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
