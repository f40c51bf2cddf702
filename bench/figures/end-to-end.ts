/**
 * Figures 4 and 5: end to end on the local cloud (local/index.ts startLocalCloud), against the emulators' raw
 * rates measured on the same emulator instances in the same run.
 *
 * The local cloud is built in parallel with this harness, so it is loaded by a variable specifier and used
 * through the small structural interface below: when it is missing, the figure says so instead of a number.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateStreamCommand, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createKinesisClient, createSqsClient } from '../../lambdas/shared/aws-clients';
import { enqueueJobs } from '../../lambdas/shared/producers/enqueue-jobs';
import { publishEvents } from '../../lambdas/shared/producers/publish-events';
import { median, percentile, round } from '../lib/stats';
import type { BenchOptions, FigureResult, Row } from '../lib/types';
import { emailJobs, orderEvents } from './producers';

export const NOT_AVAILABLE = 'not implemented: needs the local cloud (local/index.ts startLocalCloud)';
export const E2E_TARGET = 0.5;

/** What the bench uses of the local cloud (a structural subset of local/index.ts's LocalCloud). */
interface InvocationReportLike {
  readonly functionName: string;
  readonly source: 'sqs' | 'kinesis';
  readonly recordIds: readonly string[];
  readonly failedIds: readonly string[];
  readonly outcome: string;
}
interface LocalCloudLike {
  readonly endpoints: {
    readonly region: string;
    readonly endpoints: { readonly sqs: string; readonly kinesis: string };
    readonly queues: Record<string, { readonly url: string } | undefined>;
    readonly streams: Record<string, { readonly name: string } | undefined>;
    readonly resources: { readonly functions: readonly { readonly logicalId: string; readonly name: string; readonly role?: string }[] };
    readonly env: Record<string, string>;
    readonly kinesisEngine: string;
  };
  readonly firehose?: { stats(): Record<string, { recordsArchived: number }>; flush(): Promise<void> };
  stop(): Promise<void>;
}
type StartLocalCloud = (options: Record<string, unknown>) => Promise<LocalCloudLike>;

