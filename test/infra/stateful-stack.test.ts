import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BUCKETS_DEFAULTS } from '../../lib/buckets-defaults';
import { IDEMPOTENCY_TABLE_DEFAULTS } from '../../lib/idempotency-table-defaults';
import { JOB_QUEUE_DEFAULTS } from '../../lib/job-queue-defaults';
import { STAGE_DEFAULTS } from '../../lib/stage-config';
import { defaultStage, logicalId } from './app-fixture';

const dev = defaultStage('dev');
const prod = defaultStage('prod');
const devT = dev.statefulTemplate;
const prodT = prod.statefulTemplate;

const QUEUE = 'JobQueue67926FCA';
const DLQ = 'JobQueueDeadLetterQueue653C121A';
const IDEMPOTENCY_TABLE = 'IdempotencyTableE9369C9C';

describe('job queue', () => {
  it('encrypts both queues with SQS-managed SSE and sets the 1 MiB maximum message size explicitly', () => {
    devT.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MaximumMessageSize: 1_048_576 }, 2);
  });

  it('keeps dead jobs 14 days, longer than the 4 days of the source queue', () => {
    devT.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 14 * 24 * 3600,
      RedrivePolicy: Match.absent(),
    });
    devT.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 4 * 24 * 3600,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [DLQ, 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(JOB_QUEUE_DEFAULTS.dlqRetentionPeriod.value.toSeconds()).toBeGreaterThan(JOB_QUEUE_DEFAULTS.retentionPeriod.value.toSeconds());
  });

  it('sets a visibility timeout of at least 6 × worker timeout + batching window', () => {
    const queue = devT.findResources('AWS::SQS::Queue')[QUEUE];
    expect(queue?.Properties.VisibilityTimeout).toBe(240);
    const compute = dev.computeTemplate.findResources('AWS::Lambda::Function', {
      Properties: { Tags: Match.arrayWith([{ Key: 'queue-and-stream:role', Value: 'worker' }]) },
    });
    const [worker] = Object.values(compute);
    const mapping = Object.values(dev.computeTemplate.findResources('AWS::Lambda::EventSourceMapping')).find(
      (m) => m.Properties.ScalingConfig !== undefined,
    );
    expect(240).toBeGreaterThanOrEqual(6 * worker?.Properties.Timeout + mapping?.Properties.MaximumBatchingWindowInSeconds);
  });

  it('denies non-TLS access to both queues', () => {
    for (const queue of [QUEUE, DLQ]) {
      devT.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
  });
});

describe('event stream', () => {
  it('is encrypted with the AWS managed Kinesis key', () => {
    for (const t of [devT, prodT]) {
      t.hasResourceProperties('AWS::Kinesis::Stream', {
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      });
    }
  });

  it('dev: provisioned with 2 shards and 24 h retention', () => {
    devT.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 2,
      RetentionPeriodHours: 24,
    });
  });

  it('prod: on-demand (no shard count) with 7 days retention', () => {
    prodT.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      ShardCount: Match.absent(),
      RetentionPeriodHours: 168,
    });
  });
});

