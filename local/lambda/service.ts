import { EventEmitter } from 'node:events';
import type { Clock, InvocationReport, LambdaServiceStats, LocalFunction, LocalTopology } from '../types';
import { localKinesisClient, localS3Client, localSqsClient } from '../clients';
import { FunctionHost } from './function-host';
import { KinesisPoller, type KinesisMappingStats } from './kinesis-poller';
import { createLogSink, defaultLogDir, type LogSink } from './log-sink';
import { SqsPoller } from './sqs-poller';

export interface LambdaServiceOptions {
  clock: Clock;
  /** default: one file per function under .local/logs/ plus an in-memory ring buffer */
  logSink?: LogSink;
  /** concurrent pollers per SQS mapping; default min(5, MaximumConcurrency ?? 5) */
  pollersPerQueue?: number;
  onInvocation?(report: InvocationReport): void;
  /** survivable trouble (emulator hiccups, an unreachable destination); default: written to the log sink */
  onError?(err: unknown, where: string): void;
  /** real ms between GetRecords calls on an idle shard; default 200 */
  kinesisPollIntervalMs?: number;
  /** fetched-but-unprocessed records held per shard; beyond it a reader only counts (lag) and re-reads later */
  kinesisMaxBufferedRecords?: number;
  /** template seconds before stream retry n; default 2^(n-1) capped at 30, scaled by the clock */
  kinesisRetryBackoffSeconds?: (retry: number) => number;
  /** added to every function's environment (after the template's and the local cloud's) */
  extraEnv?: Record<string, string>;
  /** reports kept in memory (oldest dropped first); default 10 000 */
  maxReports?: number;
  /** per Kinesis mapping logical id, per shard: resume after this checkpoint (an earlier run's checkpoints(), --persist) */
  kinesisCheckpoints?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface LambdaService {
  stats(): LambdaServiceStats;
  /** per Kinesis mapping logical id: counters, lag, paused */
  mappingStats(): Record<string, KinesisMappingStats>;
  /** per Kinesis mapping logical id: the last checkpointed sequence number per shard (undefined: none yet) */
  checkpoints(): Record<string, Record<string, string | undefined>>;
  /** the most recent invocation reports, oldest first */
  readonly reports: readonly InvocationReport[];
  /** emits 'invocation' (InvocationReport) and 'error' ({ err, where }) — 'error' only when listened to */
  readonly events: EventEmitter;
  /** function name → its execution environments */
  readonly hosts: ReadonlyMap<string, FunctionHost>;
  readonly logSink: LogSink;
  /** pause / resume one mapping (by logical id) or every mapping of a function (by function name) */
  pause(name: string): void;
  resume(name: string): void;
  /**
   * UpdateFunctionConfiguration (environment only): sets `vars` over the template's environment (undefined
   * reverts a variable to the template's value); later invocations run in fresh execution environments.
   */
  updateFunctionEnvironment(functionName: string, vars: Readonly<Record<string, string | undefined>>): void;
  /** pids of every live execution environment */
  pids(): number[];
  stop(): Promise<void>;
}

type Stats = LambdaServiceStats['functions'][string];

/**
 * Starts the local Lambda service for a resolved topology: one FunctionHost per mapped function (initialized
 * eagerly, so an import error fails the start naming function and file), SQS and Kinesis pollers per enabled
 * event source mapping. Disabled mappings are not started; functions no enabled mapping targets are not started.
 */
export async function startLambdaService(topology: LocalTopology, options: LambdaServiceOptions): Promise<LambdaService> {
  const { clock } = options;
  const { endpoints } = topology;
  const logSink = options.logSink ?? createLogSink({ dir: defaultLogDir() });
  const events = new EventEmitter();
  const reports: InvocationReport[] = [];
  const maxReports = options.maxReports ?? 10_000;
  const functionStats: Record<string, Stats> = {};
  const onError = (err: unknown, where: string): void => {
    if (options.onError) options.onError(err, where);
    else logSink.write(where, 'runtime', `ERROR ${err instanceof Error ? err.message : String(err)}`);
    if (events.listenerCount('error') > 0) events.emit('error', { err, where });
  };
  const onReport = (report: InvocationReport): void => {
    reports.push(report);
    if (reports.length > maxReports) reports.splice(0, reports.length - maxReports);
    functionStats[report.functionName] ??= { invocations: 0, recordsOk: 0, recordsFailed: 0, errors: 0, timeouts: 0 };
    const s = functionStats[report.functionName];
    s.invocations++;
    s.recordsOk += report.recordIds.length - report.failedIds.length;
    s.recordsFailed += report.failedIds.length;
    if (report.outcome === 'error' || report.outcome === 'crash') s.errors++;
    if (report.outcome === 'timeout') s.timeouts++;
    options.onInvocation?.(report);
    events.emit('invocation', report);
  };

  const byLogicalId = new Map(topology.functions.map((f) => [f.logicalId, f]));
  const fnFor = (mappingId: string, functionLogicalId: string): LocalFunction => {
    const fn = byLogicalId.get(functionLogicalId);
    if (!fn) throw new Error(`event source mapping ${mappingId}: function ${functionLogicalId} is not in the topology`);
    return fn;
  };
  const sqsMappings = topology.sqsMappings.filter((m) => m.enabled);
  const kinesisMappings = topology.kinesisMappings.filter((m) => m.enabled);

  const clients = {
    sqs: localSqsClient(endpoints, { plumbing: true }),
    kinesis: localKinesisClient(endpoints, { plumbing: true }),
    s3: localS3Client(endpoints, { plumbing: true }),
  };
  const hosts = new Map<string, FunctionHost>();
  const sqsPollers: SqsPoller[] = [];
  const kinesisPollers: KinesisPoller[] = [];
  const concurrency = new Map<FunctionHost, number>();
  const hostFor = (fn: LocalFunction): FunctionHost => {
    let host = hosts.get(fn.name);
    if (!host) {
      host = new FunctionHost({ fn, endpoints, logSink, ...(options.extraEnv ? { extraEnv: options.extraEnv } : {}) });
      hosts.set(fn.name, host);
    }
    return host;
  };

  /** What every poller of a mapping is given: its mapping and function host, the clock, endpoints and reporting. */
  const pollerBase = <M extends { logicalId: string }>(m: M, host: FunctionHost) => ({
    mapping: m,
    host,
    clock,
    endpoints,
    onReport,
    onError: (err: unknown) => onError(err, `${host.fn.name}/${m.logicalId}`),
  });

  const stopAll = async (): Promise<void> => {
    await Promise.all(
      [...sqsPollers, ...kinesisPollers].map((p) => p.stop().catch(() => undefined)).concat([...hosts.values()].map((h) => h.stop())),
    );
    clients.sqs.destroy();
    clients.kinesis.destroy();
    clients.s3.destroy();
  };

  try {
    for (const m of sqsMappings) {
      const host = hostFor(fnFor(m.logicalId, m.functionLogicalId));
      const poller = new SqsPoller({
        ...pollerBase(m, host),
        client: clients.sqs,
        ...(options.pollersPerQueue !== undefined ? { pollers: options.pollersPerQueue } : {}),
      });
      sqsPollers.push(poller);
      concurrency.set(host, (concurrency.get(host) ?? 0) + poller.pollerCount);
    }
    for (const m of kinesisMappings) {
      const host = hostFor(fnFor(m.logicalId, m.functionLogicalId));
      const poller = new KinesisPoller({
        ...pollerBase(m, host),
        client: clients.kinesis,
        destinations: { s3: clients.s3, sqs: clients.sqs },
        ...(options.kinesisPollIntervalMs !== undefined ? { pollIntervalMs: options.kinesisPollIntervalMs } : {}),
        ...(options.kinesisMaxBufferedRecords !== undefined ? { maxBufferedRecords: options.kinesisMaxBufferedRecords } : {}),
        ...(options.kinesisRetryBackoffSeconds ? { retryBackoffSeconds: options.kinesisRetryBackoffSeconds } : {}),
        ...(options.kinesisCheckpoints?.[m.logicalId] ? { initialCheckpoints: options.kinesisCheckpoints[m.logicalId] } : {}),
      });
      kinesisPollers.push(poller);
      concurrency.set(host, (concurrency.get(host) ?? 0) + poller.concurrency());
    }
    for (const [host, n] of concurrency) host.setMaxConcurrency(n);
    // load every handler before any poller runs: an import error stops the start, naming function and file
    await Promise.all([...hosts.values()].map((h) => h.init()));
    for (const p of kinesisPollers) {
      await p.start().catch((err: unknown) => {
        throw new Error(
          `event source mapping ${p.mappingId}: cannot read stream ${p.o.mapping.stream.name}: ${err instanceof Error ? err.message : String(err)}`,
        );
      });
    }
    for (const p of sqsPollers) p.start();
  } catch (err) {
    await stopAll();
    throw err;
  }

  const targets = (name: string): Array<SqsPoller | KinesisPoller> => {
    const all = [...sqsPollers, ...kinesisPollers];
    const byMapping = all.filter((p) => p.mappingId === name);
    if (byMapping.length > 0) return byMapping;
    const byFunction = all.filter((p) => (p instanceof SqsPoller ? sqsFunction(p) : p.o.host.fn.name) === name);
    if (byFunction.length > 0) return byFunction;
    throw new Error(`no event source mapping or function named ${name} (known: ${all.map((p) => p.mappingId).join(', ')})`);
  };
  const sqsFunction = (p: SqsPoller): string => {
    const m = sqsMappings.find((x) => x.logicalId === p.mappingId)!;
    return byLogicalId.get(m.functionLogicalId)!.name;
  };

  let stopping: Promise<void> | undefined;
  return {
    reports,
    events,
    hosts,
    logSink,
    stats() {
      const consumerLag: LambdaServiceStats['consumerLag'] = {};
      const onFailureRecords: LambdaServiceStats['onFailureRecords'] = {};
      for (const p of kinesisPollers) {
        const s = p.stats();
        const name = p.o.host.fn.name;
        consumerLag[name] ??= { behindRecords: 0, millisBehind: 0 };
        const lag = consumerLag[name];
        lag.behindRecords += s.behindRecords;
        lag.millisBehind = Math.max(lag.millisBehind, s.millisBehind);
        onFailureRecords[name] = (onFailureRecords[name] ?? 0) + s.onFailureRecords;
      }
      const functions: LambdaServiceStats['functions'] = {};
      for (const name of hosts.keys())
        functions[name] = { ...(functionStats[name] ?? { invocations: 0, recordsOk: 0, recordsFailed: 0, errors: 0, timeouts: 0 }) };
      return { functions, consumerLag, onFailureRecords };
    },
    mappingStats() {
      return Object.fromEntries(kinesisPollers.map((p) => [p.mappingId, p.stats()]));
    },
    checkpoints() {
      return Object.fromEntries(kinesisPollers.map((p) => [p.mappingId, p.checkpoints()]));
    },
    pause(name) {
      for (const p of targets(name)) p.pause();
    },
    resume(name) {
      for (const p of targets(name)) p.resume();
    },
    updateFunctionEnvironment(functionName, vars) {
      const host = hosts.get(functionName);
      if (!host) throw new Error(`no running function named ${functionName} (known: ${[...hosts.keys()].join(', ')})`);
      host.updateEnvironment(vars);
    },
    pids() {
      return [...hosts.values()].flatMap((h) => h.pids());
    },
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
  };
}
