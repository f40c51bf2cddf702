import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import type { KnownEvent } from '../../../lambdas/shared/envelope';
import { LambdaConsumerInvoker } from '../../../tools/ops/consumer-invoker';
import { TokenBucket, type Clock } from '../../../tools/ops/rate-limiter';
import { createOpsClients } from '../../../tools/ops/resolve-stage';
import { runReplay } from '../../../tools/ops/replay';
import { parseTarget } from '../../../tools/ops/replay-targets';
import {
  archiveKey,
  consumers,
  createBucket,
  createStream,
  envelopesIn,
  orderPlaced,
  orderShipped,
  putArchiveObject,
  readStream,
  startCloud,
  startFakeLambda,
  type Cloud,
} from './harness';
import { useForFile } from '../../support/hooks';
import { tempDir } from '../../support/temp';

let cloud: Cloud;
useForFile(startCloud, (started) => {
  cloud = started;
});
const tmp = tempDir();
afterAll(() => tmp.remove());

const FROM = new Date('2026-05-01T10:00:00Z');
const TO = new Date('2026-05-01T12:00:00Z');
const minutes = (base: Date, m: number): Date => new Date(base.getTime() + m * 60_000);
const checkpointIn = (name: string): string => path.join(tmp.dir, `${name}.json`);

/**
 * An archive over two hours: `perObject` events per object, keys o-0..o-(keys-1) interleaved, OrderPlaced then
 * OrderShipped per key, plus one event before FROM (in an in-range object) that the occurredAt filter drops.
 */
async function seedArchive(
  bucket: string,
  options: { objects?: number; perObject?: number; keys?: number; sameSecond?: boolean } = {},
): Promise<{ inRange: KnownEvent[]; early: KnownEvent }> {
  const objects = options.objects ?? 4;
  const perObject = options.perObject ?? 10;
  const keys = options.keys ?? 5;
  const inRange: KnownEvent[] = [];
  let n = 0;
  const early = orderPlaced('o-early', minutes(FROM, -3));
  for (let o = 0; o < objects; o++) {
    const objectTime = minutes(FROM, o * 15 + 1); // spans hour=10 and hour=11 (for up to 7 objects)
    const lines: KnownEvent[] = o === 0 ? [early] : [];
    for (let i = 0; i < perObject; i++, n++) {
      const key = `o-${n % keys}`;
      const t = minutes(objectTime, i / 100);
      const event = Math.floor(n / keys) % 2 === 0 ? orderPlaced(key, t) : orderShipped(key, t);
      lines.push(event);
      inRange.push(event);
    }
    // sameSecond: every object named for one second, its random suffix sorting AGAINST write order (as it may)
    const key = options.sameSecond
      ? archiveKey(minutes(FROM, 1)).replace(/-[0-9a-f-]{36}\.gz$/, `-${String.fromCharCode(0x7a - o)}.gz`)
      : undefined;
    await putArchiveObject(cloud, bucket, objectTime, lines, key);
  }
  return { inRange, early };
}

const idsByKey = (events: readonly KnownEvent[]): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const e of events) {
    out[e.partitionKey] ??= [];
    out[e.partitionKey]!.push(e.id);
  }
  return out;
};

