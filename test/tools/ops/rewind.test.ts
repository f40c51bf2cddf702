import * as fs from 'node:fs';
import * as path from 'node:path';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { publishEvents } from '../../../lambdas/shared/producers/publish-events';
import type { KnownEvent } from '../../../lambdas/shared/envelope';
import { LambdaConsumerInvoker } from '../../../tools/ops/consumer-invoker';
import { createOpsClients, type OpsEnvironment } from '../../../tools/ops/resolve-stage';
import { runRewind, type RewindOptions } from '../../../tools/ops/rewind';
import {
  consumers,
  createStream,
  envelopesIn,
  orderPlaced,
  orderShipped,
  startCloud,
  startFakeLambda,
  type Cloud,
  type FixtureHandler,
} from './harness';
import { useForFile } from '../../support/hooks';
import { tempDir } from '../../support/temp';
import { sleep } from '../../support/wait';

let cloud: Cloud;
useForFile(startCloud, (started) => {
  cloud = started;
});
const tmp = tempDir();
afterAll(() => tmp.remove());

const checkpointIn = (name: string): string => path.join(tmp.dir, `${name}.json`);

/** `perKey` events per key (OrderPlaced, then OrderShipped), interleaved across keys. */
function eventsOn(tag: string, keys: number, perKey: number): KnownEvent[] {
  const out: KnownEvent[] = [];
  for (let i = 0; i < perKey; i++)
    for (let k = 0; k < keys; k++) out.push(i === 0 ? orderPlaced(`${tag}-${k}`, new Date()) : orderShipped(`${tag}-${k}`, new Date()));
  return out;
}

interface Setup {
  env: OpsEnvironment;
  stream: string;
  calls: Map<string, KinesisStreamEvent[]>;
  options(extra?: Partial<RewindOptions>): RewindOptions;
  publish(events: readonly KnownEvent[]): Promise<void>;
  /** a point in time between what was published before and what is published after */
  mark(): Promise<Date>;
  stop(): Promise<void>;
}

async function setup(
  handlers: Record<string, FixtureHandler> = { analytics: async () => undefined, payments: async () => undefined },
): Promise<Setup> {
  const stream = await createStream(cloud);
  const lambda = await startFakeLambda(handlers);
  const env = cloud.env({
    eventStreamName: stream,
    eventStreamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
    endpoints: { ...cloud.emulators.endpoints, lambda: lambda.url },
    functions: consumers(...Object.keys(handlers)),
  });
  const clients = createOpsClients(env);
  const invoker = new LambdaConsumerInvoker(env, () => clients.lambda());
  return {
    env,
    stream,
    calls: lambda.calls,
    options: (extra = {}) => ({
      env,
      kinesis: cloud.clients.kinesis,
      invoker,
      consumer: 'analytics',
      from: new Date(0),
      consumerSleep: async () => {},
      ...extra,
    }),
    async publish(events) {
      const report = await publishEvents(events, { client: cloud.clients.kinesis, streamName: stream });
      expect(report.failed).toBe(0);
    },
    async mark() {
      await sleep(30); // arrival times are in milliseconds: keep the two sides apart
      const at = new Date();
      await sleep(30);
      return at;
    },
    stop: async () => {
      clients.destroy();
      await lambda.stop();
    },
  };
}

/** Envelope ids per partition key, in the order given. */
const perKey = (events: readonly KnownEvent[]): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const e of events) {
    out[e.partitionKey] ??= [];
    out[e.partitionKey]!.push(e.id);
  }
  return out;
};

