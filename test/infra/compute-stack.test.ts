import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CONSUMERS as MANIFEST, consumerNames, filterPatternsFor } from '../../lambdas/consumers';
import { ALARM_CATALOGUE } from '../../lib/alarm-catalogue';
import { EVENT_STREAM_DEFAULTS } from '../../lib/event-stream-defaults';
import { HOUSE_FUNCTION_DEFAULTS } from '../../lib/house-function-defaults';
import { MONITORING_DEFAULTS } from '../../lib/monitoring-defaults';
import { STAGE_DEFAULTS } from '../../lib/stage-config';
import { defaultStage, logicalId, synthStage } from './app-fixture';

const dev = defaultStage('dev');
const t = dev.computeTemplate;
const prodT = defaultStage('prod').computeTemplate;

const CONSUMERS = consumerNames;
const FUNCTIONS: Record<string, 'worker' | 'consumer'> = {
  'job-worker': 'worker',
  ...Object.fromEntries(CONSUMERS.map((n) => [n, 'consumer'])),
};
/** Functions that keep idempotency records: the worker always, a consumer when its manifest says `dynamodb`. */
const WITH_RECORDS = ['job-worker', ...CONSUMERS.filter((n) => MANIFEST[n].idempotency === 'dynamodb')];
const WITHOUT_RECORDS = CONSUMERS.filter((n) => MANIFEST[n].idempotency !== 'dynamodb');
const ENQUEUERS = CONSUMERS.filter((n) => MANIFEST[n].enqueues.length > 0);

/** Logical ID of the function tagged queue-and-stream:name=<name> (how the tools find it). */
function fnId(template: Template, name: string): string {
  const found = template.findResources('AWS::Lambda::Function', {
    Properties: { Tags: Match.arrayWith([{ Key: 'queue-and-stream:name', Value: name }]) },
  });
  const ids = Object.keys(found);
  if (ids.length !== 1) throw new Error(`expected one function named ${name}, found ${ids.length}`);
  return ids[0] as string;
}

function mappingOf(template: Template, name: string): Record<string, unknown> {
  const id = fnId(template, name);
  const mappings = Object.values(
    template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: id } },
    }),
  );
  expect(mappings).toHaveLength(1);
  return mappings[0]?.Properties as Record<string, unknown>;
}

/** A value the compute stack imports from the stateful stack's export whose name matches `fragment` (vitest matcher). */
const fromStateful = (fragment: string): unknown => ({
  'Fn::ImportValue': expect.stringMatching(new RegExp(`^QueueAndStream-Dev-Stateful:ExportsOutput.*${fragment}`)),
});
/** The same, as an assertions Match for hasResourceProperties. */
const cfnFromStateful = (fragment: string) => ({
  'Fn::ImportValue': Match.stringLikeRegexp(`^QueueAndStream-Dev-Stateful:ExportsOutput.*${fragment}`),
});

/** The IAM statements of the policy attached to function `name`'s role. */
function statementsOf(template: Template, name: string): Array<{ Action: string | string[]; Resource: unknown }> {
  const fn = template.findResources('AWS::Lambda::Function')[fnId(template, name)];
  if (!fn) throw new Error(`no function ${name} in the template`);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const [policy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));
  return policy?.Properties.PolicyDocument.Statement ?? [];
}
const actionsOf = (statements: Array<{ Action: string | string[] }>, service: string): string[][] =>
  statements.filter((st) => [st.Action].flat().some((a) => a.startsWith(`${service}:`))).map((st) => [st.Action].flat().sort());