describe('replay --target stream (kinesalite)', () => {
  it('re-publishes every event in range once, marked as a replay, with its original id and partition key, in per-key order', async () => {
    const bucket = await createBucket(cloud);
    const stream = await createStream(cloud);
    const { inRange, early } = await seedArchive(bucket);
    const env = cloud.env({ archiveBucket: bucket, eventStreamName: stream });
    const summary = await runReplay({
      env,
      s3: cloud.clients.s3,
      kinesis: cloud.clients.kinesis,
      from: FROM,
      to: TO,
      target: { kind: 'stream' },
      checkpointFile: checkpointIn('stream-1'),
      chunkSize: 7,
    });
    expect(summary).toMatchObject({
      read: inRange.length + 1,
      matched: inRange.length,
      sent: inRange.length,
      failed: 0,
      skipped: 0,
      filteredOut: 1,
      interrupted: false,
    });

    const records = await readStream(cloud, stream, inRange.length);
    expect(records).toHaveLength(inRange.length);
    expect(records.map((r) => r.envelope.id)).not.toContain(early.id);
    const original = new Map(inRange.map((e) => [e.id, e]));
    for (const r of records) {
      const source = original.get(r.envelope.id)!;
      expect(r.partitionKey).toBe(source.partitionKey);
      expect(r.envelope.replay).toEqual({ replayId: summary.replayId, replayedAt: expect.any(String), target: 'stream' });
      const { replay: _marker, ...rest } = r.envelope;
      expect(rest).toEqual(source);
    }
    // one key lives on one shard, and a shard is read in sequence order: compare per-key sequences
    expect(idsByKey(records.map((r) => r.envelope))).toEqual(idsByKey(inRange));
  });

  it('keeps per-key order across objects Firehose wrote in the same second, whose keys sort against write order', async () => {
    const bucket = await createBucket(cloud);
    const stream = await createStream(cloud);
    const { inRange } = await seedArchive(bucket, { objects: 4, perObject: 10, keys: 3, sameSecond: true });
    const env = cloud.env({ archiveBucket: bucket, eventStreamName: stream });
    const summary = await runReplay({
      env,
      s3: cloud.clients.s3,
      kinesis: cloud.clients.kinesis,
      from: FROM,
      to: TO,
      target: { kind: 'stream' },
      checkpointFile: checkpointIn('same-second'),
      chunkSize: 7,
    });
    expect(summary).toMatchObject({ objects: 4, matched: inRange.length, sent: inRange.length, failed: 0 });
    const records = await readStream(cloud, stream, inRange.length);
    expect(idsByKey(records.map((r) => r.envelope))).toEqual(idsByKey(inRange));
  });

  it('skips a corrupt archive line, reports it with key and line, and replays everything else', async () => {
    const bucket = await createBucket(cloud);
    const stream = await createStream(cloud, undefined, 1);
    const good = [orderPlaced('c-1', minutes(FROM, 5)), orderPlaced('c-2', minutes(FROM, 6))];
    const key = await putArchiveObject(cloud, bucket, minutes(FROM, 5), [good[0]!, '{"truncated":', good[1]!]);
    const env = cloud.env({ archiveBucket: bucket, eventStreamName: stream });
    const summary = await runReplay({
      env,
      s3: cloud.clients.s3,
      kinesis: cloud.clients.kinesis,
      from: FROM,
      to: TO,
      target: { kind: 'stream' },
      checkpointFile: checkpointIn('corrupt'),
    });
    expect(summary).toMatchObject({ sent: 2, skipped: 1, failed: 0 });
    expect(summary.issues).toEqual([{ key, line: 2, reason: expect.stringMatching(/^not-json/) }]);
    expect((await readStream(cloud, stream, 2)).map((r) => r.envelope.id)).toEqual(good.map((e) => e.id));
  });

  it('--dry-run counts per type and per hour and sends nothing', async () => {
    const bucket = await createBucket(cloud);
    const stream = await createStream(cloud, undefined, 1);
    const { inRange } = await seedArchive(bucket, { objects: 4, perObject: 10, keys: 5 });
    const env = cloud.env({ archiveBucket: bucket, eventStreamName: stream });
    const summary = await runReplay({
      env,
      s3: cloud.clients.s3,
      kinesis: cloud.clients.kinesis,
      from: FROM,
      to: TO,
      dryRun: true,
      target: { kind: 'stream' },
    });
    const byType: Record<string, number> = {};
    const byHour: Record<string, number> = {};
    for (const e of inRange) {
      byType[e.type] = (byType[e.type] ?? 0) + 1;
      byHour[e.occurredAt.slice(0, 13)] = (byHour[e.occurredAt.slice(0, 13)] ?? 0) + 1;
    }
    expect(summary.counts).toEqual({ byType, byHour });
    expect(summary.sent).toBe(0);
    expect(summary.checkpointFile).toBeUndefined();
    expect(await readStream(cloud, stream, 1, 300)).toEqual([]);
  });

  it('filters by --type and --id', async () => {
    const bucket = await createBucket(cloud);
    const { inRange } = await seedArchive(bucket);
    const env = cloud.env({ archiveBucket: bucket });
    const shipped = await runReplay({ env, s3: cloud.clients.s3, from: FROM, to: TO, dryRun: true, types: ['OrderShipped'] });
    expect(shipped.matched).toBe(inRange.filter((e) => e.type === 'OrderShipped').length);
    const one = await runReplay({ env, s3: cloud.clients.s3, from: FROM, to: TO, dryRun: true, ids: [inRange[3]!.id] });
    expect(one.matched).toBe(1);
  });

  it.each([
    // objects before the checkpoint's object are not read again; its first 10 lines are skipped
    { archive: 'objects in distinct seconds', sameSecond: false, alreadyDone: 10 },
    // one second: its objects are all read again (their order is by content); the first object's 21 lines
    // (the early event + 20) and the checkpoint object's first 10 are skipped
    { archive: 'objects all in one second', sameSecond: true, alreadyDone: 31 },
  ])(
    'an interrupted replay resumes from its checkpoint and sends every event exactly once overall ($archive)',
    async ({ sameSecond, alreadyDone }) => {
      const bucket = await createBucket(cloud);
      const stream = await createStream(cloud);
      const { inRange } = await seedArchive(bucket, { objects: 6, perObject: 20, keys: 7, sameSecond });
      const env = cloud.env({ archiveBucket: bucket, eventStreamName: stream });
      const checkpointFile = checkpointIn(`interrupted-${sameSecond ? 'one-second' : 'seconds'}`);
      const abort = new AbortController();
      const first = await runReplay({
        env,
        s3: cloud.clients.s3,
        kinesis: cloud.clients.kinesis,
        from: FROM,
        to: TO,
        target: { kind: 'stream' },
        checkpointFile,
        chunkSize: 15,
        signal: abort.signal,
        progress: {
          start() {},
          object() {},
          log() {},
          stop() {},
          update: (c) => {
            if ((c.sent ?? 0) >= 30) abort.abort();
          },
        },
      });
      expect(first.interrupted).toBe(true);
      expect(first.sent).toBe(30);
      const cp = JSON.parse(fs.readFileSync(checkpointFile, 'utf8')) as { done: boolean; position: { key: string; line: number } };
      expect(cp.done).toBe(false);

      const second = await runReplay({
        env,
        s3: cloud.clients.s3,
        kinesis: cloud.clients.kinesis,
        from: FROM,
        to: TO,
        target: { kind: 'stream' },
        checkpointFile,
        chunkSize: 15,
      });
      expect(second).toMatchObject({ resumed: true, interrupted: false, replayId: first.replayId, sent: inRange.length - 30, alreadyDone });

      const records = await readStream(cloud, stream, inRange.length);
      const ids = records.map((r) => r.envelope.id);
      expect(ids).toHaveLength(inRange.length);
      expect(new Set(ids).size).toBe(inRange.length);
      expect(idsByKey(records.map((r) => r.envelope))).toEqual(idsByKey(inRange));

      // a third run of the same replay finds it complete and sends nothing
      const third = await runReplay({
        env,
        s3: cloud.clients.s3,
        kinesis: cloud.clients.kinesis,
        from: FROM,
        to: TO,
        target: { kind: 'stream' },
        checkpointFile,
        chunkSize: 15,
      });
      expect(third).toMatchObject({ alreadyComplete: true, sent: 0 });
    },
  );
});