/** startLocalCloud from local/index.ts, or the reason it is unavailable. */
export async function loadLocalCloud(root: string): Promise<{ start: StartLocalCloud } | { reason: string }> {
  const entry = path.join(root, 'local', 'index.ts');
  if (!fs.existsSync(entry)) return { reason: `${NOT_AVAILABLE}: local/index.ts does not exist` };
  try {
    const spec = entry; // variable specifier: the module is written in parallel and may not compile yet
    const mod = (await import(spec)) as { startLocalCloud?: unknown };
    if (typeof mod.startLocalCloud !== 'function') return { reason: `${NOT_AVAILABLE}: local/index.ts does not export startLocalCloud` };
    return { start: mod.startLocalCloud as StartLocalCloud };
  } catch (error) {
    return { reason: `${NOT_AVAILABLE}: loading local/index.ts failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

export interface EndToEndSettings {
  /** Cloud assembly to run (figure 6's synth output). */
  readonly assemblyDir: string;
  readonly events: number;
  readonly jobs: number;
  readonly rounds: number;
  /** Bound of each phase. */
  readonly phaseTimeoutMs: number;
}

const now = (): number => performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Raw GetRecords loop: reads `expected` records of a fresh stream from TRIM_HORIZON over all shards. */
async function rawGetRecords(kinesis: KinesisClient, stream: string, expected: number, timeoutMs: number): Promise<number> {
  const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: stream }));
  const t0 = now();
  let read = 0;
  const shards = StreamDescription?.Shards ?? [];
  await Promise.all(
    shards.map(async (shard) => {
      let { ShardIterator: it } = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
      while (it && read < expected && now() - t0 < timeoutMs) {
        const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
        read += out.Records?.length ?? 0;
        if ((out.Records?.length ?? 0) === 0) break; // this shard is drained
        it = out.NextShardIterator;
      }
    }),
  );
  if (read < expected) throw new Error(`raw GetRecords read ${read} of ${expected}`);
  return now() - t0;
}

/** Raw receive + delete loop: drains `expected` messages with ReceiveMessage(10) + DeleteMessageBatch. */
async function rawReceiveDelete(sqs: SQSClient, queueUrl: string, expected: number, timeoutMs: number): Promise<number> {
  const t0 = now();
  let done = 0;
  while (done < expected && now() - t0 < timeoutMs) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) continue;
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    done += messages.length;
  }
  if (done < expected) throw new Error(`raw receive+delete drained ${done} of ${expected}`);
  return now() - t0;
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = now();
  while (!condition()) {
    if (now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(5);
  }
}

export async function endToEndFigure(options: BenchOptions, settings: EndToEndSettings): Promise<FigureResult> {
  const started = Date.now();
  const loaded = await loadLocalCloud(options.root);
  const base = { id: '4', title: 'End to end on the local cloud', method: '', rows: [] as Row[] };
  if ('reason' in loaded) return { ...base, skipped: loaded.reason };

  // Completion tracking from the Lambda service's invocation reports.
  const seen = new Map<string, Set<string>>(); // function name → ids processed ok
  const doneAt = new Map<string, number>(); // `${fn}|${id}` → time first processed ok
  const onInvocation = (r: InvocationReportLike): void => {
    if (r.outcome !== 'ok' && r.outcome !== 'partial') return;
    const failed = new Set(r.failedIds);
    const set = seen.get(r.functionName) ?? new Set<string>();
    seen.set(r.functionName, set);
    const t = now();
    for (const id of r.recordIds) {
      if (failed.has(id) || set.has(id)) continue;
      set.add(id);
      doneAt.set(`${r.functionName}|${id}`, t);
    }
  };

  let cloud: LocalCloudLike;
  try {
    cloud = await loaded.start({
      assemblyDir: settings.assemblyDir,
      synth: false,
      projectDir: options.root,
      stateDir: path.join(options.tmp, 'local-cloud'),
      ports: { sqs: 0, kinesis: 0 },
      quiet: true,
      onInvocation,
      onFunctionLog: undefined,
    });
  } catch (error) {
    return { ...base, skipped: `the local cloud did not start: ${(error as Error).message.split('\n')[0]}` };
  }

  const raw: Record<string, number[]> = { rawGetRecordsMs: [], e2eEventsMs: [], consumersOnlyMs: [], rawReceiveDeleteMs: [], e2eJobsMs: [] };
  const latencies: number[] = [];
  const consumerMs: Record<string, number[]> = {}; // per consumer: publish start → its last event processed
  try {
    const e = cloud.endpoints;
    const common = { region: e.region, credentials: { accessKeyId: e.env['AWS_ACCESS_KEY_ID'] ?? 'local', secretAccessKey: e.env['AWS_SECRET_ACCESS_KEY'] ?? 'local' } };
    const kinesis = createKinesisClient({ ...common, endpoint: e.endpoints.kinesis });
    const sqs = createSqsClient({ ...common, endpoint: e.endpoints.sqs });
    const stream = e.streams['events']?.name;
    const queueUrl = e.queues['jobs']?.url;
    if (!stream || !queueUrl) throw new Error('the local cloud has no events stream or jobs queue');
    const consumers = e.resources.functions.filter((f) => f.role === 'consumer').map((f) => f.name);
    const worker = e.resources.functions.find((f) => f.role === 'worker')?.name;
    if (consumers.length === 0 || !worker) throw new Error('no consumer or worker function found by tag');
    const archived = (): number => Object.values(cloud.firehose?.stats() ?? {}).reduce((s, d) => s + d.recordsArchived, 0);
    const has = (fn: string, ids: readonly string[]): boolean => {
      const set = seen.get(fn);
      return set !== undefined && ids.every((id) => set.has(id));
    };

    for (let round = 0; round < settings.rounds; round++) {
      // Raw GetRecords on a fresh stream of the same shard count, filled untimed.
      const rawStream = `bench-raw-${round}`;
      await kinesis.send(new CreateStreamCommand({ StreamName: rawStream, ShardCount: 2 }));
      await sleep(50);
      const rawEvents = orderEvents(settings.events, 'distinct', Date.now());
      const filled = await publishEvents(rawEvents, { client: kinesis, streamName: rawStream });
      if (filled.failed > 0) throw new Error(`filling ${rawStream}: ${filled.failed} failed`);
      raw['rawGetRecordsMs']!.push(await rawGetRecords(kinesis, rawStream, settings.events, settings.phaseTimeoutMs));

      // End to end: publish, until every consumer and the archive have every event.
      const events = orderEvents(settings.events, 'distinct', Date.now() + 1);
      const ids = events.map((ev) => ev.id);
      const archivedBefore = archived();
      const t0 = now();
      const publishedAt = new Map<string, number>();
      for (let i = 0; i < events.length; i += 500) {
        const chunk = events.slice(i, i + 500);
        const at = now();
        const report = await publishEvents(chunk, { client: kinesis, streamName: stream });
        if (report.failed > 0) throw new Error(`publishEvents: ${report.failed} failed`);
        for (const ev of chunk) publishedAt.set(ev.id, at);
      }
      await waitUntil(() => consumers.every((fn) => has(fn, ids)), settings.phaseTimeoutMs, `${consumers.join(', ')} to process ${ids.length} events`);
      const consumersDone = now() - t0;
      // The archive buffers up to its interval (60 s in the template): flush once the consumers are done.
      await cloud.firehose?.flush();
      await waitUntil(() => archived() - archivedBefore >= ids.length, settings.phaseTimeoutMs, 'the archive');
      raw['e2eEventsMs']!.push(now() - t0);
      raw['consumersOnlyMs']!.push(consumersDone);
      for (const fn of consumers) {
        let last = 0;
        for (const id of ids) {
          const at = doneAt.get(`${fn}|${id}`)!;
          latencies.push(at - publishedAt.get(id)!);
          last = Math.max(last, at - t0);
        }
        (consumerMs[fn] ??= []).push(last);
      }
      // The consumers' jobs (notifications, payments) drain before the jobs phase.
      await sleep(500);

      // Raw receive+delete on a fresh queue, filled untimed.
      const { QueueUrl: rawQueue } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-raw-${round}` }));
      const fill = await enqueueJobs(emailJobs(settings.jobs, Date.now()), { client: sqs, queueUrl: rawQueue! });
      if (fill.failed > 0) throw new Error(`filling the raw queue: ${fill.failed} failed`);
      raw['rawReceiveDeleteMs']!.push(await rawReceiveDelete(sqs, rawQueue!, settings.jobs, settings.phaseTimeoutMs));

      // End to end: enqueue, until the worker processed every job.
      const jobs = emailJobs(settings.jobs, Date.now() + 2);
      const jobIds = jobs.map((j) => j.id);
      const t1 = now();
      const report = await enqueueJobs(jobs, { client: sqs, queueUrl });
      if (report.failed > 0) throw new Error(`enqueueJobs: ${report.failed} failed`);
      await waitUntil(() => has(worker, jobIds), settings.phaseTimeoutMs, `${worker} to process ${jobIds.length} jobs`);
      raw['e2eJobsMs']!.push(now() - t1);
      options.log(`  round ${round + 1}: events ${Math.round(raw['e2eEventsMs']!.at(-1)!)} ms (raw ${Math.round(raw['rawGetRecordsMs']!.at(-1)!)} ms), jobs ${Math.round(raw['e2eJobsMs']!.at(-1)!)} ms (raw ${Math.round(raw['rawReceiveDeleteMs']!.at(-1)!)} ms)`);
    }
    kinesis.destroy();
    sqs.destroy();

    const perSecond = (n: number, ms: number[]): number => (n * 1000) / median(ms);
    const ev = perSecond(settings.events, raw['e2eEventsMs']!);
    const evRaw = perSecond(settings.events, raw['rawGetRecordsMs']!);
    const jb = perSecond(settings.jobs, raw['e2eJobsMs']!);
    const jbRaw = perSecond(settings.jobs, raw['rawReceiveDeleteMs']!);
    const rows: Row[] = [
      {
        name: `events end to end (${consumers.length} consumers + archive, ${e.kinesisEngine})`,
        value: round(ev),
        unit: 'events/s',
        baseline: { label: 'raw GetRecords loop, same emulator', value: round(evRaw), unit: 'events/s' },
        ratio: round(ev / evRaw),
        target: { text: `≥ ${E2E_TARGET * 100} % of raw`, pass: ev / evRaw >= E2E_TARGET },
        n: settings.rounds,
        note:
          `${settings.events} events per round; per consumer (events/s until its last event): ` +
          Object.entries(consumerMs).map(([fn, ms]) => `${fn} ${round(perSecond(settings.events, ms))}`).join(', ') +
          `; archive flushed once the consumers were done (its 60 s buffering interval would otherwise dominate)`,
      },
      {
        name: 'jobs end to end (enqueue → worker done)',
        value: round(jb),
        unit: 'jobs/s',
        baseline: { label: 'raw receive + delete loop, same emulator', value: round(jbRaw), unit: 'jobs/s' },
        ratio: round(jb / jbRaw),
        target: { text: `≥ ${E2E_TARGET * 100} % of raw`, pass: jb / jbRaw >= E2E_TARGET },
        n: settings.rounds,
        note: `${settings.jobs} send-email jobs per round`,
      },
      { name: 'latency publish → consumer done, p50', value: round(percentile(latencies, 50)), unit: 'ms', n: latencies.length, note: 'per (event, consumer) pair; the publish call start to the end of the invocation that processed it' },
      { name: 'latency publish → consumer done, p99', value: round(percentile(latencies, 99)), unit: 'ms', n: latencies.length },
    ];
    return {
      ...base,
      method:
        `startLocalCloud on figure 6's assembly (emulators on free loopback ports, the Lambda service polling per the template's event source ` +
        `mappings). Per round: the raw GetRecords loop over a fresh 2-shard stream filled beforehand (all shards in parallel, Limit 10000), then ` +
        `N OrderPlaced events published with publishEvents until every consumer's invocation reports (InvocationReport.recordIds) have every id ` +
        `and the archive's recordsArchived grew by N; then the raw ReceiveMessage(10)+DeleteMessageBatch loop over a fresh queue filled ` +
        `beforehand, then M jobs enqueued with enqueueJobs until the worker reported every id. ${settings.rounds} round(s), medians.`,
      rows,
      raw: { ...raw, perConsumerMs: consumerMs, latencyMs: latencies },
      durationMs: Date.now() - started,
    };
  } catch (error) {
    return { ...base, skipped: `the local cloud run failed: ${(error as Error).message.split('\n')[0]}`, raw };
  } finally {
    await cloud.stop().catch(() => undefined);
  }
}

/** Figure 5: scaling at 1, 2, 4 shards and 1, 2, 4 worker pollers. Needs knobs the local cloud does not expose yet. */
export async function scalingFigure(options: BenchOptions): Promise<FigureResult> {
  const loaded = await loadLocalCloud(options.root);
  const base = { id: '5', title: 'Scaling: shards and worker pollers', method: '', rows: [] as Row[] };
  if ('reason' in loaded) return { ...base, skipped: loaded.reason };
  return {
    ...base,
    skipped:
      'not implemented: needs a way to run the local cloud at 1/2/4 shards (a synth per shard count, e.g. a `-c shardCount=` context the ' +
      'app does not read yet) and at 1/2/4 concurrent worker pollers (a LocalCloudOptions knob that does not exist yet); endToEndFigure ' +
      'is the measurement to repeat per setting',
  };
}