describe('functions (house defaults)', () => {
  it.each(Object.entries(FUNCTIONS))('%s: nodejs24.x on arm64, active tracing, source maps, tagged role=%s', (name, role) => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 30,
      MemorySize: 256,
      TracingConfig: { Mode: 'Active' },
      Tags: Match.arrayWith([
        { Key: 'queue-and-stream:name', Value: name },
        { Key: 'queue-and-stream:role', Value: role },
      ]),
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: name,
          POWERTOOLS_METRICS_NAMESPACE: 'QueueAndStream',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
  });

  it('points the local cloud at each bundled asset (aws:asset:path metadata)', () => {
    for (const fn of Object.values(t.findResources('AWS::Lambda::Function'))) {
      expect(fn.Metadata?.['aws:asset:path']).toMatch(/^asset\.[0-9a-f]{64}$/);
    }
  });

  it('gives every function its own log group: 1 week in dev, 3 months in prod, removal per stage', () => {
    for (const [template, days, policy] of [
      [t, 7, 'Delete'],
      [prodT, 90, 'Retain'],
    ] as const) {
      for (const name of Object.keys(FUNCTIONS)) {
        const fn = template.findResources('AWS::Lambda::Function')[fnId(template, name)];
        if (!fn) throw new Error(`no function ${name} in the template`);
        const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        const logGroup = template.findResources('AWS::Logs::LogGroup')[logGroupId];
        expect(logGroup?.Properties.RetentionInDays).toBe(days);
        expect(logGroup?.DeletionPolicy).toBe(policy);
      }
    }
  });

  it('does not attach the AWSLambdaBasicExecutionRole managed policy (log writes are granted on the own log group)', () => {
    t.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('grants a wildcard resource only for X-Ray (the one IAM5 "Resource::*" suppression covers nothing else)', () => {
    for (const policy of Object.values(t.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>) {
        if (statement.Resource === '*') {
          expect([statement.Action].flat().sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        }
      }
    }
  });

  it('gives a consumer that enqueues jobs (manifest) the job queue URL, its maximum message size and send permission; the others neither', () => {
    expect(ENQUEUERS.length).toBeGreaterThan(0);
    for (const name of CONSUMERS) {
      const vars = t.findResources('AWS::Lambda::Function')[fnId(t, name)]?.Properties.Environment.Variables;
      if (ENQUEUERS.includes(name))
        expect(vars).toMatchObject({ JOB_QUEUE_URL: fromStateful('RefJobQueue'), JOB_MAX_MESSAGE_BYTES: '1048576' });
      else expect(vars.JOB_QUEUE_URL).toBeUndefined();
    }
    t.resourcePropertiesCountIs(
      'AWS::IAM::Policy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: Match.arrayWith(['sqs:SendMessage']), Resource: cfnFromStateful('FnGetAttJobQueue.*Arn') }),
          ]),
        },
      },
      ENQUEUERS.length,
    );
  });
});

