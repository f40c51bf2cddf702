import { CONSUMERS, consumerNames, isConsumerName } from '../../../lambdas/consumers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { DescribeTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { loadAssembly } from '../../../local/assembly';
import { createLocalClients, type LocalClients } from '../../../local/clients';
import { startEmulators, type RunningEmulators } from '../../../local/emulators';
import { provision, type ProvisionResult } from '../../../local/provision';
import { stableBucketName } from '../../../local/provision/s3-bucket';
import { fixture, unknownTypeAssembly, writeAssembly } from './helpers';
import { tempDir } from '../../support/temp';

// Real fauxqs + kinesalite on 127.0.0.1, any free ports; each describe starts and stops its own.
async function withEmulators(): Promise<{ emulators: RunningEmulators; clients: LocalClients; stop: () => Promise<void> }> {
  const emulators = await startEmulators({ ports: { sqs: 0, kinesis: 0 }, kinesis: 'kinesalite' });
  const clients = createLocalClients(emulators.endpoints);
  return {
    emulators,
    clients,
    stop: async () => {
      clients.destroy();
      await emulators.stop();
    },
  };
}

describe('provisioning a CDK-synthesized two-stack assembly (weak cross-stack references)', () => {
  let env: Awaited<ReturnType<typeof withEmulators>>;
  let result: ProvisionResult;
  beforeAll(async () => {
    env = await withEmulators();
    result = await provision({
      assembly: loadAssembly(fixture('two-stacks-weak')),
      endpoints: env.emulators.endpoints,
      kinesis: env.emulators.kinesis,
    });
  });
  afterAll(() => env?.stop());

  it('creates the queue with the template attributes and a redrive policy to the DLQ', async () => {
    const jobs = result.topology.queues.find((q) => q.logicalId === 'JobQueueEE3AD499')!;
    const dlq = result.topology.queues.find((q) => q.logicalId === 'JobDlq229B5977')!;
    const attrs = (await env.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: jobs.url, AttributeNames: ['All'] }))).Attributes!;
    expect(attrs.VisibilityTimeout).toBe('180');
    expect(attrs.ReceiveMessageWaitTimeSeconds).toBe('20');
    expect(JSON.parse(attrs.RedrivePolicy!)).toEqual({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 });
    const dlqAttrs = (
      await env.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.url, AttributeNames: ['MessageRetentionPeriod'] }))
    ).Attributes!;
    expect(dlqAttrs.MessageRetentionPeriod).toBe('1209600');
    expect(jobs.redrivePolicy).toEqual({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 });
  });

  it('creates the stream with its shard count and the buckets with stable, valid names', async () => {
    const stream = result.topology.streams[0];
    const s = (await env.clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream.name }))).StreamDescriptionSummary!;
    expect(s.OpenShardCount).toBe(2);
    expect(stream).toMatchObject({ shardCount: 2, retentionHours: 24, mode: 'PROVISIONED', arn: s.StreamARN });
    expect(result.topology.buckets.map((b) => b.name)).toEqual([
      'fix-dev-stateful-archivebucket9decbf5d',
      'fix-dev-stateful-failurebucket1db25638',
    ]);
    for (const b of result.topology.buckets)
      await expect(env.clients.s3.send(new HeadBucketCommand({ Bucket: b.name }))).resolves.toBeDefined();
  });

  it('extracts functions with handler, asset folder, tags, timeout/memory (defaults 3 s / 128 MB) and resolved environment', () => {
    const worker = result.topology.functions.find((f) => f.name === 'job-worker')!;
    const dlq = result.topology.queues.find((q) => q.logicalId === 'JobDlq229B5977')!;
    expect(worker).toMatchObject({ role: 'worker', handler: 'index.handler', runtime: 'nodejs22.x', timeoutSeconds: 30, memoryMb: 256 });
    expect(worker.environment).toEqual({ POWERTOOLS_SERVICE_NAME: 'job-worker', DLQ_URL: dlq.url });
    expect(fs.existsSync(path.join(worker.codeDir, 'index.js'))).toBe(true);
    const notifications = result.topology.functions.find((f) => f.name === 'notifications')!;
    expect(notifications).toMatchObject({ role: 'consumer', timeoutSeconds: 3, memoryMb: 128 });
    expect(notifications.environment.JOB_QUEUE_URL).toBe(result.roles.jobs!.url);
    expect(result.topology.functions.map((f) => f.logicalId)).not.toContain(
      'CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F',
    );
  });

  it('extracts event source mappings with every template setting', () => {
    expect(result.topology.sqsMappings).toEqual([
      expect.objectContaining({
        functionLogicalId: 'JobWorker32771B8D',
        batchSize: 5,
        maximumBatchingWindowSeconds: 1,
        reportBatchItemFailures: true,
        maximumConcurrency: 4,
        enabled: true,
      }),
    ]);
    const payments = result.topology.kinesisMappings.find((m) => m.functionLogicalId === 'paymentsConsumer7784A8D6')!;
    expect(payments).toMatchObject({
      batchSize: 50,
      startingPosition: 'TRIM_HORIZON',
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 2,
      maximumRecordAgeInSeconds: 3600,
      parallelizationFactor: 2,
      reportBatchItemFailures: true,
      onFailure: { kind: 's3', bucketName: 'fix-dev-stateful-failurebucket1db25638' },
      filterCriteria: { Filters: [{ Pattern: '{"data":{"type":["OrderPlaced"]}}' }] },
    });
  });

  it('extracts the Firehose delivery stream and maps the well-known roles from the mappings', () => {
    expect(result.topology.deliveryStreams).toEqual([
      expect.objectContaining({
        prefix: 'events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/',
        bufferingIntervalSeconds: 60,
        bufferingSizeMiB: 5,
        compression: 'GZIP',
        appendDelimiter: true,
        delimiter: '\n',
      }),
    ]);
    expect(result.roles.jobs?.logicalId).toBe('JobQueueEE3AD499');
    expect(result.roles.jobsDlq?.logicalId).toBe('JobDlq229B5977');
    expect(result.roles.events?.logicalId).toBe('EventStream271A91DB');
    expect(result.roles.archive?.logicalId).toBe('ArchiveBucket9DECBF5D');
    expect(result.roles.failures?.logicalId).toBe('FailureBucket1DB25638');
  });
});

