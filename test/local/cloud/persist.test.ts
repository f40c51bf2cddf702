// `npm start -- --persist`: the emulators keep their state on disk, the stream readers their positions, so a
// restart of the whole local cloud loses nothing and delivers nothing twice; without it, state is in memory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { CreateTableCommand, DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createLocalClients, type LocalClients } from '../../../local/clients';
import { persistPaths, startEmulators } from '../../../local/emulators';
import type { LocalCloud } from '../../../local/index';
import { loadPositions, persistDirOf, savePositions } from '../../../local/persistence';
import { formatBanner, formatPersistence } from '../../../local/status';
import type { InvocationReport } from '../../../local/types';
import { startFixtureCloud } from './helpers';
import { tempDir } from '../../support/temp';
import { eventually, sleep } from '../../support/wait';

/** the bounded wait of this file: 20 s, every 50 ms */
const until = <T>(what: string, observe: () => Promise<T> | T, ok: (v: T) => boolean): Promise<T> =>
  eventually(what, observe, ok, { timeoutMs: 20_000, intervalMs: 50 });

describe('emulators with a persist directory', () => {
  it('find their queues and messages, streams and records, buckets and objects, tables and items again after a restart', async () => {
    const tmp = tempDir('persist-emu-');
    const dir = path.join(tmp.dir, 'state');
    try {
      let emus = await startEmulators({ ports: { sqs: 0, kinesis: 0, dynamodb: 0 }, kinesis: 'kinesalite', persistDir: dir });
      let c = createLocalClients(emus.endpoints);
      const { QueueUrl } = await c.sqs.send(new CreateQueueCommand({ QueueName: 'kept-queue' }));
      await c.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'kept message' }));
      await c.kinesis.send(new CreateStreamCommand({ StreamName: 'kept-stream', ShardCount: 1 }));
      await until(
        'the stream to be active',
        () => c.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'kept-stream' })),
        (d) => d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE',
      );
      const put = await c.kinesis.send(
        new PutRecordCommand({ StreamName: 'kept-stream', PartitionKey: 'k', Data: Buffer.from('kept record') }),
      );
      await c.s3.send(new CreateBucketCommand({ Bucket: 'kept-bucket' }));
      await c.s3.send(new PutObjectCommand({ Bucket: 'kept-bucket', Key: 'a/b.json', Body: 'kept object' }));
      await c.dynamodb!.send(
        new CreateTableCommand({
          TableName: 'kept-table',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      await until(
        'the table to be active',
        () => c.dynamodb!.send(new DescribeTableCommand({ TableName: 'kept-table' })),
        (d) => d.Table?.TableStatus === 'ACTIVE',
      );
      await c.dynamodb!.send(new PutItemCommand({ TableName: 'kept-table', Item: { id: { S: 'job-1' }, status: { S: 'COMPLETED' } } }));
      expect(emus.persistDir).toBe(path.resolve(dir));
      const ports = emus.ports;
      c.destroy();
      await emus.stop();
      for (const d of Object.values(persistPaths(dir)))
        if (!d.endsWith('kinesis-local')) expect(fs.readdirSync(d).length, d).toBeGreaterThan(0);

      emus = await startEmulators({ ports, kinesis: 'kinesalite', persistDir: dir });
      c = createLocalClients(emus.endpoints);
      try {
        // CreateQueue of an existing queue returns it (its URL as fauxqs keeps it), with its message
        const again = await c.sqs.send(new CreateQueueCommand({ QueueName: 'kept-queue' }));
        expect(again.QueueUrl).toBe(QueueUrl);
        const got = await c.sqs.send(new ReceiveMessageCommand({ QueueUrl: again.QueueUrl, WaitTimeSeconds: 0 }));
        expect(got.Messages?.map((m) => m.Body)).toEqual(['kept message']);
        const it0 = await c.kinesis.send(
          new GetShardIteratorCommand({ StreamName: 'kept-stream', ShardId: put.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        const recs = await c.kinesis.send(new GetRecordsCommand({ ShardIterator: it0.ShardIterator }));
        expect(recs.Records?.map((r) => [r.SequenceNumber, Buffer.from(r.Data!).toString()])).toEqual([
          [put.SequenceNumber, 'kept record'],
        ]);
        const obj = await c.s3.send(new GetObjectCommand({ Bucket: 'kept-bucket', Key: 'a/b.json' }));
        expect(await obj.Body!.transformToString()).toBe('kept object');
        const item = await c.dynamodb!.send(new GetItemCommand({ TableName: 'kept-table', Key: { id: { S: 'job-1' } } }));
        expect(item.Item?.status?.S).toBe('COMPLETED');
      } finally {
        c.destroy();
        await emus.stop();
      }

      // without a persist directory: in memory, empty
      emus = await startEmulators({ ports, kinesis: 'kinesalite' });
      c = createLocalClients(emus.endpoints);
      try {
        expect(emus.persistDir).toBeUndefined();
        await expect(c.kinesis.send(new ListShardsCommand({ StreamName: 'kept-stream' }))).rejects.toThrow(/not found|does not exist/i);
      } finally {
        c.destroy();
        await emus.stop();
      }
    } finally {
      tmp.remove();
    }
  });
});

describe('positions file', () => {
  it('keeps an old position for a mapping or shard that made no progress, and ignores what is not a sequence number', () => {
    const tmp = tempDir('persist-pos-');
    try {
      expect(loadPositions(tmp.dir)).toBeUndefined();
      const first = savePositions(tmp.dir, undefined, {
        mappings: { A: { 'shardId-000000000000': '100', 'shardId-000000000001': undefined } },
        firehose: { fh: { 'shardId-000000000000': '90' } },
      });
      expect(first.mappings).toEqual({ A: { 'shardId-000000000000': '100' } });
      const loaded = loadPositions(tmp.dir)!;
      expect(loaded.firehose).toEqual({ fh: { 'shardId-000000000000': '90' } });
      savePositions(tmp.dir, loaded, {
        mappings: { A: { 'shardId-000000000000': undefined, 'shardId-000000000001': '7' }, B: {} },
        firehose: {},
      });
      expect(loadPositions(tmp.dir)!.mappings).toEqual({ A: { 'shardId-000000000000': '100', 'shardId-000000000001': '7' }, B: {} });
      fs.writeFileSync(
        path.join(tmp.dir, 'positions.json'),
        JSON.stringify({ version: 1, mappings: { A: { s: 'x1', t: '12' } }, firehose: {} }),
      );
      expect(loadPositions(tmp.dir)!.mappings).toEqual({ A: { t: '12' } });
      fs.writeFileSync(path.join(tmp.dir, 'positions.json'), '{not json');
      expect(loadPositions(tmp.dir)).toBeUndefined();
    } finally {
      tmp.remove();
    }
  });
});

describe('startLocalCloud with persist', () => {
  it('a restart keeps the queued message, the stream, the archive and every consumer position: nothing lost, nothing delivered or archived twice', async () => {
    const tmp = tempDir('persist-cloud-');
    const reports: InvocationReport[] = [];
    const start = (persist: boolean): Promise<LocalCloud> =>
      startFixtureCloud(tmp.dir, { timeScale: 0.01, persist, onInvocation: (r) => reports.push(r) });
    const delivered = (fn: string): string[] =>
      reports.filter((r) => r.functionName === fn && r.source === 'kinesis').flatMap((r) => r.recordIds);
    const archived = async (clients: LocalClients, cloud: LocalCloud): Promise<string[]> => {
      const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: cloud.roles.archive!.name }));
      const lines: string[] = [];
      for (const o of listed.Contents ?? []) {
        const body = Buffer.from(
          await (
            await clients.s3.send(new GetObjectCommand({ Bucket: cloud.roles.archive!.name, Key: o.Key! }))
          ).Body!.transformToByteArray(),
        );
        lines.push(...zlib.gunzipSync(body).toString('utf8').split('\n').filter(Boolean));
      }
      return lines.sort();
    };
    let cloud = await start(true);
    let clients = createLocalClients(cloud.topology.endpoints);
    try {
      expect(cloud.persistence).toEqual({ mode: 'disk', dir: persistDirOf(tmp.dir), resumed: false });
      const consumers = cloud.topology.kinesisMappings.map(
        (m) => cloud.topology.functions.find((f) => f.logicalId === m.functionLogicalId)!.name,
      );
      expect(consumers.length).toBeGreaterThan(0);
      const stream = cloud.roles.events!.name;
      for (const n of [1, 2, 3])
        await clients.kinesis.send(
          new PutRecordCommand({
            StreamName: stream,
            PartitionKey: `k${n}`,
            Data: Buffer.from(JSON.stringify({ type: 'OrderPlaced', n })),
          }),
        );
      // nobody reads the DLQ: a message there must survive the restart as it is
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: cloud.roles.jobsDlq!.url, MessageBody: 'dead job' }));
      for (const c of consumers)
        await until(
          `${c} to process the three records`,
          () => delivered(c).length,
          (n) => n >= 3,
        );
      await until(
        'the archive to hold the three records',
        async () => {
          await cloud.firehose!.flush();
          return (await archived(clients, cloud)).length;
        },
        (n) => n >= 3,
      );
      const before = Object.fromEntries(consumers.map((c) => [c, delivered(c).length]));
      clients.destroy();
      await cloud.stop();
      const saved = loadPositions(persistDirOf(tmp.dir))!;
      for (const m of cloud.topology.kinesisMappings)
        expect(Object.values(saved.mappings[m.logicalId] ?? {}).length, m.logicalId).toBeGreaterThan(0);

      // restarted with persist: the same state, and every reader resumes where it was
      reports.length = 0;
      cloud = await start(true);
      clients = createLocalClients(cloud.topology.endpoints);
      expect(cloud.persistence).toEqual({ mode: 'disk', dir: persistDirOf(tmp.dir), resumed: true });
      expect(formatBanner(cloud).find((l) => l.startsWith('  State'))).toMatch(
        /on disk under .*state \(--persist\).*restored from the last run/,
      );
      // the banner names the Node each function runs on (the major its Runtime names, when installed here)
      const banner = formatBanner(cloud);
      for (const f of cloud.topology.functions) {
        const node = cloud.nodes[f.name]!;
        expect(node.execPath).toBeTruthy();
        const line = banner.find((l) => l.startsWith(`    ${f.name}`) && l.includes(f.runtime));
        expect(line, f.name).toContain(
          `${f.runtime} on Node ${node.version}${node.matched ? ',' : ` (no Node ${node.wanted} installed here),`}`,
        );
      }
      const dead = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: cloud.roles.jobsDlq!.url, WaitTimeSeconds: 0 }));
      expect(dead.Messages?.map((m) => m.Body)).toEqual(['dead job']);
      await clients.kinesis.send(
        new PutRecordCommand({ StreamName: stream, PartitionKey: 'k4', Data: Buffer.from(JSON.stringify({ type: 'OrderPlaced', n: 4 })) }),
      );
      for (const c of consumers)
        await until(
          `${c} to process the new record`,
          () => delivered(c).length,
          (n) => n >= 1,
        );
      await until(
        'the archive to hold the fourth record',
        async () => {
          await cloud.firehose!.flush();
          return (await archived(clients, cloud)).length;
        },
        (n) => n >= 4,
      );
      await sleep(500); // a reader that started over would deliver the old records again by now
      for (const c of consumers) expect(delivered(c), `${c} after the restart`).toHaveLength(1);
      expect(before).toEqual(Object.fromEntries(consumers.map((c) => [c, 3])));
      expect(await archived(clients, cloud)).toEqual([1, 2, 3, 4].map((n) => JSON.stringify({ type: 'OrderPlaced', n })));
      clients.destroy();
      await cloud.stop();

      // restarted without persist: in memory, nothing of the above
      cloud = await start(false);
      clients = createLocalClients(cloud.topology.endpoints);
      expect(cloud.persistence).toEqual({ mode: 'memory' });
      expect(formatBanner(cloud).find((l) => l.startsWith('  State'))).toBe(`  State     ${formatPersistence({ mode: 'memory' })}`);
      expect(
        (await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: cloud.roles.jobsDlq!.url, WaitTimeSeconds: 0 }))).Messages ?? [],
      ).toEqual([]);
      expect(await archived(clients, cloud)).toEqual([]);
    } finally {
      clients.destroy();
      await cloud.stop();
      tmp.remove();
    }
  });
});