describe('buckets', () => {
  const archive = logicalId(devT, 'AWS::S3::Bucket', 'BucketsArchiveBucket');
  const failure = logicalId(devT, 'AWS::S3::Bucket', 'BucketsFailureBucket');
  const accessLogs = logicalId(prodT, 'AWS::S3::Bucket', 'BucketsAccessLogBucket');

  it('encrypts every bucket with SSE-S3 and blocks all public access (dev: archive + failures + query results; prod: + access logs)', () => {
    for (const [t, count] of [
      [devT, 3],
      [prodT, 4],
    ] as const) {
      t.resourceCountIs('AWS::S3::Bucket', count);
      t.resourcePropertiesCountIs(
        'AWS::S3::Bucket',
        {
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
        },
        count,
      );
    }
  });

  it('denies non-TLS requests on every bucket', () => {
    for (const [t, buckets] of [
      [devT, [archive, failure]],
      [prodT, [archive, failure, accessLogs]],
    ] as const) {
      for (const bucket of buckets) {
        t.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: { Ref: bucket },
          PolicyDocument: {
            Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
          },
        });
      }
    }
  });

  it('versions the archive and failure buckets; prod logs their access to the access-log bucket', () => {
    for (const [bucket, prefix] of [
      [archive, 'archive/'],
      [failure, 'failures/'],
    ] as const) {
      expect(prodT.findResources('AWS::S3::Bucket')[bucket]?.Properties).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: accessLogs }, LogFilePrefix: prefix },
      });
      expect(devT.findResources('AWS::S3::Bucket')[bucket]?.Properties).toMatchObject({ VersioningConfiguration: { Status: 'Enabled' } });
    }
  });

  it('dev has no access-log bucket, so `cdk destroy` never meets late access logs in an emptied bucket (BucketNotEmpty)', () => {
    expect(Object.keys(devT.findResources('AWS::S3::Bucket')).filter((id) => id.startsWith('BucketsAccessLogBucket'))).toEqual([]);
    devT.allResourcesProperties('AWS::S3::Bucket', { LoggingConfiguration: Match.absent() });
    // every dev bucket is still emptied and deleted with the stack
    expect(Object.keys(devT.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(
      Object.keys(devT.findResources('AWS::S3::Bucket')).length,
    );
    expect(dev.stateful.buckets.accessLogBucket).toBeUndefined();
  });

  it('moves the archive to Standard-IA, then Glacier IR, and expires noncurrent versions', () => {
    expect(devT.findResources('AWS::S3::Bucket')[archive]?.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Status: 'Enabled',
          Transitions: [
            { StorageClass: 'STANDARD_IA', TransitionInDays: BUCKETS_DEFAULTS.archiveInfrequentAccessAfter.value.toDays() },
            { StorageClass: 'GLACIER_IR', TransitionInDays: BUCKETS_DEFAULTS.archiveGlacierInstantRetrievalAfter.value.toDays() },
          ],
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ],
    });
  });

  it('expires failed batches after 90 days', () => {
    expect(devT.findResources('AWS::S3::Bucket')[failure]?.Properties.LifecycleConfiguration.Rules).toEqual([
      {
        Status: 'Enabled',
        ExpirationInDays: 90,
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      },
    ]);
  });
});