describe('rewind one consumer (kinesalite, a fake Lambda Invoke endpoint)', () => {
  it.each(['TRIM_HORIZON', 'AT_TIMESTAMP'] as const)(
    'from %s: delivers every record since --from once, in per-key order, marked, with the original sequence numbers; nothing before it',
    async (iterator) => {
      const s = await setup();
      try {
        const before = eventsOn('before', 3, 3);
        await s.publish(before);
        const from = await s.mark();
        // 24 events over 12 keys: both shards hold records after --from (kinesalite's AT_TIMESTAMP waits for ever otherwise)
        const since = eventsOn('since', 12, 2);
        await s.publish(since);
        const summary = await runRewind(s.options({ from, iterator, batchSize: 6, checkpointFile: checkpointIn(`order-${iterator}`) }));
        expect({
          read: summary.read,
          delivered: summary.delivered,
          skipped: summary.skipped,
          failed: summary.failed,
          interrupted: summary.interrupted,
        }).toEqual({
          read: since.length,
          delivered: since.length,
          skipped: 0,
          failed: 0,
          interrupted: false,
        });
        expect(summary.passedOver).toBe(iterator === 'TRIM_HORIZON' ? before.length : 0);
        expect(summary.shards).toBe(2);
        const calls = s.calls.get('analytics') ?? [];
        expect(calls.every((c) => c.Records.length <= 6)).toBe(true);
        const got = envelopesIn(calls);
        expect(got.map((e) => e.id).sort()).toEqual(since.map((e) => e.id).sort());
        expect(perKey(got)).toEqual(perKey(since));
        expect(got.every((e) => e.replay?.replayId === summary.rewindId && e.replay.target === 'consumer:analytics')).toBe(true);
        // the envelope is the original, marker aside
        const byId = new Map(since.map((e) => [e.id, e]));
        for (const e of got) {
          const { replay: _marker, ...rest } = e;
          expect(rest).toEqual(byId.get(e.id));
        }
        // real shard ids and sequence numbers, the stream's ARN
        const records = calls.flatMap((c) => c.Records);
        expect(new Set(records.map((r) => r.eventID.split(':')[0]))).toEqual(new Set(['shardId-000000000000', 'shardId-000000000001']));
        expect(records.every((r) => /^\d{20,}$/.test(r.kinesis.sequenceNumber) && r.eventSourceARN === s.env.eventStreamArn)).toBe(true);
      } finally {
        await s.stop();
      }
    },
  );

  it("sends only what the consumer's mapping would deliver: payments (manifest filter) gets OrderPlaced, no OrderShipped, no non-JSON record", async () => {
    const s = await setup();
    try {
      const from = await s.mark();
      const events = eventsOn('filter', 2, 3); // 2 OrderPlaced, 4 OrderShipped
      await s.publish(events);
      await cloud.clients.kinesis.send(new PutRecordCommand({ StreamName: s.stream, PartitionKey: 'raw', Data: Buffer.from('not json') }));
      const summary = await runRewind(s.options({ consumer: 'payments', from, checkpointFile: checkpointIn('filter') }));
      expect({ read: summary.read, delivered: summary.delivered, skipped: summary.skipped, failed: summary.failed }).toEqual({
        read: 7,
        delivered: 2,
        skipped: 5,
        failed: 0,
      });
      expect(summary.byType).toEqual({ OrderPlaced: 2 });
      expect(envelopesIn(s.calls.get('payments')).map((e) => e.type)).toEqual(['OrderPlaced', 'OrderPlaced']);
      expect(s.calls.get('analytics')).toBeUndefined();
    } finally {
      await s.stop();
    }
  });

  it('--to stops earlier: only the records that arrived in [from, to)', async () => {
    const s = await setup();
    try {
      const from = await s.mark();
      const inside = eventsOn('window', 4, 2);
      await s.publish(inside);
      const to = await s.mark();
      await s.publish(eventsOn('after', 4, 2));
      const summary = await runRewind(s.options({ from, to, checkpointFile: checkpointIn('window') }));
      expect({ read: summary.read, delivered: summary.delivered, to: summary.to }).toEqual({
        read: inside.length,
        delivered: inside.length,
        to: to.toISOString(),
      });
      expect(
        envelopesIn(s.calls.get('analytics'))
          .map((e) => e.id)
          .sort(),
      ).toEqual(inside.map((e) => e.id).sort());
    } finally {
      await s.stop();
    }
  });

  it('a dry run counts per type and shard and invokes nothing', async () => {
    const s = await setup();
    try {
      await s.publish(eventsOn('dry-before', 2, 2));
      const from = await s.mark();
      await s.publish(eventsOn('dry', 3, 2));
      const summary = await runRewind(s.options({ from, dryRun: true }));
      expect({
        dryRun: summary.dryRun,
        read: summary.read,
        delivered: summary.delivered,
        skipped: summary.skipped,
        checkpointFile: summary.checkpointFile,
      }).toEqual({
        dryRun: true,
        read: 6,
        delivered: 0,
        skipped: 0,
        checkpointFile: undefined,
      });
      expect(summary.byType).toEqual({ OrderPlaced: 3, OrderShipped: 3 });
      expect(Object.values(summary.byShard).reduce((n, v) => n + v.toDeliver, 0)).toBe(6);
      expect(s.calls.size).toBe(0);
    } finally {
      await s.stop();
    }
  });

  it('refuses a --from in the future, one older than the retention and a --to before --from, with one line each', async () => {
    const s = await setup();
    try {
      const now = new Date();
      await expect(runRewind(s.options({ from: new Date(now.getTime() + 3_600_000) }))).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringMatching(/^--from \S+ is in the future \(now \S+\): a rewind re-reads records the stream already holds$/),
      });
      await expect(runRewind(s.options({ from: new Date(now.getTime() - 25 * 3_600_000) }))).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringMatching(
          /older than the stream's retention \(24 h.*npm run replay -- --from \S+ --to <time> --target consumer:analytics$/,
        ),
      });
      await expect(runRewind(s.options({ from: now, to: new Date(now.getTime() - 1000) }))).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringMatching(/--to .* must be after --from/),
      });
      await expect(runRewind(s.options({ from: now, consumer: 'nope' }))).rejects.toThrow(
        'no consumer named "nope" (known: analytics, payments)',
      );
      expect(s.calls.size).toBe(0);
    } finally {
      await s.stop();
    }
  });

  it('a record that keeps failing is written to the failures file and holds back the later records of its key only', async () => {
    const poisonIds = new Set<string>();
    const s = await setup({
      analytics: async (event): Promise<KinesisStreamBatchResponse> => {
        const failed = event.Records.find((r) =>
          poisonIds.has((JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as KnownEvent).id),
        );
        return { batchItemFailures: failed ? [{ itemIdentifier: failed.kinesis.sequenceNumber }] : [] };
      },
    });
    try {
      const from = await s.mark();
      const events = eventsOn('poison', 3, 3); // keys poison-0..2, 3 events each
      const poison = events.find((e) => e.partitionKey === 'poison-1' && e.type === 'OrderPlaced')!;
      poisonIds.add(poison.id);
      await s.publish(events);
      const file = checkpointIn('poison');
      // one record per invocation: a failed record fails alone (in a larger batch the records after it fail with it,
      // as they do when Lambda's retries of a batch run out)
      const summary = await runRewind(s.options({ from, batchSize: 1, maxRetries: 1, checkpointFile: file }));
      expect({ read: summary.read, delivered: summary.delivered, failed: summary.failed }).toEqual({ read: 9, delivered: 6, failed: 3 });
      expect(summary.failures.map((f) => f.id)).toContain(poison.id);
      expect(summary.failures.filter((f) => f.partitionKey !== 'poison-1')).toEqual([]);
      const lines = fs
        .readFileSync(summary.failuresFile!, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { partitionKey: string; reason: string; data: string });
      expect(lines).toHaveLength(3);
      expect(lines.filter((l) => /^blocked-by-earlier-failure/.test(l.reason))).toHaveLength(2);
      expect(JSON.parse(Buffer.from(lines[0]!.data, 'base64').toString('utf8'))).toMatchObject({ id: poison.id });
      // every other key went through in order
      const delivered = envelopesIn(s.calls.get('analytics')).filter((e) => e.partitionKey !== 'poison-1');
      expect(perKey(delivered)).toEqual(perKey(events.filter((e) => e.partitionKey !== 'poison-1')));
    } finally {
      await s.stop();
    }
  });

  it('resumes an interrupted rewind from its checkpoint: each record delivered once across runs; a third run does nothing', async () => {
    const s = await setup();
    try {
      const from = await s.mark();
      const events = eventsOn('resume', 2, 10); // 20 events
      await s.publish(events);
      const abort = new AbortController();
      const options = s.options({ from, batchSize: 3, checkpointFile: checkpointIn('resume') });
      const stopAfterSix = {
        start() {},
        object() {},
        log() {},
        stop() {},
        update: (c: { sent?: number }) => void ((c.sent ?? 0) >= 6 && abort.abort()),
      };
      const first = await runRewind({ ...options, signal: abort.signal, progress: stopAfterSix });
      expect(first.interrupted).toBe(true);
      expect(first.delivered).toBeGreaterThanOrEqual(6);
      expect(first.delivered).toBeLessThan(20);
      const second = await runRewind(options);
      expect({ resumed: second.resumed, interrupted: second.interrupted, failed: second.failed, rewindId: second.rewindId }).toEqual({
        resumed: true,
        interrupted: false,
        failed: 0,
        rewindId: first.rewindId,
      });
      expect(first.delivered + second.delivered).toBe(20);
      const got = envelopesIn(s.calls.get('analytics'));
      expect(got.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
      expect(perKey(got)).toEqual(perKey(events));
      const third = await runRewind(options);
      expect({ alreadyComplete: third.alreadyComplete, delivered: third.delivered }).toEqual({ alreadyComplete: true, delivered: 0 });
    } finally {
      await s.stop();
    }
  });
});