describe('provisioning hand-written assemblies', () => {
  let env: Awaited<ReturnType<typeof withEmulators>>;
  const tmp = tempDir();
  beforeAll(async () => {
    env = await withEmulators();
  });
  afterAll(async () => {
    await env?.stop();
    tmp.remove();
  });

  it('resolves Fn::ImportValue across stacks (strong references)', async () => {
    const r = await provision({
      assembly: loadAssembly(fixture('two-stacks-strong')),
      endpoints: env.emulators.endpoints,
      kinesis: env.emulators.kinesis,
    });
    const worker = r.topology.functions.find((f) => f.name === 'job-worker')!;
    expect(worker.environment.DLQ_URL).toBe(r.roles.jobsDlq!.url);
    expect(r.topology.sqsMappings[0].queue.logicalId).toBe('JobQueueEE3AD499');
  });

  it('applies Lambda defaults, ON_DEMAND → 4 shards, consumers, SQS on-failure destinations and Firehose defaults', async () => {
    const r = await provision({
      assembly: loadAssembly(fixture('kitchen-sink')),
      endpoints: env.emulators.endpoints,
      kinesis: env.emulators.kinesis,
      stateDir: tmp.dir,
    });
    const t = r.topology;
    expect(t.queues.map((q) => q.logicalId)).toEqual(['Dlq', 'Jobs']); // condition IsProd false: no ProdOnlyQueue; DLQ first
    expect(t.queues[1]).toMatchObject({
      visibilityTimeoutSeconds: 60,
      maximumMessageSize: 262144,
      redrivePolicy: { maxReceiveCount: 2, deadLetterTargetArn: t.queues[0].arn },
    });
    expect(t.streams[0]).toMatchObject({ mode: 'ON_DEMAND', shardCount: 4, retentionHours: 48 });
    expect(r.notes.join('\n')).toMatch(/ON_DEMAND → 4 provisioned shards/);
    expect(r.notes.join('\n')).toMatch(/stream consumer fast-reader: kinesalite has no enhanced fan-out/);
    expect(t.sqsMappings[0]).toEqual(
      expect.objectContaining({ batchSize: 10, maximumBatchingWindowSeconds: 0, reportBatchItemFailures: false, enabled: true }),
    );
    expect(t.sqsMappings[0]).not.toHaveProperty('maximumConcurrency');
    const consumer = t.kinesisMappings.find((m) => m.logicalId === 'ConsumerMapping')!;
    expect(consumer).toMatchObject({
      batchSize: 100,
      maximumBatchingWindowSeconds: 0,
      startingPosition: 'AT_TIMESTAMP',
      startingPositionTimestamp: 1700000000,
      bisectBatchOnFunctionError: false,
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: -1,
      parallelizationFactor: 1,
      reportBatchItemFailures: false,
      tumblingWindowInSeconds: 30,
      enabled: false,
      onFailure: { kind: 'sqs', queueUrl: t.queues[0].url },
    });
    const fanout = t.kinesisMappings.find((m) => m.logicalId === 'FanoutMapping')!;
    expect(fanout).toMatchObject({ streamConsumerName: 'fast-reader', startingPosition: 'LATEST', onFailure: { kind: 's3' } });
    expect(t.deliveryStreams[0]).toMatchObject({
      bufferingIntervalSeconds: 300,
      bufferingSizeMiB: 5,
      compression: 'UNCOMPRESSED',
      appendDelimiter: false,
      prefix: '',
    });
    const worker = t.functions.find((f) => f.logicalId === 'Worker')!;
    expect(worker.environment).toMatchObject({
      QUEUE_NAME: 'KitchenSink-Jobs',
      SUB_STRING: `KitchenSink/kitchensink-archive/arn:aws:s3:::kitchensink-archive/\${Literal}`,
      SUB_VARS: 'KitchenSink-Events@us-east-1:000000000000:aws.amazonaws.com',
      JOINED: 'dev|kitchensink-archive.s3.amazonaws.com|kitchensink-archive.s3.us-east-1.amazonaws.com',
      SELECTED: 'b',
      IF: 'dev-value',
      CONSUMER: expect.stringContaining('/consumer/fast-reader'),
    });
    expect(worker.environment).not.toHaveProperty('NOVALUE');
    const consumerFn = t.functions.find((f) => f.logicalId === 'Consumer')!;
    expect(consumerFn).toMatchObject({ name: 'Consumer', handler: 'main.run', timeoutSeconds: 10, memoryMb: 512 });
    expect(consumerFn).not.toHaveProperty('role');
    const inline = t.functions.find((f) => f.logicalId === 'Inline')!;
    expect(fs.readFileSync(path.join(inline.codeDir, 'index.js'), 'utf8')).toContain("'inline'");
    expect(t.functions.map((f) => f.logicalId)).not.toContain('AutoDeleteProvider');
    expect(t.functions.map((f) => f.logicalId)).not.toContain('EntrypointProvider');
    expect(r.notEmulated.map((n) => n.type)).toEqual(
      expect.arrayContaining([
        'AWS::SNS::Topic',
        'AWS::IAM::Role',
        'Custom::S3AutoDeleteObjects',
        'AWS::Lambda::Permission',
        'AWS::CDK::Metadata',
      ]),
    );
  });

  it('refuses an unknown resource type, naming it, unless allowUnsupported', async () => {
    const tmp = tempDir();
    try {
      const assembly = loadAssembly(unknownTypeAssembly(tmp.dir));
      await expect(provision({ assembly, endpoints: env.emulators.endpoints, kinesis: env.emulators.kinesis })).rejects.toThrow(
        /unsupported: AWS::AppSync::GraphQLApi Unknown\/Api/,
      );
      const r = await provision({ assembly, endpoints: env.emulators.endpoints, kinesis: env.emulators.kinesis, allowUnsupported: true });
      expect(r.warnings).toEqual([expect.stringMatching(/AWS::AppSync::GraphQLApi Unknown\/Api/)]);
      expect(r.topology.queues).toHaveLength(1);
    } finally {
      tmp.remove();
    }
  });
});

