// Test scaffolding for the operator tools: test/support's emulators with the tools' own clients, a fake Lambda
// Invoke endpoint, archive and event factories.
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { newEvent, type KnownEvent } from '../../../lambdas/shared/envelope';
import { hourPrefix } from '../../../tools/ops/archive-reader';
import { createOpsClients, type LocalFunctionRef, type OpsClients, type OpsEnvironment } from '../../../tools/ops/resolve-stage';
import { createActiveStream } from '../../support/aws';
import { startTestEmulators, type TestEmulators } from '../../support/emulators';

export interface Cloud {
  emulators: TestEmulators;
  clients: OpsClients;
  /** a fresh environment (own bucket / stream / queues) per call, so tests never share state */
  env(overrides?: Partial<OpsEnvironment>): OpsEnvironment;
  stop(): Promise<void>;
}

export async function startCloud(): Promise<Cloud> {
  const emulators = await startTestEmulators();
  const base: OpsEnvironment = {
    kind: 'local',
    label: 'local',
    region: 'us-east-1',
    endpoints: { ...emulators.endpoints },
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const clients = createOpsClients(base);
  return {
    emulators,
    clients,
    env: (overrides = {}) => ({ ...base, ...overrides }),
    async stop() {
      clients.destroy();
      await emulators.stop();
    },
  };
}

let counter = 0;
export const unique = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;

export async function createBucket(cloud: Cloud, name = unique('bucket')): Promise<string> {
  await cloud.clients.s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

export async function createStream(cloud: Cloud, name = unique('stream'), shards = 2): Promise<string> {
  await createActiveStream(cloud.clients.kinesis, name, shards);
  return name;
}

/** jobs queue with a RedrivePolicy to its DLQ, as the template declares them */
export async function createQueues(cloud: Cloud): Promise<{ jobQueueUrl: string; jobDlqUrl: string }> {
  const dlq = await cloud.clients.sqs.send(new CreateQueueCommand({ QueueName: unique('jobs-dlq') }));
  const dlqArn = (await cloud.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] })))
    .Attributes!['QueueArn']!;
  const q = await cloud.clients.sqs.send(
    new CreateQueueCommand({
      QueueName: unique('jobs'),
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) },
    }),
  );
  return { jobQueueUrl: q.QueueUrl!, jobDlqUrl: dlq.QueueUrl! };
}

// ---- events and the archive ------------------------------------------------------------------------------

export function orderPlaced(orderId: string, occurredAt: Date, extra: { id?: string } = {}): KnownEvent {
  return newEvent(
    'OrderPlaced',
    {
      orderId,
      customerEmail: 'ada@example.com',
      items: [{ sku: 'SKU-1', quantity: 1, unitPriceCents: 1250 }],
      totalCents: 1250,
      currency: 'EUR',
    },
    { partitionKey: orderId, occurredAt, ...(extra.id ? { id: extra.id } : {}) },
  );
}

export function orderShipped(orderId: string, occurredAt: Date): KnownEvent {
  return newEvent(
    'OrderShipped',
    { orderId, customerEmail: 'ada@example.com', carrier: 'DHL', trackingNumber: `T-${orderId}` },
    { partitionKey: orderId, occurredAt },
  );
}

/** The Firehose object name: `<prefix>year=…/hour=HH/<stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid>.gz` for `at`. */
export function archiveKey(at: Date, deliveryStream = 'archive'): string {
  const t = at.toISOString();
  const stamp = `${t.slice(0, 10)}-${t.slice(11, 13)}-${t.slice(14, 16)}-${t.slice(17, 19)}`;
  return `${hourPrefix(at)}${deliveryStream}-1-${stamp}-${randomUUID()}.gz`;
}

/** Writes one archive object (GZIP NDJSON, each line followed by the delimiter, as Firehose does). */
export async function putArchiveObject(
  cloud: Cloud,
  bucket: string,
  at: Date,
  lines: readonly (KnownEvent | string)[],
  key = archiveKey(at),
): Promise<string> {
  const text = lines.map((l) => `${typeof l === 'string' ? l : JSON.stringify(l)}\n`).join('');
  await cloud.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(text) }));
  return key;
}

export async function putRawObject(cloud: Cloud, bucket: string, key: string, body: Buffer | string): Promise<void> {
  await cloud.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Every record in the stream (all shards, from TRIM_HORIZON), waiting until `expected` are there. */
export async function readStream(
  cloud: Cloud,
  stream: string,
  expected: number,
  timeoutMs = 20_000,
): Promise<{ partitionKey: string; envelope: KnownEvent; shardId: string }[]> {
  const k = cloud.clients.kinesis;
  const shards = (await k.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  const iterators = new Map<string, string | undefined>();
  for (const s of shards) {
    iterators.set(
      s.ShardId!,
      (await k.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: s.ShardId!, ShardIteratorType: 'TRIM_HORIZON' })))
        .ShardIterator,
    );
  }
  const records: { partitionKey: string; envelope: KnownEvent; shardId: string }[] = [];
  const deadline = Date.now() + timeoutMs;
  while (records.length < expected && Date.now() < deadline) {
    let got = 0;
    for (const [shardId, iterator] of iterators) {
      if (!iterator) continue;
      const out = await k.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      iterators.set(shardId, out.NextShardIterator);
      for (const r of out.Records ?? []) {
        records.push({ partitionKey: r.PartitionKey!, envelope: JSON.parse(Buffer.from(r.Data!).toString('utf8')) as KnownEvent, shardId });
        got++;
      }
    }
    if (got === 0 && records.length < expected) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return records;
}

/** Drains a queue (long visibility so nothing comes back), returning every message once. */
export async function drainQueue(cloud: Cloud, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  let empty = 0;
  while (empty < 2) {
    const out = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 300,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    const got = out.Messages ?? [];
    if (got.length === 0) empty++;
    else {
      empty = 0;
      all.push(...got);
    }
  }
  return all;
}

// ---- a fake Lambda Invoke endpoint (POST /2015-03-31/functions/{FunctionName}/invocations) ---------------------

// biome-ignore lint/suspicious/noConfusingVoidType: a fixture handler may return nothing, as a Lambda handler may
export type FixtureHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | void>;

export interface FakeLambda {
  url: string;
  /** every event each function received, in order */
  calls: Map<string, KinesisStreamEvent[]>;
  stop(): Promise<void>;
}

export async function startFakeLambda(handlers: Record<string, FixtureHandler>): Promise<FakeLambda> {
  const calls = new Map<string, KinesisStreamEvent[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(req.url ?? '');
      const name = m ? decodeURIComponent(m[1]!) : '';
      const handler = handlers[name];
      if (req.method !== 'POST' || !handler) {
        res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
        res.end(JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }));
        return;
      }
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as KinesisStreamEvent;
      calls.set(name, [...(calls.get(name) ?? []), event]);
      handler(event).then(
        (result) => {
          res.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
          res.end(result === undefined ? 'null' : JSON.stringify(result));
        },
        (error: Error) => {
          res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
          res.end(JSON.stringify({ errorType: error.name, errorMessage: error.message }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, calls, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

export const consumers = (...names: string[]): LocalFunctionRef[] => [
  ...names.map((name) => ({ logicalId: `${name}Fn`, name, role: 'consumer' })),
  { logicalId: 'WorkerFn', name: 'job-worker', role: 'worker' },
];

/** Envelopes a fixture function saw, decoded from the Kinesis-shaped events. */
export const envelopesIn = (events: readonly KinesisStreamEvent[] | undefined): KnownEvent[] =>
  (events ?? []).flatMap((e) => e.Records.map((r) => JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as KnownEvent));