/** A simulated clock: sleeping advances time; nothing waits for real. */
function fakeClock(): Clock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

describe('--rate (token bucket)', () => {
  it('never grants more than burst + rate × elapsed time', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(50, { clock });
    const samples: { t: number; granted: number }[] = [];
    for (const n of [10, 50, 50, 7, 120, 1, 1, 33]) {
      await bucket.take(n);
      samples.push({ t: clock.t, granted: bucket.granted });
    }
    expect(bucket.granted).toBe(272);
    for (const s of samples) expect(s.granted).toBeLessThanOrEqual(bucket.burst + (s.t / 1000) * 50);
    // and it is not slower than needed: 272 tokens at 50/s with a 50-token burst need ≈ 4.44 s
    expect(clock.t).toBeLessThanOrEqual(Math.ceil(((272 - 50) / 50) * 1000) + 10);
  });

  it('a replay with --rate takes one token per record sent and sends no chunk larger than the burst', async () => {
    const bucket = await createBucket(cloud);
    const stream = await createStream(cloud, undefined, 1);
    const { inRange } = await seedArchive(bucket, { objects: 2, perObject: 25, keys: 10 });
    const clock = fakeClock();
    const limiter = new TokenBucket(20, { clock });
    const sizes: number[] = [];
    const kinesis = {
      send: ((c: { input: { Records?: unknown[] } }) => {
        sizes.push(c.input.Records?.length ?? 0);
        return cloud.clients.kinesis.send(c as never);
      }) as typeof cloud.clients.kinesis.send,
    };
    const env = cloud.env({ archiveBucket: bucket, eventStreamName: stream });
    const summary = await runReplay({
      env,
      s3: cloud.clients.s3,
      kinesis,
      from: FROM,
      to: TO,
      target: { kind: 'stream' },
      limiter,
      checkpointFile: checkpointIn('rate'),
    });
    expect(summary.sent).toBe(inRange.length);
    expect(limiter.granted).toBe(inRange.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(20);
    expect(limiter.granted).toBeLessThanOrEqual(limiter.burst + (clock.t / 1000) * 20);
  });
});