describe('stableBucketName', () => {
  it('is lower case, at most 63 characters and the same on every run', () => {
    const long = stableBucketName('QueueAndStream-Dev-Stateful', 'BucketsArchiveBucketWithAVeryLongLogicalIdThatGoesOnAndOn41F1D4A2');
    expect(long).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(stableBucketName('QueueAndStream-Dev-Stateful', 'BucketsArchiveBucketWithAVeryLongLogicalIdThatGoesOnAndOn41F1D4A2')).toBe(long);
    expect(stableBucketName('S', 'A_b')).toBe('s-a-b');
  });
});

describe('provisioning DynamoDB tables (dynalite)', () => {
  let env: Awaited<ReturnType<typeof withEmulators>>;
  const tmp = tempDir('local-cloud-tables-');
  beforeAll(async () => {
    env = await withEmulators();
  });
  afterAll(async () => {
    await env?.stop();
    tmp.remove();
  });

  const tables = (dir: string) =>
    writeAssembly(dir, {
      Data: {
        Resources: {
          Records: {
            Type: 'AWS::DynamoDB::Table',
            Properties: {
              KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
              AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
              BillingMode: 'PAY_PER_REQUEST',
              TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
              SSESpecification: { SSEEnabled: false },
            },
          },
          Orders: {
            Type: 'AWS::DynamoDB::Table',
            Properties: {
              TableName: 'orders',
              KeySchema: [
                { AttributeName: 'pk', KeyType: 'HASH' },
                { AttributeName: 'sk', KeyType: 'RANGE' },
              ],
              AttributeDefinitions: [
                { AttributeName: 'pk', AttributeType: 'S' },
                { AttributeName: 'sk', AttributeType: 'S' },
                { AttributeName: 'email', AttributeType: 'S' },
              ],
              ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 3 },
              GlobalSecondaryIndexes: [
                {
                  IndexName: 'byEmail',
                  KeySchema: [{ AttributeName: 'email', KeyType: 'HASH' }],
                  Projection: { ProjectionType: 'KEYS_ONLY' },
                  ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
                  ContributorInsightsSpecification: { Enabled: false },
                },
              ],
            },
          },
        },
        Outputs: { RecordsName: { Value: { Ref: 'Records' } }, RecordsArn: { Value: { 'Fn::GetAtt': ['Records', 'Arn'] } } },
      },
      App: {
        Resources: {
          Worker: {
            Type: 'AWS::Lambda::Function',
            Properties: {
              Handler: 'index.handler',
              Runtime: 'nodejs22.x',
              Code: { ZipFile: 'exports.handler = async () => ({});' },
              Environment: {
                Variables: {
                  IDEMPOTENCY_TABLE_NAME: { 'Fn::GetStackOutput': { StackName: 'Data', OutputName: 'RecordsName' } },
                  TABLE_ARN: { 'Fn::GetStackOutput': { StackName: 'Data', OutputName: 'RecordsArn' } },
                },
              },
              Tags: [{ Key: 'queue-and-stream:name', Value: 'job-worker' }],
            },
          },
        },
      },
    });

  it('creates each table with its key schema, billing mode and indexes, and resolves Ref / GetAtt Arn to it', async () => {
    const r = await provision({
      assembly: loadAssembly(tables(fs.mkdtempSync(path.join(tmp.dir, 'a-')))),
      endpoints: env.emulators.endpoints,
      kinesis: env.emulators.kinesis,
      stateDir: tmp.dir,
    });
    const records = r.tables.find((t) => t.logicalId === 'Records')!;
    expect(records).toEqual({
      logicalId: 'Records',
      name: 'Data-Records',
      arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/Data-Records',
      timeToLiveAttribute: 'expiration',
    });
    const described = (await env.clients.dynamodb!.send(new DescribeTableCommand({ TableName: records.name }))).Table!;
    expect(described).toMatchObject({
      TableStatus: 'ACTIVE',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    });
    const orders = (await env.clients.dynamodb!.send(new DescribeTableCommand({ TableName: 'orders' }))).Table!;
    expect(orders.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 2, WriteCapacityUnits: 3 });
    expect(orders.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['byEmail']);
    expect(r.topology.functions[0]!.environment).toEqual({ IDEMPOTENCY_TABLE_NAME: 'Data-Records', TABLE_ARN: records.arn });
    expect(r.roles.idempotency).toBe(records);
    expect(r.topology.endpoints.dynamodb).toBe(env.emulators.endpoints.dynamodb);
  });

  it('notes that the TTL is not applied (dynalite has no UpdateTimeToLive), and the table still takes conditional writes', async () => {
    const fresh = await withEmulators();
    try {
      const ok = await provision({
        assembly: loadAssembly(tables(fs.mkdtempSync(path.join(tmp.dir, 'c-')))),
        endpoints: fresh.emulators.endpoints,
        kinesis: fresh.emulators.kinesis,
        stateDir: tmp.dir,
      });
      expect(ok.notes).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/table Data-Records: TimeToLiveSpecification \(expiration\) not applied: dynalite has no UpdateTimeToLive/),
        ]),
      );
      const put = (id: string) =>
        fresh.clients.dynamodb!.send(
          new PutItemCommand({
            TableName: 'Data-Records',
            Item: { id: { S: id } },
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: { '#id': 'id' },
          }),
        );
      await put('a');
      await expect(put('a')).rejects.toThrow(/conditional request failed/i);
    } finally {
      await fresh.stop();
    }
  });

  it('refuses a table when no DynamoDB endpoint is given, naming the table', async () => {
    const { dynamodb: _none, ...withoutDynamo } = env.emulators.endpoints;
    await expect(
      provision({
        assembly: loadAssembly(tables(fs.mkdtempSync(path.join(tmp.dir, 'd-')))),
        endpoints: withoutDynamo,
        kinesis: env.emulators.kinesis,
        stateDir: tmp.dir,
      }),
    ).rejects.toThrow(/table Data\/Records: no DynamoDB emulator is running/);
  });
});

