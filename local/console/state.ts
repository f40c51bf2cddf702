// The console's live state: sampled about once a second while a page listens, from public APIs only — the
// emulators' own APIs (SQS attributes and fauxqs's non-destructive queue inspection, S3 listings, the stream
// itself through the console's own reader), the lambda service's counters, checkpoints and invocation reports,
// the Firehose stand-in's counters, and the Invoke API's direct invocations.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { readArchiveObject } from '../../tools/ops/archive-reader';
import { FAILURE_OBJECT_PREFIX, functionNameOf, parseFailureRecord } from '../../tools/ops/failure-records';
import { listObjects } from '../../tools/ops/s3-objects';
import { queueDepth } from '../status';
import { createLocalClients, type LocalClients } from '../clients';
import type { FirehoseService } from '../firehose';
import type { LambdaService } from '../lambda/service';
import type { LogLine } from '../lambda/log-sink';
import type { TopologyRoles } from '../project';
import type { InvocationReport, LocalQueue, LocalTopology } from '../types';
import type { DirectInvocation, DirectInvocationTap } from './direct-invocations';
import { lagOf, StreamTail } from './stream-tail';
import type { QueueState, DlqMessage, ConsumerState, FunctionState, FailureObject, ConsoleState } from './state-shape';

interface FauxqsMessage {
  messageId: string;
  body: string;
  sentTimestamp: number;
  approximateReceiveCount: number;
}

const MAX_DLQ_SHOWN = 50;
const MAX_INSPECTED = 20_000;
const MAX_NEW_OBJECTS_PER_TICK = 50;

export interface StateCollectorOptions {
  topology: LocalTopology;
  roles: TopologyRoles;
  lambda: () => LambdaService | undefined;
  firehose: () => FirehoseService | undefined;
  tap: DirectInvocationTap;
  onError?: (err: unknown, where: string) => void;
}

export class StateCollector {
  private readonly clients: LocalClients;
  private readonly tails: StreamTail[] = [];
  private readonly startedAt = Date.now();
  /** envelope id or message id → the worker's last error line for it */
  private readonly jobErrors = new Map<string, string>();
  private readonly perMapping = new Map<string, { last?: ConsumerState['last']; retrying: number; invocations: number }>();
  private readonly durations = new Map<string, { last: number; sum: number; n: number; max: number }>();
  private readonly direct = new Map<
    string,
    { invocations: number; records: number; failed: number; errors: number; last?: DirectInvocation }
  >();
  private readonly failureCache = new Map<string, FailureObject>();
  private readonly archiveCache = new Map<string, number>();
  private subscribedTo?: LambdaService;
  private readonly onDirect = (d: DirectInvocation): void => {
    const s = this.direct.get(d.functionName) ?? { invocations: 0, records: 0, failed: 0, errors: 0 };
    s.invocations++;
    s.records += d.records;
    s.failed += d.failed;
    if (d.outcome !== 'ok' && d.outcome !== 'partial') s.errors++;
    s.last = d;
    this.direct.set(d.functionName, s);
    this.duration(d.functionName, d.durationMs);
  };
  private readonly onReport = (r: InvocationReport): void => {
    this.duration(r.functionName, r.durationMs);
    const m = this.perMapping.get(r.mappingLogicalId) ?? { retrying: 0, invocations: 0 };
    m.invocations++;
    m.last = {
      outcome: r.outcome,
      at: Date.now(),
      durationMs: r.durationMs,
      records: r.recordIds.length,
      failed: r.failedIds.length,
      ...(r.error ? { error: r.error } : {}),
    };
    m.retrying = r.outcome === 'ok' ? 0 : m.retrying + 1;
    this.perMapping.set(r.mappingLogicalId, m);
  };

  constructor(private readonly o: StateCollectorOptions) {
    this.clients = createLocalClients(o.topology.endpoints, o.topology.endpoints.region);
    o.tap.events.on('invocation', this.onDirect);
  }

  async start(): Promise<void> {
    for (const s of this.o.topology.streams) {
      const tail = new StreamTail(s, this.clients.kinesis, (err) => this.o.onError?.(err, `console: reading ${s.name}`));
      await tail.start();
      this.tails.push(tail);
    }
  }

