// Test scaffolding for the Lambda service: test/support's emulators with the service's own clients, queues and
// streams shaped as the local cloud's topology, tiny fixture functions.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { localKinesisClient, localS3Client, localSqsClient } from '../../../local/clients';
import type { LocalEndpoints, LocalFunction, LocalQueue, LocalStream, LocalTopology } from '../../../local/types';
import { createActiveStream } from '../../support/aws';
import { startTestEmulators } from '../../support/emulators';

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures');

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

export interface Emulators {
  endpoints: LocalEndpoints;
  sqs: ReturnType<typeof localSqsClient>;
  kinesis: ReturnType<typeof localKinesisClient>;
  s3: ReturnType<typeof localS3Client>;
  stop(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  const emulators = await startTestEmulators();
  const endpoints: LocalEndpoints = { region: REGION, accountId: ACCOUNT, ...emulators.endpoints };
  const clients = {
    sqs: localSqsClient(endpoints, { plumbing: true }),
    kinesis: localKinesisClient(endpoints, { plumbing: true }),
    s3: localS3Client(endpoints, { plumbing: true }),
  };
  return {
    endpoints,
    ...clients,
    async stop() {
      clients.sqs.destroy();
      clients.kinesis.destroy();
      clients.s3.destroy();
      await emulators.stop();
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

export async function createQueue(
  e: Emulators,
  name: string,
  opts: { visibilityTimeoutSeconds?: number; dlq?: LocalQueue; maxReceiveCount?: number } = {},
): Promise<LocalQueue> {
  const visibility = opts.visibilityTimeoutSeconds ?? 30;
  const attributes: Record<string, string> = { VisibilityTimeout: String(visibility) };
  if (opts.dlq)
    attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: opts.dlq.arn, maxReceiveCount: opts.maxReceiveCount ?? 3 });
  const out = await e.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const arn = (await e.sqs.send(new GetQueueAttributesCommand({ QueueUrl: out.QueueUrl!, AttributeNames: ['QueueArn'] }))).Attributes!
    .QueueArn!;
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

export async function createStream(e: Emulators, name: string, shardCount = 1): Promise<LocalStream> {
  await createActiveStream(e.kinesis, name, shardCount);
  return {
    logicalId: name,
    name,
    arn: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`,
    shardCount,
    retentionHours: 24,
    mode: 'PROVISIONED',
  };
}

export async function putEvents(
  e: Emulators,
  stream: LocalStream,
  events: Array<{ id: string; pk: string; action?: string }>,
): Promise<void> {
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

export function emptyTopology(endpoints: LocalEndpoints, parts: Partial<LocalTopology>): LocalTopology {
  return {
    endpoints,
    queues: [],
    streams: [],
    buckets: [],
    functions: [],
    sqsMappings: [],
    kinesisMappings: [],
    deliveryStreams: [],
    ...parts,
  };
}

export function readLines<T = Record<string, unknown>>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}
