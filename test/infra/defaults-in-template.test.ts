// Every documented default (lib/*-defaults.ts and STAGE_DEFAULTS) against the synthesized templates of both
// stages: an entry is either prose (kind: 'prose') or has a check below that finds the property it sets. A new
// default without a check fails here, so nothing in the README's defaults table can be documented unapplied.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { StreamEncryption } from 'aws-cdk-lib/aws-kinesis';
import { BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { CONSUMERS, type ConsumerName } from '../../lambdas/consumers';
import { ARCHIVE_QUERY_DEFAULTS } from '../../lib/archive-query-defaults';
import { BUCKETS_DEFAULTS } from '../../lib/buckets-defaults';
import { assertNoFakeSideEffects } from '../../lib/compute-stack';
import type { DefaultsTable, Documented, PerStage } from '../../lib/documented';
import { EVENT_ARCHIVE_DEFAULTS } from '../../lib/event-archive-defaults';
import { EVENT_STREAM_DEFAULTS, INFINITE_RECORD_AGE_SECONDS } from '../../lib/event-stream-defaults';
import { HOUSE_FUNCTION_DEFAULTS } from '../../lib/house-function-defaults';
import { IDEMPOTENCY_TABLE_DEFAULTS } from '../../lib/idempotency-table-defaults';
import { JOB_QUEUE_DEFAULTS } from '../../lib/job-queue-defaults';
import { DROPPED_METRIC, FAILURE_BUCKET_METRIC, MONITORING_DEFAULTS } from '../../lib/monitoring-defaults';
import { type Stage, STAGES } from '../../lib/contract';
import { STAGE_DEFAULTS, stageConfig } from '../../lib/stage-config';
import { ALL_DEFAULTS } from '../../tools/render-defaults';
import { defaultStage, type SynthesizedStage, type TemplateJson } from './app-fixture';

type Props = TemplateJson;
type Resource = { Type: string; Properties?: Props; DeletionPolicy?: string; Metadata?: Props };
type Check = (s: SynthesizedStage, stage: Stage) => void;

const resources = (t: Template, type: string): Array<[string, Resource]> =>
  Object.entries(t.toJSON().Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
const props = (t: Template, type: string): Array<Props> => resources(t, type).map(([, r]) => r.Properties ?? {});
const one = <T>(xs: readonly T[], what: string): T => {
  expect(xs, what).toHaveLength(1);
  return xs[0] as T;
};
const forStage = <T>(entry: Documented<PerStage<T>>, stage: Stage): T => entry.value[stage];

// Resources by role, found the way an operator would: by logical-ID prefix or by tag.
const bucket = (t: Template, prefix: string): Props | undefined =>
  resources(t, 'AWS::S3::Bucket').find(([id]) => id.startsWith(prefix))?.[1].Properties;
const dataBuckets = (t: Template): Array<Props> => ['BucketsArchiveBucket', 'BucketsFailureBucket'].map((p) => bucket(t, p) ?? {});
const jobQueue = (t: Template): Props =>
  one(
    props(t, 'AWS::SQS::Queue').filter((q) => q['RedrivePolicy']),
    'job queue',
  );
const dlq = (t: Template): Props =>
  one(
    props(t, 'AWS::SQS::Queue').filter((q) => !q['RedrivePolicy']),
    'dead-letter queue',
  );
const tag = (p: Props, key: string): string | undefined =>
  (p['Tags'] as Array<{ Key: string; Value: string }> | undefined)?.find((x) => x.Key === `queue-and-stream:${key}`)?.Value;
const functions = (t: Template): Array<[string, Props]> => resources(t, 'AWS::Lambda::Function').map(([id, r]) => [id, r.Properties ?? {}]);
const mappings = (t: Template, source: 'sqs' | 'kinesis'): Array<Props> =>
  props(t, 'AWS::Lambda::EventSourceMapping').filter((m) => (source === 'kinesis') === 'StartingPosition' in m);
const firehoseS3 = (t: Template): Props =>
  one(props(t, 'AWS::KinesisFirehose::DeliveryStream'), 'delivery stream')['ExtendedS3DestinationConfiguration'];
const alarms = (t: Template): Array<Props> => props(t, 'AWS::CloudWatch::Alarm');
const alarmsOn = (t: Template, metricName: string): Array<Props> => alarms(t).filter((a) => a['MetricName'] === metricName);
const workGroup = (t: Template): Props => one(props(t, 'AWS::Athena::WorkGroup'), 'workgroup')['WorkGroupConfiguration'];
const table = (t: Template): Props => one(props(t, 'AWS::DynamoDB::Table'), 'idempotency table');
const denyWithoutTls = (policy: Props): boolean =>
  (policy['PolicyDocument'].Statement as Array<Props>).some(
    (s) => s['Effect'] === 'Deny' && s['Condition']?.Bool?.['aws:SecureTransport'] === 'false',
  );

/** The bundle and source map of every function, from the asset directory its template metadata names. */
function bundles(s: SynthesizedStage): Array<{ code: string; map?: { sources: string[]; sourcesContent?: unknown } }> {
  return resources(s.computeTemplate, 'AWS::Lambda::Function').map(([, r]) => {
    const dir = path.join(s.app.outdir, r.Metadata?.['aws:asset:path'] as string);
    const mapFile = path.join(dir, 'index.js.map');
    return {
      code: readFileSync(path.join(dir, 'index.js'), 'utf8'),
      ...(existsSync(mapFile) ? { map: JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; sourcesContent?: unknown } } : {}),
    };
  });
}

const CFN_DELETION_POLICY: Partial<Record<RemovalPolicy, string>> = { [RemovalPolicy.DESTROY]: 'Delete', [RemovalPolicy.RETAIN]: 'Retain' };
const SSE_ALGORITHM: Partial<Record<BucketEncryption, string>> = { [BucketEncryption.S3_MANAGED]: 'AES256' };
const STREAM_ENCRYPTION: Partial<Record<StreamEncryption, object>> = {
  [StreamEncryption.MANAGED]: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
};
const TABLE_SSE: Partial<Record<TableEncryption, object>> = { [TableEncryption.DEFAULT]: { SSEEnabled: false } };

const S = STAGE_DEFAULTS;
const Q = JOB_QUEUE_DEFAULTS;
const E = EVENT_STREAM_DEFAULTS;
const A = EVENT_ARCHIVE_DEFAULTS;
const AQ = ARCHIVE_QUERY_DEFAULTS;
const B = BUCKETS_DEFAULTS;
const I = IDEMPOTENCY_TABLE_DEFAULTS;
const H = HOUSE_FUNCTION_DEFAULTS;
const M = MONITORING_DEFAULTS;

/** Owner (as in ALL_DEFAULTS) → entry → how the synthesized stage shows it applied. */
const CHECKS: Readonly<Record<string, Readonly<Record<string, Check>>>> = {
  Stage: {
    removalPolicy: (s, stage) => {
      const policy = CFN_DELETION_POLICY[forStage(S.removalPolicy, stage)];
      const stateful = ['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::Kinesis::Stream', 'AWS::DynamoDB::Table'].flatMap((type) =>
        resources(s.statefulTemplate, type),
      );
      for (const [id, r] of [...stateful, ...resources(s.computeTemplate, 'AWS::Logs::LogGroup')])
        expect(r.DeletionPolicy, id).toBe(policy);
    },
    autoDeleteObjects: (s, stage) => {
      const autoDeleted = resources(s.statefulTemplate, 'Custom::S3AutoDeleteObjects').length;
      expect(autoDeleted > 0).toBe(forStage(S.autoDeleteObjects, stage));
    },
    terminationProtection: (s, stage) => {
      const artifact = s.app.synth().getStackByName(s.stateful.stackName);
      expect(artifact.terminationProtection ?? false).toBe(forStage(S.terminationProtection, stage));
    },
    serverAccessLogs: (s, stage) => {
      const logs = forStage(S.serverAccessLogs, stage);
      expect(bucket(s.statefulTemplate, 'BucketsAccessLogBucket') !== undefined).toBe(logs);
      for (const b of dataBuckets(s.statefulTemplate)) expect('LoggingConfiguration' in b).toBe(logs);
    },
    idempotencyTableDeletionProtection: (s, stage) =>
      expect(table(s.statefulTemplate)['DeletionProtectionEnabled'] ?? false).toBe(forStage(S.idempotencyTableDeletionProtection, stage)),
    // Not a template property: synth refuses the stage's fakes unless it allows them.
    allowFakeSideEffects: (_s, stage) => {
      const synthWithFakes = (): void => assertNoFakeSideEffects(stageConfig(stage), ['email']);
      if (forStage(S.allowFakeSideEffects, stage)) expect(synthWithFakes).not.toThrow();
      else expect(synthWithFakes).toThrow(/fakes/);
    },
    streamMode: (s, stage) =>
      expect(one(props(s.statefulTemplate, 'AWS::Kinesis::Stream'), 'stream')['StreamModeDetails']).toEqual({
        StreamMode: forStage(S.streamMode, stage),
      }),
    shardCount: (s, stage) =>
      expect(one(props(s.statefulTemplate, 'AWS::Kinesis::Stream'), 'stream')['ShardCount']).toBe(forStage(S.shardCount, stage)),
    streamRetention: (s, stage) =>
      expect(one(props(s.statefulTemplate, 'AWS::Kinesis::Stream'), 'stream')['RetentionPeriodHours']).toBe(
        forStage(S.streamRetention, stage).toHours(),
      ),
    logRetention: (s, stage) => {
      const groups = props(s.computeTemplate, 'AWS::Logs::LogGroup');
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) expect(g['RetentionInDays']).toBe(forStage(S.logRetention, stage));
    },
    archiveBufferingInterval: (s, stage) =>
      expect(firehoseS3(s.computeTemplate).BufferingHints.IntervalInSeconds).toBe(forStage(S.archiveBufferingInterval, stage).toSeconds()),
    archiveBufferingSize: (s, stage) =>
      expect(firehoseS3(s.computeTemplate).BufferingHints.SizeInMBs).toBe(forStage(S.archiveBufferingSize, stage).toMebibytes()),
    consumers: (s, stage) => {
      const consumers = forStage(S.consumers, stage);
      const deployed = functions(s.computeTemplate)
        .filter(([, f]) => tag(f, 'role') === 'consumer')
        .map(([, f]) => tag(f, 'name'));
      expect(deployed).toEqual(consumers.map((c) => c.name));
      expect(resources(s.computeTemplate, 'AWS::Kinesis::StreamConsumer')).toHaveLength(consumers.filter((c) => c.enhancedFanOut).length);
    },
  },
  JobQueue: {
    encryption: (s) => {
      for (const q of [jobQueue(s.statefulTemplate), dlq(s.statefulTemplate)])
        expect(q['SqsManagedSseEnabled']).toBe(Q.encryption.value === QueueEncryption.SQS_MANAGED);
    },
    enforceSSL: (s) => {
      const policies = props(s.statefulTemplate, 'AWS::SQS::QueuePolicy');
      expect(policies).toHaveLength(2);
      for (const p of policies) expect(denyWithoutTls(p)).toBe(Q.enforceSSL.value);
    },
    maxMessageSizeBytes: (s) => {
      for (const q of [jobQueue(s.statefulTemplate), dlq(s.statefulTemplate)])
        expect(q['MaximumMessageSize']).toBe(Q.maxMessageSizeBytes.value);
    },
    retentionPeriod: (s) => expect(jobQueue(s.statefulTemplate)['MessageRetentionPeriod']).toBe(Q.retentionPeriod.value.toSeconds()),
    dlqRetentionPeriod: (s) => expect(dlq(s.statefulTemplate)['MessageRetentionPeriod']).toBe(Q.dlqRetentionPeriod.value.toSeconds()),
    maxReceiveCount: (s) => expect(jobQueue(s.statefulTemplate)['RedrivePolicy'].maxReceiveCount).toBe(Q.maxReceiveCount.value),
    visibilityTimeout: (s) => expect(jobQueue(s.statefulTemplate)['VisibilityTimeout']).toBe(Q.visibilityTimeout.value.toSeconds()),
    workerBatchSize: (s) => expect(one(mappings(s.computeTemplate, 'sqs'), 'worker mapping')['BatchSize']).toBe(Q.workerBatchSize.value),
    workerMaxBatchingWindow: (s) =>
      expect(one(mappings(s.computeTemplate, 'sqs'), 'worker mapping')['MaximumBatchingWindowInSeconds']).toBe(
        Q.workerMaxBatchingWindow.value.toSeconds(),
      ),
    workerMaxConcurrency: (s) =>
      expect(one(mappings(s.computeTemplate, 'sqs'), 'worker mapping')['ScalingConfig']).toEqual({
        MaximumConcurrency: Q.workerMaxConcurrency.value,
      }),
    workerReportBatchItemFailures: (s) =>
      expect(
        one(mappings(s.computeTemplate, 'sqs'), 'worker mapping')['FunctionResponseTypes']?.includes('ReportBatchItemFailures') ?? false,
      ).toBe(Q.workerReportBatchItemFailures.value),
    workerName: (s) => {
      const [, worker] = one(
        functions(s.computeTemplate).filter(([, f]) => tag(f, 'role') === 'worker'),
        'worker',
      );
      expect(tag(worker, 'name')).toBe(Q.workerName.value);
      expect(worker['Environment'].Variables.POWERTOOLS_SERVICE_NAME).toBe(Q.workerName.value);
    },
  },
  EventStream: {
    encryption: (s) =>
      expect(one(props(s.statefulTemplate, 'AWS::Kinesis::Stream'), 'stream')['StreamEncryption']).toEqual(
        STREAM_ENCRYPTION[E.encryption.value],
      ),
    startingPosition: (s) => expectEveryMapping(s, 'StartingPosition', E.startingPosition.value),
    batchSize: (s) => expectEveryMapping(s, 'BatchSize', E.batchSize.value),
    maxBatchingWindow: (s) => expectEveryMapping(s, 'MaximumBatchingWindowInSeconds', E.maxBatchingWindow.value.toSeconds()),
    // The manifest (lambdas/consumers.ts) gives every consumer its factor; the default is the one they give.
    parallelizationFactor: (s) => {
      for (const name of Object.keys(CONSUMERS) as ConsumerName[])
        expect(CONSUMERS[name].parallelizationFactor, name).toBe(E.parallelizationFactor.value);
      expectEveryMapping(s, 'ParallelizationFactor', E.parallelizationFactor.value);
    },
    bisectBatchOnError: (s) => expectEveryMapping(s, 'BisectBatchOnFunctionError', E.bisectBatchOnError.value),
    retryAttempts: (s) => expectEveryMapping(s, 'MaximumRetryAttempts', E.retryAttempts.value),
    maxRecordAge: (s) => {
      const age = E.maxRecordAge.value;
      expectEveryMapping(s, 'MaximumRecordAgeInSeconds', age === 'infinite' ? INFINITE_RECORD_AGE_SECONDS : age.toSeconds());
    },
    metrics: (s) => expectEveryMapping(s, 'MetricsConfig', { Metrics: [...E.metrics.value] }),
    reportBatchItemFailures: (s) => {
      for (const m of mappings(s.computeTemplate, 'kinesis'))
        expect(m['FunctionResponseTypes']?.includes('ReportBatchItemFailures') ?? false).toBe(E.reportBatchItemFailures.value);
    },
    onFailure: (s) => {
      expect(E.onFailure.value.prototype.bind).toBeTypeOf('function');
      for (const m of mappings(s.computeTemplate, 'kinesis')) {
        expect(JSON.stringify(m['DestinationConfig'].OnFailure.Destination)).toMatch(/ExportsOutputFnGetAttBucketsFailureBucket\w+Arn/);
      }
    },
    enhancedFanOut: (s, stage) => {
      const optedIn = forStage(S.consumers, stage).filter((c) => c.enhancedFanOut).length;
      const overridden = optedIn > 0 && !E.enhancedFanOut.value;
      if (!overridden) expect(resources(s.computeTemplate, 'AWS::Kinesis::StreamConsumer').length > 0).toBe(E.enhancedFanOut.value);
    },
  },
  EventArchive: {
    dataOutputPrefix: (s) => expect(firehoseS3(s.computeTemplate).Prefix).toBe(A.dataOutputPrefix.value),
    errorOutputPrefix: (s) => expect(firehoseS3(s.computeTemplate).ErrorOutputPrefix).toBe(A.errorOutputPrefix.value),
    compression: (s) => expect(firehoseS3(s.computeTemplate).CompressionFormat).toBe(A.compression.value.value),
    recordDelimiter: (s) => {
      const scope = new Stack(new App(), 'Probe');
      const { processorType } = A.recordDelimiter.value.bind(scope, {
        role: new iam.Role(scope, 'Role', { assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com') }),
      });
      expect(firehoseS3(s.computeTemplate).ProcessingConfiguration).toEqual({
        Enabled: true,
        Processors: [{ Type: processorType, Parameters: [] }],
      });
    },
  },
  ArchiveQuery: {
    projectionYears: (s) =>
      expect(one(props(s.statefulTemplate, 'AWS::Glue::Table'), 'events table')['TableInput'].Parameters['projection.year.range']).toBe(
        AQ.projectionYears.value.join(','),
      ),
    engineVersion: (s) => expect(workGroup(s.statefulTemplate).EngineVersion).toEqual({ SelectedEngineVersion: AQ.engineVersion.value }),
    bytesScannedCutoffPerQuery: (s) =>
      expect(workGroup(s.statefulTemplate).BytesScannedCutoffPerQuery).toBe(AQ.bytesScannedCutoffPerQuery.value),
    enforceWorkGroupConfiguration: (s) =>
      expect(workGroup(s.statefulTemplate).EnforceWorkGroupConfiguration).toBe(AQ.enforceWorkGroupConfiguration.value),
    resultsEncryption: (s) =>
      expect(workGroup(s.statefulTemplate).ResultConfiguration.EncryptionConfiguration).toEqual({
        EncryptionOption: AQ.resultsEncryption.value,
      }),
    resultsExpiration: (s) =>
      expect(bucket(s.statefulTemplate, 'ArchiveQueryResultsBucket')?.['LifecycleConfiguration'].Rules[0].ExpirationInDays).toBe(
        AQ.resultsExpiration.value.toDays(),
      ),
  },
  Buckets: {
    encryption: (s) => {
      for (const b of props(s.statefulTemplate, 'AWS::S3::Bucket')) {
        expect(b['BucketEncryption'].ServerSideEncryptionConfiguration).toEqual([
          { ServerSideEncryptionByDefault: { SSEAlgorithm: SSE_ALGORITHM[B.encryption.value] } },
        ]);
      }
    },
    blockPublicAccess: (s) => {
      const v = B.blockPublicAccess.value;
      const expected = {
        BlockPublicAcls: v.blockPublicAcls,
        BlockPublicPolicy: v.blockPublicPolicy,
        IgnorePublicAcls: v.ignorePublicAcls,
        RestrictPublicBuckets: v.restrictPublicBuckets,
      };
      for (const b of props(s.statefulTemplate, 'AWS::S3::Bucket')) expect(b['PublicAccessBlockConfiguration']).toEqual(expected);
    },
    enforceSSL: (s) => {
      const policies = props(s.statefulTemplate, 'AWS::S3::BucketPolicy');
      expect(policies).toHaveLength(props(s.statefulTemplate, 'AWS::S3::Bucket').length);
      for (const p of policies) expect(denyWithoutTls(p)).toBe(B.enforceSSL.value);
    },
    versioned: (s) => {
      for (const b of dataBuckets(s.statefulTemplate)) expect(b['VersioningConfiguration']?.Status === 'Enabled').toBe(B.versioned.value);
    },
    archiveInfrequentAccessAfter: (s) =>
      expect(archiveRule(s).Transitions).toContainEqual({
        StorageClass: 'STANDARD_IA',
        TransitionInDays: B.archiveInfrequentAccessAfter.value.toDays(),
      }),
    archiveGlacierInstantRetrievalAfter: (s) =>
      expect(archiveRule(s).Transitions).toContainEqual({
        StorageClass: 'GLACIER_IR',
        TransitionInDays: B.archiveGlacierInstantRetrievalAfter.value.toDays(),
      }),
    archiveNoncurrentVersionExpiration: (s) =>
      expect(archiveRule(s).NoncurrentVersionExpiration).toEqual({ NoncurrentDays: B.archiveNoncurrentVersionExpiration.value.toDays() }),
    failureExpiration: (s) => expect(failureRule(s).ExpirationInDays).toBe(B.failureExpiration.value.toDays()),
    failureNoncurrentVersionExpiration: (s) =>
      expect(failureRule(s).NoncurrentVersionExpiration).toEqual({ NoncurrentDays: B.failureNoncurrentVersionExpiration.value.toDays() }),
    // Only a stage with server access logs has the access-log bucket (Stage · serverAccessLogs checks which).
    accessLogExpiration: (s) => {
      const accessLogs = bucket(s.statefulTemplate, 'BucketsAccessLogBucket');
      if (accessLogs) expect(accessLogs['LifecycleConfiguration'].Rules[0].ExpirationInDays).toBe(B.accessLogExpiration.value.toDays());
    },
    abortIncompleteMultipartUploadAfter: (s) => {
      for (const b of props(s.statefulTemplate, 'AWS::S3::Bucket')) {
        for (const rule of b['LifecycleConfiguration'].Rules) {
          expect(rule.AbortIncompleteMultipartUpload).toEqual({
            DaysAfterInitiation: B.abortIncompleteMultipartUploadAfter.value.toDays(),
          });
        }
      }
    },
  },
  IdempotencyTable: {
    billingMode: (s) => expect(table(s.statefulTemplate)['BillingMode']).toBe(I.billingMode.value),
    partitionKey: (s) => {
      const key = I.partitionKey.value;
      expect(table(s.statefulTemplate)['KeySchema']).toEqual([{ AttributeName: key.name, KeyType: 'HASH' }]);
      expect(table(s.statefulTemplate)['AttributeDefinitions']).toEqual([{ AttributeName: key.name, AttributeType: key.type }]);
    },
    timeToLiveAttribute: (s) =>
      expect(table(s.statefulTemplate)['TimeToLiveSpecification']).toEqual({ AttributeName: I.timeToLiveAttribute.value, Enabled: true }),
    recordExpiry: (s) => {
      const withRecords = functions(s.computeTemplate).filter(([, f]) => 'IDEMPOTENCY_EXPIRY_SECONDS' in f['Environment'].Variables);
      expect(withRecords.length).toBeGreaterThan(0);
      for (const [, f] of withRecords)
        expect(f['Environment'].Variables.IDEMPOTENCY_EXPIRY_SECONDS).toBe(String(I.recordExpiry.value.toSeconds()));
    },
    encryption: (s) => expect(table(s.statefulTemplate)['SSESpecification']).toEqual(TABLE_SSE[I.encryption.value]),
    pointInTimeRecovery: (s) =>
      expect(table(s.statefulTemplate)['PointInTimeRecoverySpecification']).toEqual({
        PointInTimeRecoveryEnabled: I.pointInTimeRecovery.value,
      }),
  },
  HouseFunction: {
    runtime: (s) => expectEveryFunction(s, (f) => expect(f['Runtime']).toBe(H.runtime.value.name)),
    architecture: (s) => expectEveryFunction(s, (f) => expect(f['Architectures']).toEqual([H.architecture.value.name])),
    memorySize: (s) => expectEveryFunction(s, (f) => expect(f['MemorySize']).toBe(H.memorySize.value)),
    timeout: (s) => expectEveryFunction(s, (f) => expect(f['Timeout']).toBe(H.timeout.value.toSeconds())),
    tracing: (s) => expectEveryFunction(s, (f) => expect(f['TracingConfig']).toEqual({ Mode: H.tracing.value })),
    // Bundling options: read in the bundles the templates' assets point at.
    minify: (s) => {
      for (const b of bundles(s)) {
        const lines = b.code.split('\n').length;
        expect(b.code.length / lines > 500, 'average line length of a minified bundle').toBe(H.minify.value);
      }
    },
    sourceMap: (s) => {
      for (const b of bundles(s)) expect(b.map !== undefined).toBe(H.sourceMap.value);
      expectEveryFunction(s, (f) => expect(f['Environment'].Variables.NODE_OPTIONS === '--enable-source-maps').toBe(H.sourceMap.value));
    },
    sourcesContent: (s) => {
      for (const b of bundles(s)) expect(b.map !== undefined && 'sourcesContent' in b.map).toBe(H.sourcesContent.value);
    },
    externalModules: (s) => {
      for (const b of bundles(s)) {
        for (const pattern of H.externalModules.value) {
          const prefix = pattern.replace(/\*$/, '');
          expect(
            b.map?.sources.some((src) => src.includes(`node_modules/${prefix}`)),
            `${pattern} is not bundled`,
          ).toBe(false);
        }
      }
    },
    metricsNamespace: (s) =>
      expectEveryFunction(s, (f) => expect(f['Environment'].Variables.POWERTOOLS_METRICS_NAMESPACE).toBe(H.metricsNamespace.value)),
    logLevel: (s) => expectEveryFunction(s, (f) => expect(f['Environment'].Variables.POWERTOOLS_LOG_LEVEL).toBe(H.logLevel.value)),
  },
  Monitoring: {
    period: (s) => {
      for (const a of alarms(s.computeTemplate)) expect(a['Period']).toBe(M.period.value.toSeconds());
    },
    jobQueueOldestMessageAge: (s) =>
      expect(one(alarmsOn(s.computeTemplate, 'ApproximateAgeOfOldestMessage'), 'oldest job alarm')['Threshold']).toBe(
        M.jobQueueOldestMessageAge.value.toSeconds(),
      ),
    consumerIteratorAge: (s) => {
      for (const a of alarmsOn(s.computeTemplate, 'IteratorAge')) expect(a['Threshold']).toBe(M.consumerIteratorAge.value.toMilliseconds());
    },
    consumerFailedRecords: (s) => {
      for (const a of alarmsOn(s.computeTemplate, FAILURE_BUCKET_METRIC)) expect(a['Threshold']).toBe(M.consumerFailedRecords.value);
    },
    consumerDroppedRecords: (s) => {
      for (const a of alarmsOn(s.computeTemplate, DROPPED_METRIC)) expect(a['Threshold']).toBe(M.consumerDroppedRecords.value);
    },
    throttleEvaluationPeriods: (s) => {
      const streamThrottles = ['WriteProvisionedThroughputExceeded', 'ReadProvisionedThroughputExceeded'].map((n) =>
        one(alarmsOn(s.computeTemplate, n), n),
      );
      for (const a of streamThrottles) expect(a['EvaluationPeriods']).toBe(M.throttleEvaluationPeriods.value);
    },
    archiveDataFreshnessIntervals: (s, stage) => {
      const threshold = Duration.seconds(forStage(S.archiveBufferingInterval, stage).toSeconds() * M.archiveDataFreshnessIntervals.value);
      expect(one(alarmsOn(s.computeTemplate, 'DeliveryToS3.DataFreshness'), 'freshness alarm')['Threshold']).toBe(threshold.toSeconds());
    },
    treatMissingData: (s) => {
      for (const a of alarms(s.computeTemplate)) expect(a['TreatMissingData']).toBe(M.treatMissingData.value);
    },
  },
};

function expectEveryMapping(s: SynthesizedStage, property: string, expected: unknown): void {
  const all = mappings(s.computeTemplate, 'kinesis');
  expect(all.length).toBeGreaterThan(0);
  for (const m of all) expect(m[property], property).toEqual(expected);
}

function expectEveryFunction(s: SynthesizedStage, check: (f: Props) => void): void {
  const all = functions(s.computeTemplate);
  expect(all.length).toBeGreaterThan(0);
  for (const [, f] of all) check(f);
}

const archiveRule = (s: SynthesizedStage): Props => bucket(s.statefulTemplate, 'BucketsArchiveBucket')?.['LifecycleConfiguration'].Rules[0];
const failureRule = (s: SynthesizedStage): Props => bucket(s.statefulTemplate, 'BucketsFailureBucket')?.['LifecycleConfiguration'].Rules[0];

const entries = ALL_DEFAULTS.flatMap(([owner, defaults]: readonly [string, DefaultsTable]) =>
  Object.entries(defaults).map(([key, entry]) => ({ owner, key, entry })),
);

describe('every documented default is what the templates apply', () => {
  it('every check names a documented entry (no check outlives its default)', () => {
    const documented = new Set(entries.map((e) => `${e.owner} · ${e.key}`));
    const checked = Object.entries(CHECKS).flatMap(([owner, checks]) => Object.keys(checks).map((key) => `${owner} · ${key}`));
    expect(checked.filter((c) => !documented.has(c))).toEqual([]);
  });

  it.each(entries.filter((e) => e.entry.kind === 'prose').map((e) => [e.owner, e.key] as const))(
    '%s · %s is prose: no check, nothing to look up',
    (owner, key) => {
      expect(CHECKS[owner]?.[key]).toBeUndefined();
    },
  );

  describe.each(STAGES)('%s', (stage) => {
    it.each(entries.filter((e) => e.entry.kind !== 'prose').map((e) => [e.owner, e.key] as const))('%s · %s', (owner, key) => {
      const check = CHECKS[owner]?.[key];
      expect(
        check,
        `${owner} · ${key} is documented but nothing checks it in the template: add a check here, or mark it kind: 'prose'`,
      ).toBeDefined();
      check?.(defaultStage(stage), stage);
    });
  });
});