  /** every function log line: the worker's failures name the job (the error the DLQ view shows) */
  onFunctionLog(l: Pick<LogLine, 'functionName' | 'line'>): void {
    if (!l.line.includes('failed') && !l.line.includes('invalid')) return;
    const start = l.line.indexOf('{');
    if (start < 0) return;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(l.line.slice(start)) as Record<string, unknown>;
    } catch {
      return;
    }
    if (doc['level'] !== 'ERROR' || typeof doc['message'] !== 'string') return;
    const err = doc['error'] as { name?: string; message?: string } | undefined;
    const text =
      [doc['reason'], doc['detail'], err ? `${err.name ?? 'Error'}: ${err.message ?? ''}` : undefined]
        .filter((x) => typeof x === 'string' && x !== '')
        .join(' — ') || doc['message'];
    for (const k of [doc['envelopeId'], doc['messageId']]) {
      if (typeof k !== 'string') continue;
      this.jobErrors.delete(k);
      this.jobErrors.set(k, `${l.functionName}: ${String(text)}`);
    }
    while (this.jobErrors.size > 5000) this.jobErrors.delete(this.jobErrors.keys().next().value!);
  }

  private duration(fn: string, ms: number): void {
    const d = this.durations.get(fn) ?? { last: 0, sum: 0, n: 0, max: 0 };
    d.last = ms;
    d.sum += ms;
    d.n++;
    d.max = Math.max(d.max, ms);
    this.durations.set(fn, d);
  }

  private subscribe(): LambdaService | undefined {
    const l = this.o.lambda();
    if (l && this.subscribedTo !== l) {
      this.subscribedTo?.events.off('invocation', this.onReport);
      l.events.on('invocation', this.onReport);
      this.subscribedTo = l;
    }
    return l;
  }

  private async inspect(
    q: LocalQueue,
  ): Promise<{ ready: FauxqsMessage[]; delayed: FauxqsMessage[]; inflight: { message: FauxqsMessage }[] } | undefined> {
    try {
      const res = await fetch(`${this.o.topology.endpoints.sqs}/_fauxqs/queues/${encodeURIComponent(q.name)}`, {
        signal: AbortSignal.timeout(2000),
      });
      if (!res.ok) return undefined;
      return (
        (await res.json()) as { messages: { ready: FauxqsMessage[]; delayed: FauxqsMessage[]; inflight: { message: FauxqsMessage }[] } }
      ).messages;
    } catch {
      return undefined;
    }
  }

  private async queue(q: LocalQueue, isDlq: boolean): Promise<{ state: QueueState; messages?: DlqMessage[]; more?: number }> {
    const state: QueueState = { id: q.logicalId, ...(await queueDepth(this.clients.sqs, q.url)) };
    const total = state.visible + state.inFlight + state.delayed;
    if (total === 0 || total > MAX_INSPECTED) return { state, ...(isDlq ? { messages: [], more: total } : {}) };
    const m = await this.inspect(q);
    if (!m) return { state };
    const all = [...m.ready, ...m.delayed, ...m.inflight.map((x) => x.message)];
    const oldest = Math.min(...all.map((x) => x.sentTimestamp));
    if (Number.isFinite(oldest)) state.oldestAgeMs = Math.max(0, Date.now() - oldest);
    if (!isDlq) return { state };
    const messages = all
      .sort((x, y) => x.sentTimestamp - y.sentTimestamp)
      .slice(0, MAX_DLQ_SHOWN)
      .map((x): DlqMessage => {
        let envelopeId: string | undefined;
        let type: string | undefined;
        try {
          const b = JSON.parse(x.body) as { id?: unknown; type?: unknown };
          if (typeof b.id === 'string') envelopeId = b.id;
          if (typeof b.type === 'string') type = b.type;
        } catch {
          // not JSON: shown as it is
        }
        const error = (envelopeId && this.jobErrors.get(envelopeId)) || this.jobErrors.get(x.messageId);
        return {
          messageId: x.messageId,
          ...(envelopeId ? { envelopeId } : {}),
          ...(type ? { type } : {}),
          body: x.body.length > 2000 ? `${x.body.slice(0, 2000)}…` : x.body,
          receiveCount: x.approximateReceiveCount,
          sentAt: new Date(x.sentTimestamp).toISOString(),
          ...(error ? { error } : {}),
        };
      });
    return { state, messages, more: Math.max(0, all.length - messages.length) };
  }

  private async listKeys(bucket: string, prefix?: string): Promise<string[]> {
    return (await listObjects(this.clients.s3, bucket, prefix)).map((o) => o.key);
  }

  private async failureObject(bucket: string, key: string): Promise<FailureObject> {
    const cached = this.failureCache.get(`${bucket}/${key}`);
    if (cached) return cached;
    const out = await this.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const parsed = parseFailureRecord(await out.Body!.transformToString());
    const t = this.o.topology;
    let obj: FailureObject;
    if (!parsed.ok) obj = { key, consumer: '?', records: 0, types: [], unreadable: parsed.reason };
    else {
      const r = parsed.record;
      const fn = t.functions.find((f) => f.arn === r.functionArn || functionNameOf(f.arn) === r.functionName || f.name === r.functionName);
      const types = new Set<string>();
      for (const rec of r.records) {
        const text = Buffer.from(rec.kinesis.data, 'base64').toString('utf8');
        try {
          const e = JSON.parse(text) as { type?: unknown };
          types.add(typeof e.type === 'string' ? e.type : '(no type)');
        } catch {
          types.add('(not JSON)');
        }
      }
      obj = {
        key,
        consumer: fn?.name ?? r.functionName,
        ...(r.condition ? { condition: r.condition } : {}),
        records: r.records.length,
        ...(r.shardId ? { shardId: r.shardId } : {}),
        ...(r.timestamp ? { at: r.timestamp } : {}),
        types: [...types],
      };
    }
    this.failureCache.set(`${bucket}/${key}`, obj);
    return obj;
  }

  async sample(): Promise<ConsoleState> {
    const t = this.o.topology;
    const lambda = this.subscribe();
    const now = Date.now();
    const dlqIds = new Set(t.queues.map((q) => q.redrivePolicy?.deadLetterTargetArn).filter((x): x is string => !!x));
    const queueResults = await Promise.all(t.queues.map((q) => this.queue(q, dlqIds.has(q.arn) || q === this.o.roles.jobsDlq)));
    const queues = queueResults.map((r) => r.state);
    const dlqs = t.queues.flatMap((q, i) =>
      queueResults[i]!.messages ? [{ id: q.logicalId, messages: queueResults[i]!.messages!, more: queueResults[i]!.more ?? 0 }] : [],
    );

    const streams = this.tails.map((tail) => ({
      id: tail.stream.logicalId,
      shards: [...tail.shards.values()].map((s) => ({
        shardId: s.shardId,
        ...(tail.tip(s.shardId) ? { tip: tail.tip(s.shardId)! } : {}),
        records: s.seqs.length,
      })),
    }));

    const mappingStats = lambda?.mappingStats() ?? {};
    const checkpoints = lambda?.checkpoints?.() ?? {};
    const consumers = t.kinesisMappings.map((m): ConsumerState => {
      const fn = t.functions.find((f) => f.logicalId === m.functionLogicalId);
      const name = fn?.name ?? m.functionLogicalId;
      const tail = this.tails.find((x) => x.stream.logicalId === m.stream.logicalId);
      const cps = checkpoints[m.logicalId] ?? {};
      const notBefore =
        m.startingPosition === 'TRIM_HORIZON'
          ? 0
          : m.startingPosition === 'AT_TIMESTAMP'
            ? (m.startingPositionTimestamp ?? 0) * 1000
            : this.startedAt;
      const shards = tail
        ? [...tail.shards.values()].map((s) => ({
            shardId: s.shardId,
            ...(cps[s.shardId] ? { position: cps[s.shardId]! } : {}),
            ...lagOf(s, cps[s.shardId], now, notBefore),
          }))
        : [];
      const st = mappingStats[m.logicalId];
      const pm = this.perMapping.get(m.logicalId);
      const d = this.direct.get(name);
      return {
        mapping: m.logicalId,
        consumer: name,
        paused: st?.paused ?? false,
        running: st !== undefined,
        behindRecords: shards.reduce((a, s) => a + s.behindRecords, 0),
        millisBehind: shards.reduce((a, s) => Math.max(a, s.millisBehind), 0),
        shards,
        recordsOk: st?.recordsOk ?? 0,
        recordsFailed: st?.recordsFailed ?? 0,
        filteredOut: st?.filteredOut ?? 0,
        onFailureRecords: st?.onFailureRecords ?? 0,
        invocations: pm?.invocations ?? 0,
        retrying: pm?.retrying ?? 0,
        ...(pm?.last ? { last: pm.last } : {}),
        direct: { invocations: d?.invocations ?? 0, records: d?.records ?? 0, failed: d?.failed ?? 0 },
      };
    });

    const failureBuckets = [
      ...new Set(
        t.kinesisMappings.map((m) => (m.onFailure?.kind === 's3' ? m.onFailure.bucketName : undefined)).filter((x): x is string => !!x),
      ),
    ];
    const failures = await Promise.all(
      failureBuckets.map(async (name) => {
        const bucketId = t.buckets.find((b) => b.name === name)?.logicalId ?? name;
        const keys = await this.listKeys(name);
        const live = keys.filter((k) => k.startsWith(FAILURE_OBJECT_PREFIX));
        const objects: FailureObject[] = [];
        let fresh = 0;
        for (const key of live) {
          if (!this.failureCache.has(`${name}/${key}`) && ++fresh > MAX_NEW_OBJECTS_PER_TICK) break;
          objects.push(await this.failureObject(name, key));
        }
        return { bucketId, objects, redriven: keys.length - live.length };
      }),
    );

    const fh = this.o.firehose()?.stats() ?? {};
    const archives = await Promise.all(
      t.deliveryStreams.map(async (d) => {
        const keys = await this.listKeys(d.bucket.name);
        let records = 0;
        let fresh = 0;
        let errorObjects = 0;
        let objects = 0;
        for (const key of keys) {
          if (key.startsWith('errors/')) {
            errorObjects++;
            continue;
          }
          objects++;
          const ck = `${d.bucket.name}/${key}`;
          let n = this.archiveCache.get(ck);
          if (n === undefined && ++fresh <= MAX_NEW_OBJECTS_PER_TICK) {
            n = (await readArchiveObject(this.clients.s3, d.bucket.name, key)).lines;
            this.archiveCache.set(ck, n);
          }
          records += n ?? 0;
        }
        return {
          deliveryStream: d.logicalId,
          bucketId: d.bucket.logicalId,
          objects,
          records,
          errorObjects,
          buffered: fh[d.name]?.bufferedRecords ?? 0,
        };
      }),
    );

    const stats = lambda?.stats().functions ?? {};
    const functions = t.functions.map((f): FunctionState => {
      const s = stats[f.name] ?? { invocations: 0, recordsOk: 0, recordsFailed: 0, errors: 0, timeouts: 0 };
      const d = this.direct.get(f.name);
      const du = this.durations.get(f.name);
      return {
        id: f.logicalId,
        name: f.name,
        invocations: s.invocations + (d?.invocations ?? 0),
        errors: s.errors + (d?.errors ?? 0),
        timeouts: s.timeouts,
        recordsOk: s.recordsOk + (d ? d.records - d.failed : 0),
        recordsFailed: s.recordsFailed + (d?.failed ?? 0),
        ...(du ? { lastDurationMs: du.last, avgDurationMs: Math.round(du.sum / du.n), maxDurationMs: du.max } : {}),
        direct: { invocations: d?.invocations ?? 0, records: d?.records ?? 0, failed: d?.failed ?? 0 },
      };
    });
    return { at: now, queues, dlqs, streams, consumers, failures, archives, functions };
  }

  async stop(): Promise<void> {
    this.o.tap.events.off('invocation', this.onDirect);
    this.subscribedTo?.events.off('invocation', this.onReport);
    await Promise.all(this.tails.map((t) => t.stop()));
    this.clients.destroy();
  }
}
