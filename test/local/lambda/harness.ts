// Shared test scaffolding for the lambda half: real emulators on 127.0.0.1, tiny fixture functions.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startFauxqsServer, startKinesalite } from '../../../local/emulators';
import { kinesisClient, s3Client, sqsClient } from '../../../local/lambda/clients';
import type { LocalEndpoints, LocalFunction, LocalQueue, LocalStream, LocalTopology } from '../../../local/types';
import { waitFor } from '../../support/wait';

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
// the SDK's Node 20 notice is noise in test output (lambdaEnvironment sets the same switch for functions)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

export interface Emulators {
  endpoints: LocalEndpoints;
  sqs: ReturnType<typeof sqsClient>;
  kinesis: ReturnType<typeof kinesisClient>;
  s3: ReturnType<typeof s3Client>;
  stop(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  // the local cloud's own starters, on OS-chosen ports
  const onFatal = (error: Error): void => console.error(`test emulators: ${error.message}`);
  const fauxqs = await startFauxqsServer(0, onFatal);
  const kinesalite = await startKinesalite(0, onFatal);
  const endpoints: LocalEndpoints = {
    region: REGION,
    accountId: ACCOUNT,
    sqs: `http://127.0.0.1:${fauxqs.port}`,
    s3: `http://127.0.0.1:${fauxqs.port}`,
    kinesis: `http://127.0.0.1:${kinesalite.port}`,
  };
  const clients = { sqs: sqsClient(endpoints), kinesis: kinesisClient(endpoints), s3: s3Client(endpoints) };
  return {
    endpoints,
    ...clients,
    async stop() {
      clients.sqs.destroy();
      clients.kinesis.destroy();
      clients.s3.destroy();
      await fauxqs.stop();
      await kinesalite.stop();
    },
  };
}

export function fixtureFunction(name: string, fixture: string, overrides: Partial<LocalFunction> = {}): LocalFunction {
  return {
    logicalId: `${name}Fn`,
    name,
    arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
    handler: 'index.handler',
    codeDir: path.join(FIXTURES, fixture),
    runtime: 'nodejs20.x',
    timeoutSeconds: 10,
    memoryMb: 128,
    environment: {},
    ...overrides,
  };
}

export async function createQueue(e: Emulators, name: string, opts: { visibilityTimeoutSeconds?: number; dlq?: LocalQueue; maxReceiveCount?: number } = {}): Promise<LocalQueue> {
  const visibility = opts.visibilityTimeoutSeconds ?? 30;
  const attributes: Record<string, string> = { VisibilityTimeout: String(visibility) };
  if (opts.dlq) attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: opts.dlq.arn, maxReceiveCount: opts.maxReceiveCount ?? 3 });
  const out = await e.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const arn = (await e.sqs.send(new GetQueueAttributesCommand({ QueueUrl: out.QueueUrl!, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  return {
    logicalId: name,
    name,
    url: out.QueueUrl!,
    arn,
    visibilityTimeoutSeconds: visibility,
    messageRetentionSeconds: 345600,
    maximumMessageSize: 1048576,
    ...(opts.dlq ? { redrivePolicy: { deadLetterTargetArn: opts.dlq.arn, maxReceiveCount: opts.maxReceiveCount ?? 3 } } : {}),
  };
}

export async function sendJobs(e: Emulators, queue: LocalQueue, bodies: object[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    await e.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: JSON.stringify(b) })),
      }),
    );
  }
}

export async function queueDepth(e: Emulators, queue: LocalQueue): Promise<{ visible: number; inFlight: number }> {
  const a = (await e.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!;
  return { visible: Number(a.ApproximateNumberOfMessages), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible) };
}

export async function createStream(e: Emulators, name: string, shardCount = 1): Promise<LocalStream> {
  await e.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  await waitFor(`stream ${name} active`, async () => (await e.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary?.StreamStatus === 'ACTIVE', { timeoutMs: 10_000 });
  return { logicalId: name, name, arn: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`, shardCount, retentionHours: 24, mode: 'PROVISIONED' };
}

export async function putEvents(e: Emulators, stream: LocalStream, events: Array<{ id: string; pk: string; action?: string }>): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const out = await e.kinesis.send(
      new PutRecordsCommand({
        StreamName: stream.name,
        Records: events.slice(i, i + 500).map((ev) => ({ PartitionKey: ev.pk, Data: Buffer.from(JSON.stringify(ev)) })),
      }),
    );
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
  }
}

export async function createBucket(e: Emulators, name: string): Promise<void> {
  await e.s3.send(new CreateBucketCommand({ Bucket: name }));
}

export async function listKeys(e: Emulators, bucket: string): Promise<string[]> {
  const out = await e.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((c) => c.Key!).sort();
}

export async function getObject(e: Emulators, bucket: string, key: string): Promise<Buffer> {
  const out = await e.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

export function emptyTopology(endpoints: LocalEndpoints, parts: Partial<LocalTopology>): LocalTopology {
  return { endpoints, queues: [], streams: [], buckets: [], functions: [], sqsMappings: [], kinesisMappings: [], deliveryStreams: [], ...parts };
}

export function readLines<T = Record<string, unknown>>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