describe('idempotency', () => {
  it.each(WITH_RECORDS)('%s: gets the table name from the stateful stack and a 14-day record expiry', (name) => {
    const fn = t.findResources('AWS::Lambda::Function')[fnId(t, name)];
    expect(fn?.Properties.Environment.Variables).toMatchObject({
      IDEMPOTENCY_TABLE_NAME: fromStateful('RefIdempotencyTable'),
      IDEMPOTENCY_EXPIRY_SECONDS: String(14 * 24 * 3600),
    });
  });

  it.each(WITH_RECORDS)('%s: may make exactly the four item calls Powertools idempotency makes, on the idempotency table only', (name) => {
    const dynamo = statementsOf(t, name).filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(1);
    expect([dynamo[0]!.Action].flat().sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(dynamo[0]!.Resource).toEqual(fromStateful('FnGetAttIdempotencyTable.*Arn'));
  });

  it.each(WITHOUT_RECORDS)('%s (idempotency none): no table name, no DynamoDB permission at all', (name) => {
    const fn = t.findResources('AWS::Lambda::Function')[fnId(t, name)];
    expect(fn?.Properties.Environment.Variables.IDEMPOTENCY_TABLE_NAME).toBeUndefined();
    expect(statementsOf(t, name).filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')))).toEqual([]);
  });

  it('a consumer whose manifest says dynamodb gets the records, the grant and the environment', () => {
    const fork = synthStage('dev', {}, { analytics: { ...MANIFEST.analytics, idempotency: 'dynamodb' } }).computeTemplate;
    expect(fork.findResources('AWS::Lambda::Function')[fnId(fork, 'analytics')]?.Properties.Environment.Variables).toMatchObject({
      IDEMPOTENCY_TABLE_NAME: fromStateful('RefIdempotencyTable'),
    });
  });
});

describe('job worker mapping', () => {
  it('reads the job queue with partial batch responses, batch 10, 5 s window, max concurrency 10', () => {
    expect(mappingOf(t, 'job-worker')).toEqual({
      EventSourceArn: fromStateful('FnGetAttJobQueue.*Arn'),
      FunctionName: { Ref: fnId(t, 'job-worker') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('lives in the compute stack, so the stateful stack never depends on compute', () => {
    dev.statefulTemplate.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    expect(dev.stateful.dependencies).toEqual([]);
    expect(dev.compute.dependencies).toEqual([dev.stateful]);
  });
});

describe('consumer mappings', () => {
  it.each(CONSUMERS)(
    "%s: own position from TRIM_HORIZON, bisect, 3 retries, no max age, EventCount metrics, on-failure S3, the manifest's filter and parallelization",
    (name) => {
      const patterns = filterPatternsFor(MANIFEST[name]);
      expect(mappingOf(t, name)).toEqual({
        EventSourceArn: fromStateful('FnGetAttEventStream.*Arn'),
        FunctionName: { Ref: fnId(t, name) },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
        ParallelizationFactor: MANIFEST[name].parallelizationFactor,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 3,
        MaximumRecordAgeInSeconds: -1,
        MetricsConfig: { Metrics: ['EventCount'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: fromStateful('FnGetAttBucketsFailureBucket.*Arn') } },
        ...(patterns.length > 0 ? { FilterCriteria: { Filters: patterns.map((p) => ({ Pattern: JSON.stringify(p) })) } } : {}),
      });
    },
  );

  it('payments is never invoked for OrderShipped: its filter drops that type and keeps unknown or typeless JSON for its failure bucket', () => {
    expect(mappingOf(t, 'payments').FilterCriteria).toEqual({
      Filters: [{ Pattern: '{"data":{"type":[{"anything-but":["OrderShipped"]}]}}' }, { Pattern: '{"data":{"type":[{"exists":false}]}}' }],
    });
  });

  it('refuses a set of consumers that all filter (a record that is not JSON would reach no failure bucket)', () => {
    expect(() =>
      synthStage(
        'dev',
        {},
        {
          notifications: { ...MANIFEST.notifications, handles: ['OrderPlaced'] },
          analytics: { ...MANIFEST.analytics, handles: ['OrderShipped'] },
        },
      ),
    ).toThrow(/every consumer .* filters by event type/);
  });

  it('never discards a record for its age, in both stages (a new consumer, a replaced mapping or a backlog keeps every retained event)', () => {
    for (const template of [t, prodT]) {
      for (const name of CONSUMERS) {
        expect(mappingOf(template, name).MaximumRecordAgeInSeconds).toBe(-1);
        expect(mappingOf(template, name).MaximumRetryAttempts).toBe(3); // the bound on a poison record
      }
    }
  });

  it('never starts a mapping at a timestamp (a changed starting position replaces the mapping, which Lambda refuses)', () => {
    for (const template of [t, prodT]) {
      template.allResourcesProperties('AWS::Lambda::EventSourceMapping', { StartingPositionTimestamp: Match.absent() });
      for (const name of CONSUMERS) expect(mappingOf(template, name).StartingPosition).toBe('TRIM_HORIZON');
    }
  });

  it('grants each consumer exactly s3:PutObject and s3:ListBucket on the failure bucket', () => {
    for (const name of CONSUMERS) {
      expect(actionsOf(statementsOf(t, name), 's3')).toEqual([['s3:PutObject'], ['s3:ListBucket']]);
    }
  });

  it('grants each polling consumer exactly the stream reads Lambda makes: no enhanced fan-out actions, no ListStreams', () => {
    for (const name of CONSUMERS) {
      const kinesis = statementsOf(t, name).filter((st) => [st.Action].flat().some((a) => a.startsWith('kinesis:')));
      expect(kinesis).toEqual([
        {
          Effect: 'Allow',
          Action: [
            'kinesis:DescribeStream',
            'kinesis:DescribeStreamSummary',
            'kinesis:GetRecords',
            'kinesis:GetShardIterator',
            'kinesis:ListShards',
          ],
          Resource: fromStateful('FnGetAttEventStream.*Arn'),
        },
      ]);
    }
  });

  it('uses enhanced fan-out only for a consumer that opts in: a registered stream consumer as event source', () => {
    const efo = synthStage('dev', {
      consumers: [
        { name: 'notifications', enhancedFanOut: false },
        { name: 'analytics', enhancedFanOut: true },
      ],
    }).computeTemplate;
    efo.resourceCountIs('AWS::Kinesis::StreamConsumer', 1);
    const consumerId = logicalId(efo, 'AWS::Kinesis::StreamConsumer', 'Analytics');
    efo.hasResourceProperties('AWS::Kinesis::StreamConsumer', { StreamARN: cfnFromStateful('FnGetAttEventStream.*Arn') });
    expect(mappingOf(efo, 'analytics')).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [consumerId, 'ConsumerARN'] },
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
    });
    expect(mappingOf(efo, 'notifications').EventSourceArn).toEqual(fromStateful('FnGetAttEventStream.*Arn'));
    // SubscribeToShard and DescribeStreamConsumer: for the opted-in consumer only, on its registration only
    expect(actionsOf(statementsOf(efo, 'analytics'), 'kinesis')).toEqual([
      ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
      ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
    ]);
    expect(statementsOf(efo, 'analytics').find((st) => [st.Action].flat().includes('kinesis:SubscribeToShard'))?.Resource).toEqual({
      'Fn::GetAtt': [consumerId, 'ConsumerARN'],
    });
    expect(actionsOf(statementsOf(efo, 'notifications'), 'kinesis')).toEqual([
      ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
    ]);
  });
});

describe('references to the stateful stack', () => {
  const imports = (template: Template): string[] =>
    [...new Set([...JSON.stringify(template.toJSON()).matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => m[1]!))].sort();
  const exportsOf = (template: Template): string[] =>
    Object.values((template.toJSON().Outputs ?? {}) as Record<string, { Export?: { Name: string } }>)
      .flatMap((o) => (o.Export ? [o.Export.Name] : []))
      .sort();

  it('are strong (Fn::ImportValue), never Fn::GetStackOutput: a weak one is resolved only when compute deploys, so a replaced resource would stay referenced by its old ARN', () => {
    for (const stage of [dev, defaultStage('prod')]) {
      const template = JSON.stringify(stage.computeTemplate.toJSON());
      expect(template).not.toContain('Fn::GetStackOutput');
      const imported = imports(stage.computeTemplate);
      expect(imported.length).toBeGreaterThanOrEqual(9);
      // every import names an export of this stage's stateful stack: CloudFormation then refuses a stateful
      // update that would change or delete a value compute uses, instead of leaving compute on the old one
      const exported = exportsOf(stage.statefulTemplate);
      for (const name of imported) expect(exported, name).toContain(name);
    }
  });

  it('are pinned by the stateful stack: compute using fewer of them leaves every export in place (no deploy blocked by an export in use)', () => {
    const fewer = synthStage('dev', { consumers: [{ name: 'analytics', enhancedFanOut: false }] });
    expect(imports(fewer.computeTemplate).length).toBeLessThan(imports(t).length);
    expect(exportsOf(fewer.statefulTemplate)).toEqual(exportsOf(dev.statefulTemplate));
    expect(exportsOf(dev.statefulTemplate)).toHaveLength(dev.stateful.exportsForCompute.length);
  });
});

describe('event archive (Firehose)', () => {
  it('reads the stream and writes GZIP NDJSON under date-partitioned prefixes, with an error prefix', () => {
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: cfnFromStateful('FnGetAttEventStream.*Arn') },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BucketARN: cfnFromStateful('FnGetAttBucketsArchiveBucket.*Arn'),
        CompressionFormat: 'GZIP',
        Prefix: 'events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
        ErrorOutputPrefix:
          'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
        ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [] }] },
        CloudWatchLoggingOptions: Match.objectLike({ Enabled: true }),
      }),
    });
  });

  /** Statements of the one IAM policy whose logical ID starts with `prefix`. */
  const policyStatements = (prefix: string): Array<{ Action: string | string[]; Resource: unknown }> =>
    t.findResources('AWS::IAM::Policy')[logicalId(t, 'AWS::IAM::Policy', prefix)]?.Properties.PolicyDocument.Statement;

  it('may write to the archive and never delete from or read it (the archive is the replay source of truth)', () => {
    const s3 = policyStatements('EventArchiveDeliveryStreamS3DestinationRole').filter((st) =>
      [st.Action].flat().some((a) => a.startsWith('s3:')),
    );
    expect(s3).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
        Resource: { 'Fn::Join': ['', [fromStateful('FnGetAttBucketsArchiveBucket.*Arn'), '/*']] },
      },
      {
        Effect: 'Allow',
        Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: fromStateful('FnGetAttBucketsArchiveBucket.*Arn'),
      },
    ]);
    for (const policy of Object.values(t.findResources('AWS::IAM::Policy'))) {
      for (const st of policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>) {
        expect([st.Action].flat().filter((a) => /^s3:(Delete|\*)|^s3:.*\*$/.test(a))).toEqual([]);
      }
    }
  });

  it('reads the stream with the polling actions only', () => {
    const kinesis = policyStatements('EventArchiveDeliveryStreamServiceRole').filter((st) =>
      [st.Action].flat().some((a) => a.startsWith('kinesis:')),
    );
    expect(kinesis.map((st) => [st.Action].flat())).toEqual([
      ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
    ]);
  });

  it('buffers 60 s / 5 MiB in dev and 300 s / 64 MiB in prod', () => {
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({ BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 } }),
    });
    prodT.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({ BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 64 } }),
    });
  });
});