describe('provisioning the project’s own app', () => {
  it('creates the idempotency table from the stateful stack and hands its name to every function that keeps records (the worker; consumers per the manifest)', async () => {
    const { synthStage } = await import('../../infra/app-fixture');
    const assemblyDir = synthStage('dev').app.synth().directory;
    const env = await withEmulators();
    const tmp = tempDir();
    try {
      const r = await provision({
        assembly: loadAssembly(assemblyDir),
        endpoints: env.emulators.endpoints,
        kinesis: env.emulators.kinesis,
        stateDir: tmp.dir,
      });
      expect(r.tables).toHaveLength(1);
      expect(r.roles.idempotency).toBe(r.tables[0]);
      const table = (await env.clients.dynamodb!.send(new DescribeTableCommand({ TableName: r.tables[0]!.name }))).Table!;
      expect(table.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
      expect(table.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      const names = r.topology.functions.filter((f) => f.role !== undefined).map((f) => [f.name, f.environment.IDEMPOTENCY_TABLE_NAME]);
      const keepsRecords = (n: string): boolean => n === 'job-worker' || (isConsumerName(n) && CONSUMERS[n].idempotency === 'dynamodb');
      expect(names.sort()).toEqual(
        ['job-worker', ...consumerNames].sort().map((n) => [n, keepsRecords(n) ? r.tables[0]!.name : undefined]),
      );
      expect(r.outputs['QueueAndStream-Dev-Stateful']?.['IdempotencyTableName']).toBe(r.tables[0]!.name);
    } finally {
      await env.stop();
      tmp.remove();
    }
  });
});