describe('idempotency table', () => {
  it('is on-demand, keyed by the string attribute `id` and expires records through the `expiration` TTL attribute (Powertools defaults)', () => {
    for (const t of [devT, prodT]) {
      t.resourceCountIs('AWS::DynamoDB::Table', 1);
      t.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
        ProvisionedThroughput: Match.absent(),
        GlobalSecondaryIndexes: Match.absent(),
      });
    }
  });

  it('is encrypted with the AWS owned key and has point-in-time recovery in both stages', () => {
    for (const t of [devT, prodT]) {
      t.hasResourceProperties('AWS::DynamoDB::Table', {
        SSESpecification: { SSEEnabled: false },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
  });

  it('is protected against deletion in prod only (DynamoDB refuses DeleteTable until it is turned off)', () => {
    prodT.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    devT.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });

  it('remembers a processed envelope id at least as long as the stream or the job DLQ can deliver it again', () => {
    const expiry = IDEMPOTENCY_TABLE_DEFAULTS.recordExpiry.value.toSeconds();
    expect(expiry).toBeGreaterThanOrEqual(STAGE_DEFAULTS.streamRetention.value.prod.toSeconds());
    expect(expiry).toBeGreaterThanOrEqual(STAGE_DEFAULTS.streamRetention.value.dev.toSeconds());
    expect(expiry).toBeGreaterThanOrEqual(JOB_QUEUE_DEFAULTS.dlqRetentionPeriod.value.toSeconds());
    expect(dev.stateful.idempotencyTable.recordExpiry.toSeconds()).toBe(expiry);
  });
});

describe('stage policies', () => {
  const statefulTypes = ['AWS::SQS::Queue', 'AWS::Kinesis::Stream', 'AWS::S3::Bucket', 'AWS::DynamoDB::Table'];

  it('dev: destroys stateful resources and empties the buckets on delete', () => {
    for (const type of statefulTypes) {
      for (const resource of Object.values(devT.findResources(type))) {
        expect(resource.DeletionPolicy, type).toBe('Delete');
        expect(resource.UpdateReplacePolicy, type).toBe('Delete');
      }
    }
    devT.resourceCountIs('Custom::S3AutoDeleteObjects', 3);
  });

  it('prod: retains stateful resources and never auto-deletes objects', () => {
    for (const type of statefulTypes) {
      for (const resource of Object.values(prodT.findResources(type))) {
        expect(resource.DeletionPolicy, type).toBe('Retain');
        expect(resource.UpdateReplacePolicy, type).toBe('Retain');
      }
    }
    prodT.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('protects only the prod stateful stack against termination', () => {
    expect(prod.stateful.terminationProtection).toBe(true);
    expect(dev.stateful.terminationProtection).toBe(false);
    expect(prod.compute.terminationProtection).toBe(false);
  });
});

describe('contract with the tools', () => {
  it('names the stacks QueueAndStream-<Stage>-Stateful / -Compute', () => {
    expect([dev.stateful.stackName, dev.compute.stackName, prod.stateful.stackName, prod.compute.stackName]).toEqual([
      'QueueAndStream-Dev-Stateful',
      'QueueAndStream-Dev-Compute',
      'QueueAndStream-Prod-Stateful',
      'QueueAndStream-Prod-Compute',
    ]);
  });

  it('exports the outputs the replay and redrive tools read', () => {
    const outputs = devT.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.JobQueueUrl?.Value).toEqual({ Ref: QUEUE });
    expect(outputs.JobQueueArn?.Value).toEqual({ 'Fn::GetAtt': [QUEUE, 'Arn'] });
    expect(outputs.JobDlqUrl?.Value).toEqual({ Ref: DLQ });
    expect(outputs.EventStreamName?.Value).toEqual({ Ref: 'EventStreamA212D9D0' });
    expect(outputs.EventStreamArn?.Value).toEqual({ 'Fn::GetAtt': ['EventStreamA212D9D0', 'Arn'] });
    expect(outputs.ArchiveBucketName?.Value).toEqual({ Ref: logicalId(devT, 'AWS::S3::Bucket', 'BucketsArchiveBucket') });
    expect(outputs.FailureBucketName?.Value).toEqual({ Ref: logicalId(devT, 'AWS::S3::Bucket', 'BucketsFailureBucket') });
    expect(outputs.IdempotencyTableName?.Value).toEqual({ Ref: IDEMPOTENCY_TABLE });
  });

  it('sets no physical names on stateful resources (CloudFormation generates them)', () => {
    devT.allResourcesProperties('AWS::SQS::Queue', { QueueName: Match.absent() });
    devT.allResourcesProperties('AWS::Kinesis::Stream', { Name: Match.absent() });
    devT.allResourcesProperties('AWS::S3::Bucket', { BucketName: Match.absent() });
    devT.allResourcesProperties('AWS::DynamoDB::Table', { TableName: Match.absent() });
  });
});

describe('logical IDs of stateful resources never change (a change replaces the resource and loses its data)', () => {
  const pinned = {
    'AWS::SQS::Queue': [QUEUE, DLQ],
    'AWS::Kinesis::Stream': ['EventStreamA212D9D0'],
    'AWS::S3::Bucket': ['BucketsArchiveBucket41F1D4A2', 'BucketsFailureBucketA8BDB0CA', 'ArchiveQueryResultsBucket3C2B5D4D'],
    'AWS::DynamoDB::Table': [IDEMPOTENCY_TABLE],
  };
  // the access-log bucket exists only where server access logs are on (prod)
  const accessLogBucket = 'BucketsAccessLogBucket0E24AD7A';
  for (const [stage, template, extraBuckets] of [
    ['dev', devT, []],
    ['prod', prodT, [accessLogBucket]],
  ] as const) {
    it(`${stage}: ${Object.keys(pinned).join(', ')}`, () => {
      for (const [type, ids] of Object.entries(pinned)) {
        const expected = type === 'AWS::S3::Bucket' ? [...ids, ...extraBuckets] : ids;
        expect(Object.keys(template.findResources(type)).sort(), type).toEqual([...expected].sort());
      }
    });
  }
});