describe('monitoring', () => {
  const topic = logicalId(t, 'AWS::SNS::Topic', 'MonitoringAlarmTopic');
  const key = logicalId(t, 'AWS::KMS::Key', 'MonitoringTopicKey');

  /** The alarm with logical ID prefix `prefix`: its metric, dimensions, threshold, actions, description. */
  function expectAlarm(prefix: string, props: Record<string, unknown>): void {
    const alarm = t.findResources('AWS::CloudWatch::Alarm')[logicalId(t, 'AWS::CloudWatch::Alarm', prefix)];
    expect(alarm?.Properties).toMatchObject({
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Period: 300,
      AlarmActions: [{ Ref: topic }],
      OKActions: [{ Ref: topic }],
      ...props,
    });
    expect(alarm?.Properties.AlarmDescription).toMatch(/\. First action: .{20,}/);
  }

  it('publishes to one KMS-encrypted, TLS-only topic that CloudWatch may use', () => {
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  /** aws:SourceAccount = this account, aws:SourceArn = an alarm of this account and region (confused deputy). */
  const FROM_OUR_ALARMS = {
    StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    ArnLike: {
      'aws:SourceArn': {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*'],
        ],
      },
    },
  };
  /** The statements of `doc` that give the CloudWatch service principal anything. */
  const cloudwatchStatements = (doc: { Statement: Array<{ Principal?: unknown }> }) =>
    doc.Statement.filter((st) => JSON.stringify(st.Principal ?? '').includes('cloudwatch.amazonaws.com'));

  it('lets CloudWatch publish to the topic only for alarms of this account and region', () => {
    const [policy] = Object.values(t.findResources('AWS::SNS::TopicPolicy'));
    expect(cloudwatchStatements(policy?.Properties.PolicyDocument)).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topic },
        Condition: FROM_OUR_ALARMS,
      }),
    ]);
  });

  it('lets CloudWatch use the topic key (Decrypt, GenerateDataKey*) only for alarms of this account and region', () => {
    const keyPolicy = t.findResources('AWS::KMS::Key')[key]?.Properties.KeyPolicy;
    expect(cloudwatchStatements(keyPolicy)).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: FROM_OUR_ALARMS,
      },
    ]);
  });

  it('subscribes the alarm e-mail only when one is given', () => {
    t.resourceCountIs('AWS::SNS::Subscription', 0);
    const withEmail = synthStage('dev', { alarmEmail: 'oncall@example.com' }).computeTemplate;
    withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('alarms when the job DLQ holds any message', () => {
    expectAlarm('MonitoringJobDlqNotEmpty', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: fromStateful('JobQueueDeadLetterQueue.*QueueName') }],
      Statistic: 'Maximum',
      Threshold: 1,
    });
  });

  it('alarms when the oldest job waits 10 minutes', () => {
    expectAlarm('MonitoringJobQueueOldestMessageAge', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: fromStateful('FnGetAttJobQueue67926FCAQueueName') }],
      Threshold: 600,
    });
  });

  it('alarms on worker errors and throttles', () => {
    const dims = [{ Name: 'FunctionName', Value: { Ref: fnId(t, 'job-worker') } }];
    expectAlarm('MonitoringWorkerErrors', { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: dims, Threshold: 1 });
    expectAlarm('MonitoringWorkerThrottles', { Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: dims, Threshold: 1 });
  });

  /** Logical ID of the event source mapping of function `name`. */
  const mappingId = (name: string): string =>
    Object.keys(t.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: fnId(t, name) } } }))[0] as string;

  it.each([
    ['Notifications', 'notifications'],
    ['Payments', 'payments'],
    ['Analytics', 'analytics'],
  ])('alarms when %s is 30 minutes behind, on its errors and on its throttles', (id, name) => {
    const dims = [{ Name: 'FunctionName', Value: { Ref: fnId(t, name) } }];
    expectAlarm(`Monitoring${id}IteratorAge`, {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: dims,
      Statistic: 'Maximum',
      Threshold: 1_800_000,
    });
    expectAlarm(`Monitoring${id}Errors`, { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: dims, Threshold: 1 });
    expectAlarm(`Monitoring${id}Throttles`, {
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: dims,
      Statistic: 'Sum',
      Threshold: 1,
    });
  });

  it.each([
    ['Notifications', 'notifications'],
    ['Payments', 'payments'],
    ['Analytics', 'analytics'],
  ])("alarms when %s sends any record to the failure bucket, and when it drops any (its mapping's EventCount metrics)", (id, name) => {
    const dims = [{ Name: 'EventSourceMappingUUID', Value: { Ref: mappingId(name) } }];
    expectAlarm(`Monitoring${id}FailedRecords`, {
      Namespace: 'AWS/Lambda',
      MetricName: 'OnFailureDestinationDeliveredEventCount',
      Dimensions: dims,
      Statistic: 'Sum',
      Threshold: 1,
      EvaluationPeriods: 1,
    });
    expectAlarm(`Monitoring${id}DroppedRecords`, {
      Namespace: 'AWS/Lambda',
      MetricName: 'DroppedEventCount',
      Dimensions: dims,
      Statistic: 'Sum',
      Threshold: 1,
      EvaluationPeriods: 1,
    });
  });

  it("fires the iterator-age alarm on an absolute basis: above a poison record's worst hold on a shard, below the shortest retention", () => {
    const threshold = MONITORING_DEFAULTS.consumerIteratorAge.value.toSeconds();
    const attempts = 1 + EVENT_STREAM_DEFAULTS.retryAttempts.value + Math.ceil(Math.log2(EVENT_STREAM_DEFAULTS.batchSize.value));
    expect(threshold).toBeGreaterThan(attempts * HOUSE_FUNCTION_DEFAULTS.timeout.value.toSeconds());
    expect(threshold).toBeLessThan(
      Math.min(STAGE_DEFAULTS.streamRetention.value.dev.toSeconds(), STAGE_DEFAULTS.streamRetention.value.prod.toSeconds()),
    );
  });

  it('alarms on 15 minutes of stream write or read throttling', () => {
    const dims = [{ Name: 'StreamName', Value: fromStateful('RefEventStream') }];
    for (const [id, metric] of [
      ['MonitoringStreamWriteThrottled', 'WriteProvisionedThroughputExceeded'],
      ['MonitoringStreamReadThrottled', 'ReadProvisionedThroughputExceeded'],
    ]) {
      expectAlarm(id as string, { Namespace: 'AWS/Kinesis', MetricName: metric, Dimensions: dims, EvaluationPeriods: 3 });
    }
  });

  it('alarms when Firehose holds a record for 3 buffering intervals (180 s dev, 900 s prod)', () => {
    const stream = logicalId(t, 'AWS::KinesisFirehose::DeliveryStream', 'EventArchive');
    expectAlarm('MonitoringArchiveDataFreshness', {
      Namespace: 'AWS/Firehose',
      MetricName: 'DeliveryToS3.DataFreshness',
      Dimensions: [{ Name: 'DeliveryStreamName', Value: { Ref: stream } }],
      Statistic: 'Maximum',
      Threshold: 180,
    });
    prodT.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DeliveryToS3.DataFreshness', Threshold: 900 });
  });

  it('creates exactly the catalogued alarms (4 jobs + 2 stream + 5 per consumer + 1 archive) and a dashboard', () => {
    t.resourceCountIs('AWS::CloudWatch::Alarm', 4 + 2 + 5 * CONSUMERS.length + 1);
    expect(Object.keys(ALARM_CATALOGUE)).toHaveLength(4 + 2 + 5 + 1);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});
