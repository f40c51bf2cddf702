// The queryable archive in the stateful stack: Glue database + table (partition projection, columns from the
// envelope schema), Athena workgroup (enforced, encrypted results, scan limit), results bucket, the query policy.
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { EventEnvelopeSchema } from '../../lambdas/shared/envelope';
import { ARCHIVE_DATA_PREFIX, archiveColumns, EVENTS_TABLE } from '../../lib/archive-query';
import { ARCHIVE_QUERY_DEFAULTS } from '../../lib/archive-query-defaults';
import { EVENT_ARCHIVE_DEFAULTS } from '../../lib/event-archive-defaults';
import { defaultStage, logicalId, type TemplateJson } from './app-fixture';

const dev = defaultStage('dev');
const prod = defaultStage('prod');
const t = dev.statefulTemplate;
const ARCHIVE = logicalId(t, 'AWS::S3::Bucket', 'BucketsArchiveBucket');
const RESULTS = logicalId(t, 'AWS::S3::Bucket', 'ArchiveQueryResultsBucket');
const table = (): TemplateJson => Object.values(t.findResources('AWS::Glue::Table'))[0]!.Properties.TableInput;

describe('Glue table over the archive', () => {
  it('has one column per envelope field, named as the field (lower case), data kept whole and replay a struct', () => {
    const fields = Object.keys((EventEnvelopeSchema as unknown as { shape: Record<string, unknown> }).shape);
    const columns = table().StorageDescriptor.Columns as { Name: string; Type: string }[];
    expect(columns.map((c) => c.Name)).toEqual(fields.map((f) => f.toLowerCase()));
    expect(Object.fromEntries(columns.map((c) => [c.Name, c.Type]))).toEqual({
      kind: 'string',
      id: 'string',
      type: 'string',
      version: 'int',
      occurredat: 'string',
      partitionkey: 'string',
      data: 'string',
      replay: 'struct<replayid:string,replayedat:string,target:string>',
    });
    expect(columns).toEqual(archiveColumns().map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment })));
  });

  it('is named events in its own database and reads GZIP NDJSON with the OpenX SerDe, malformed lines as NULLs', () => {
    t.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'queue_and_stream_dev' } });
    prod.statefulTemplate.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'queue_and_stream_prod' } });
    t.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'queue_and_stream_dev',
      TableInput: {
        Name: EVENTS_TABLE,
        TableType: 'EXTERNAL_TABLE',
        StorageDescriptor: {
          Location: { 'Fn::Join': ['', ['s3://', { Ref: ARCHIVE }, '/events/']] },
          InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          SerdeInfo: {
            SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            Parameters: Match.objectLike({ 'ignore.malformed.json': 'true', 'case.insensitive': 'true' }),
          },
        },
      },
    });
  });

  it("projects the archive's date prefix (no crawler, no partitions to maintain)", () => {
    const tbl = table();
    expect(tbl.PartitionKeys.map((p: { Name: string; Type: string }) => `${p.Name}:${p.Type}`)).toEqual([
      'year:int',
      'month:int',
      'day:int',
      'hour:int',
    ]);
    expect(tbl.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.year.type': 'integer',
      'projection.month.range': '1,12',
      'projection.month.digits': '2',
      'projection.day.range': '1,31',
      'projection.day.digits': '2',
      'projection.hour.range': '0,23',
      'projection.hour.digits': '2',
      'storage.location.template': {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's projection template, not a JavaScript one
        'Fn::Join': ['', ['s3://', { Ref: ARCHIVE }, '/events/year=${year}/month=${month}/day=${day}/hour=${hour}/']],
      },
    });
    // the template is the Firehose prefix with each !{timestamp:…} as its partition column
    expect(EVENT_ARCHIVE_DEFAULTS.dataOutputPrefix.value).toBe(
      `${ARCHIVE_DATA_PREFIX}year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/`,
    );
    expect(t.findResources('AWS::Glue::Crawler')).toEqual({});
  });
});

describe('Athena workgroup', () => {
  it('enforces its settings: encrypted results in their own bucket, engine 3, the scan limit', () => {
    t.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'QueueAndStream-Dev-Stateful-archive',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: ARCHIVE_QUERY_DEFAULTS.bytesScannedCutoffPerQuery.value,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: RESULTS }, '/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        },
      },
    });
    expect(ARCHIVE_QUERY_DEFAULTS.bytesScannedCutoffPerQuery.value).toBe(10 * 1024 ** 3);
  });

  it('results bucket: SSE-S3, no public access, TLS only, results expire after a week', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7, Status: 'Enabled' })] },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: RESULTS },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('prod: results bucket kept and its access logged', () => {
    const p = prod.statefulTemplate;
    const results = logicalId(p, 'AWS::S3::Bucket', 'ArchiveQueryResultsBucket');
    expect(p.findResources('AWS::S3::Bucket')[results]?.DeletionPolicy).toBe('Retain');
    expect(p.findResources('AWS::S3::Bucket')[results]?.Properties.LoggingConfiguration.LogFilePrefix).toBe('query-results/');
    expect(Object.values(p.findResources('AWS::Athena::WorkGroup'))[0]?.DeletionPolicy).toBe('Retain');
  });
});

describe('query policy', () => {
  const statements = (): TemplateJson[] =>
    Object.values(t.findResources('AWS::IAM::ManagedPolicy'))[0]!.Properties.PolicyDocument.Statement;

  it('grants exactly what npm run query --stage calls', () => {
    const bySid = Object.fromEntries(statements().map((s) => [s.Sid, [s.Action].flat().sort()]));
    expect(bySid).toEqual({
      ReadStackOutputs: ['cloudformation:DescribeStacks'],
      RunQueriesInTheWorkGroup: [
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StartQueryExecution',
        'athena:StopQueryExecution',
      ],
      ReadTheTableDefinition: ['glue:BatchGetPartition', 'glue:GetDatabase', 'glue:GetPartition', 'glue:GetPartitions', 'glue:GetTable'],
      ListTheArchiveEvents: ['s3:ListBucket'],
      ReadTheArchiveEvents: ['s3:GetObject'],
      LocateBuckets: ['s3:GetBucketLocation'],
      ListResults: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
      WriteAndReadResults: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
    });
    for (const s of statements()) expect(JSON.stringify(s.Resource), s.Sid).not.toBe('"*"');
  });

  it("reads only the archive's events/ objects, never errors/ or another bucket", () => {
    const read = statements().find((s) => s.Sid === 'ReadTheArchiveEvents')!;
    expect(read.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [ARCHIVE, 'Arn'] }, '/events/*']] });
    expect(statements().find((s) => s.Sid === 'ListTheArchiveEvents')!.Condition).toEqual({ StringLike: { 's3:prefix': ['events/*'] } });
  });

  it('is an output, with the names the query tool reads', () => {
    const outputs = t.findOutputs('*');
    for (const name of [
      'ArchiveQueryPolicyArn',
      'ArchiveQueryWorkGroup',
      'ArchiveDatabaseName',
      'ArchiveTableName',
      'QueryResultsBucketName',
    ]) {
      expect(outputs, name).toHaveProperty(name);
    }
    expect(outputs['ArchiveQueryPolicyArn']!.Value).toEqual({ Ref: logicalId(t, 'AWS::IAM::ManagedPolicy', 'ArchiveQueryQueryPolicy') });
  });
});