describe('replay --target consumer:<name> (direct invocation through a fake Lambda Invoke endpoint)', () => {
  it('parses targets', () => {
    expect(parseTarget('stream')).toEqual({ kind: 'stream' });
    expect(parseTarget('consumer:analytics')).toEqual({ kind: 'consumer', name: 'analytics' });
    expect(() => parseTarget('consumer:')).toThrow(/--target must be/);
  });

  // biome-ignore lint/suspicious/noConfusingVoidType: a fixture handler may return nothing, as a Lambda handler may
  async function consumerSetup(handlers: Record<string, (e: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | void>>) {
    const lambda = await startFakeLambda(handlers);
    const bucket = await createBucket(cloud);
    const env = cloud.env({
      archiveBucket: bucket,
      eventStreamName: 'events',
      eventStreamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/events',
      endpoints: { ...cloud.emulators.endpoints, lambda: lambda.url },
      functions: consumers('analytics', 'notifications'),
    });
    const clients = createOpsClients(env);
    const invoker = new LambdaConsumerInvoker(env, () => clients.lambda());
    return {
      lambda,
      bucket,
      env,
      invoker,
      stop: async () => {
        clients.destroy();
        await lambda.stop();
      },
    };
  }

  it('delivers every event to that consumer only, in batches of its batch size, marked with the consumer target', async () => {
    const ok = async (): Promise<KinesisStreamBatchResponse> => ({ batchItemFailures: [] });
    const s = await consumerSetup({ analytics: ok, notifications: ok });
    try {
      const { inRange } = await seedArchive(s.bucket);
      const summary = await runReplay({
        env: s.env,
        s3: cloud.clients.s3,
        invoker: s.invoker,
        from: FROM,
        to: TO,
        target: { kind: 'consumer', name: 'analytics' },
        batchSize: 6,
        checkpointFile: checkpointIn('consumer-1'),
      });
      expect(summary).toMatchObject({ sent: inRange.length, failed: 0 });
      expect(s.lambda.calls.get('notifications')).toBeUndefined();
      const calls = s.lambda.calls.get('analytics')!;
      expect(Math.max(...calls.map((c) => c.Records.length))).toBeLessThanOrEqual(6);
      const seen = envelopesIn(calls);
      expect(seen.map((e) => e.id)).toEqual(inRange.map((e) => e.id));
      expect(seen.every((e) => e.replay?.target === 'consumer:analytics' && e.replay.replayId === summary.replayId)).toBe(true);
      const record = calls[0]!.Records[0]!;
      expect(record).toMatchObject({
        eventSource: 'aws:kinesis',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/events',
        kinesis: { partitionKey: inRange[0]!.partitionKey },
      });
    } finally {
      await s.stop();
    }
  });

  it('honours a partial batch response: retries from the first reported failure, then delivers the rest', async () => {
    const failOnce = new Set<string>();
    let victim: string | undefined;
    const s = await consumerSetup({
      analytics: async (event) => {
        const envelopes = event.Records.map((r) => JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as KnownEvent);
        const at = envelopes.findIndex((e) => e.id === victim && !failOnce.has(e.id));
        if (at < 0) return { batchItemFailures: [] };
        failOnce.add(victim!);
        // stop-on-first-failure consumers report the failed record and every record after it
        return { batchItemFailures: event.Records.slice(at).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })) };
      },
    });
    try {
      const { inRange } = await seedArchive(s.bucket, { objects: 1, perObject: 10, keys: 3 });
      victim = inRange[3]!.id; // 4th record of the first batch of 5
      const summary = await runReplay({
        env: s.env,
        s3: cloud.clients.s3,
        invoker: s.invoker,
        from: FROM,
        to: TO,
        target: { kind: 'consumer', name: 'analytics' },
        batchSize: 5,
        consumerSleep: async () => {},
        checkpointFile: checkpointIn('consumer-partial'),
      });
      expect(summary).toMatchObject({ sent: 10, failed: 0 });
      const calls = s.lambda.calls.get('analytics')!;
      const ids = (i: number): string[] => envelopesIn([calls[i]!]).map((e) => e.id);
      expect(ids(0)).toEqual(inRange.slice(0, 5).map((e) => e.id));
      expect(ids(1)).toEqual(inRange.slice(3, 5).map((e) => e.id)); // the retry starts at the failed record
      expect(ids(2)).toEqual(inRange.slice(5, 10).map((e) => e.id));
      expect(calls).toHaveLength(3);
    } finally {
      await s.stop();
    }
  });

  it('gives up on a record after the retries, writes it to the failures file, holds back its key, and reports failure', async () => {
    let poison: string | undefined;
    const s = await consumerSetup({
      analytics: async (event) => {
        const at = event.Records.findIndex(
          (r) => (JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as KnownEvent).id === poison,
        );
        if (at >= 0) throw new Error('boom');
      },
    });
    try {
      const { inRange } = await seedArchive(s.bucket, { objects: 1, perObject: 10, keys: 5 });
      poison = inRange[1]!.id; // key o-1, in the first batch (records 0..2 = keys o-0, o-1, o-2)
      const summary = await runReplay({
        env: s.env,
        s3: cloud.clients.s3,
        invoker: s.invoker,
        from: FROM,
        to: TO,
        target: { kind: 'consumer', name: 'analytics' },
        batchSize: 3,
        maxRetries: 2,
        consumerSleep: async () => {},
        checkpointFile: checkpointIn('consumer-poison'),
      });
      // the function error fails the whole first batch 3 times (1 + 2 retries): records 0..2 are given up, and
      // the later records of their keys (5, 6, 7) are held back so no key's order is inverted; o-3 and o-4 go through
      expect(summary).toMatchObject({ failed: 6, sent: 4 });
      const lines = fs
        .readFileSync(summary.failuresFile!, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; reason: string });
      expect(lines.map((l) => l.id)).toEqual([0, 1, 2, 5, 6, 7].map((i) => inRange[i]!.id));
      expect(lines[0]!.reason).toMatch(/undeliverable after 2 retries: function error \(Unhandled\): Error: boom/);
      expect(lines[3]!.reason).toMatch(/^blocked-by-earlier-failure/);
      expect(envelopesIn(s.lambda.calls.get('analytics')!.slice(3)).map((e) => e.id)).toEqual([3, 4, 8, 9].map((i) => inRange[i]!.id));
      expect(
        s.lambda.calls
          .get('analytics')!
          .slice(0, 3)
          .map((c) => c.Records.length),
      ).toEqual([3, 3, 3]);
    } finally {
      await s.stop();
    }
  });

  it('names the known consumers when the target does not exist, and refuses the worker', async () => {
    const s = await consumerSetup({});
    try {
      await expect(
        runReplay({ env: s.env, s3: cloud.clients.s3, invoker: s.invoker, from: FROM, to: TO, target: { kind: 'consumer', name: 'nope' } }),
      ).rejects.toThrow('no consumer named "nope" (known: analytics, notifications)');
      await expect(
        runReplay({
          env: s.env,
          s3: cloud.clients.s3,
          invoker: s.invoker,
          from: FROM,
          to: TO,
          target: { kind: 'consumer', name: 'job-worker' },
        }),
      ).rejects.toThrow(/is a worker, not a stream consumer/);
    } finally {
      await s.stop();
    }
  });
});
