import { Aws, Fn, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { EventEnvelopeSchema } from '../lambdas/shared/envelope';
import { ARCHIVE_QUERY_DEFAULTS as D } from './archive-query-defaults';
import { BUCKETS_DEFAULTS } from './buckets-defaults';
import { EVENT_ARCHIVE_DEFAULTS } from './event-archive-defaults';
import { logicalIdOf, objectsOfBucket } from './nag-helpers';

/** The table's name on both engines: Athena (Glue) and DuckDB (`npm run query` locally). */
export const EVENTS_TABLE = 'events';
/** The archive's date partitions, in path order: `events/year=YYYY/month=MM/day=DD/hour=HH/`. */
export const PARTITION_COLUMNS = ['year', 'month', 'day', 'hour'] as const;
const PROJECTION = {
  year: { range: D.projectionYears.value.join(',') },
  month: { range: '1,12', digits: '2' },
  day: { range: '1,31', digits: '2' },
  hour: { range: '0,23', digits: '2' },
} as const satisfies Record<(typeof PARTITION_COLUMNS)[number], { range: string; digits?: string }>;

/** The archive's data prefix before its date partitions (`events/`), from the Firehose prefix itself. */
export const ARCHIVE_DATA_PREFIX = EVENT_ARCHIVE_DEFAULTS.dataOutputPrefix.value.slice(
  0,
  EVENT_ARCHIVE_DEFAULTS.dataOutputPrefix.value.indexOf('year='),
);

export interface ArchiveColumn {
  /** Hive/Glue column name: the envelope field name in lower case (Athena folds identifiers; SQL may write `occurredAt`) */
  readonly name: string;
  /** the envelope field name as it is in the JSON */
  readonly field: string;
  readonly type: string;
  /** the same type in DuckDB's spelling, with the JSON's own key names (read_json matches keys as written) */
  readonly duckdbType: string;
  /** a payload kept whole: read as JSON, shown as its text */
  readonly payload: boolean;
  readonly comment: string;
}

type ZodLike = { _zod: { def: { type: string; format?: string; shape?: Record<string, ZodLike>; innerType?: ZodLike } } };

function hiveType(schema: ZodLike, at: string): string {
  const def = schema._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
      return hiveType(def.innerType!, at);
    case 'string':
    case 'literal':
      return 'string';
    case 'number':
      return def.format === 'safeint' || def.format === 'int32' ? 'int' : 'double';
    case 'boolean':
      return 'boolean';
    // a payload differs per event type: kept whole, as JSON text (the OpenX SerDe and DuckDB both give the text)
    case 'record':
      return 'string';
    case 'object':
      return `struct<${Object.entries(def.shape!)
        .map(([k, v]) => `${k.toLowerCase()}:${hiveType(v, `${at}.${k}`)}`)
        .join(',')}>`;
    default:
      throw new Error(`archive table: no Hive type for envelope field ${at} (zod type ${def.type}); map it in lib/archive-query.ts`);
  }
}

function duckdbType(schema: ZodLike, at: string): string {
  const def = schema._zod.def;
  if (def.type === 'optional' || def.type === 'nullable') return duckdbType(def.innerType!, at);
  if (def.type === 'record') return 'JSON';
  if (def.type === 'object') {
    return `STRUCT(${Object.entries(def.shape!)
      .map(([k, v]) => `"${k}" ${duckdbType(v, `${at}.${k}`)}`)
      .join(', ')})`;
  }
  const hive = hiveType(schema, at);
  return { string: 'VARCHAR', int: 'INTEGER', double: 'DOUBLE', boolean: 'BOOLEAN' }[hive] ?? hive;
}

const unwrap = (schema: ZodLike): ZodLike =>
  schema._zod.def.type === 'optional' || schema._zod.def.type === 'nullable' ? unwrap(schema._zod.def.innerType!) : schema;

/** The archive table's columns, generated from the event envelope schema (so the two cannot drift). */
export function archiveColumns(): ArchiveColumn[] {
  const shape = (EventEnvelopeSchema as unknown as ZodLike)._zod.def.shape!;
  return Object.entries(shape).map(([field, schema]) => ({
    name: field.toLowerCase(),
    field,
    type: hiveType(schema, field),
    duckdbType: duckdbType(schema, field),
    payload: unwrap(schema)._zod.def.type === 'record',
    comment:
      field === 'data'
        ? "envelope field data: the payload as JSON text (json_extract_scalar(data, '$.orderId'))"
        : field === 'replay'
          ? 'envelope field replay: set only on copies re-published by npm run replay (replayId, replayedAt, target)'
          : `envelope field ${field}`,
  }));
}

export interface ArchiveQueryProps {
  /** The archive bucket Firehose writes GZIP NDJSON to. */
  readonly archiveBucket: s3.IBucket;
  /** Glue database name (lower case, letters, digits, underscores). */
  readonly databaseName: string;
  readonly removalPolicy: RemovalPolicy;
  readonly autoDeleteObjects: boolean;
  /** Server access logs of the results bucket go here when the stage logs access (prod). */
  readonly accessLogBucket?: s3.IBucket;
}

/**
 * The archive, queryable: a Glue table over the GZIP NDJSON objects (partition projection on the date prefix: no
 * crawler, no partition maintenance), an Athena workgroup with enforced settings and a scan limit, encrypted
 * results in their own bucket that forgets them, and a managed policy granting exactly what `npm run query
 * --stage` does.
 */
export class ArchiveQuery extends Construct {
  readonly database: glue.CfnDatabase;
  readonly table: glue.CfnTable;
  readonly workGroup: athena.CfnWorkGroup;
  readonly resultsBucket: s3.Bucket;
  readonly queryPolicy: iam.ManagedPolicy;
  readonly databaseName: string;
  readonly tableName = EVENTS_TABLE;
  readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: ArchiveQueryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.databaseName = props.databaseName;
    this.workGroupName = `${stack.stackName}-archive`;

    this.resultsBucket = new s3.Bucket(this, 'ResultsBucket', {
      encryption: BUCKETS_DEFAULTS.encryption.value,
      blockPublicAccess: BUCKETS_DEFAULTS.blockPublicAccess.value,
      enforceSSL: BUCKETS_DEFAULTS.enforceSSL.value,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
      lifecycleRules: [
        {
          expiration: D.resultsExpiration.value,
          abortIncompleteMultipartUploadAfter: BUCKETS_DEFAULTS.abortIncompleteMultipartUploadAfter.value,
        },
      ],
      ...(props.accessLogBucket ? { serverAccessLogsBucket: props.accessLogBucket, serverAccessLogsPrefix: 'query-results/' } : {}),
    });
    if (!props.accessLogBucket) {
      NagSuppressions.addResourceSuppressions(this.resultsBucket, [
        {
          id: 'AwsSolutions-S1',
          reason:
            'Only a stage with serverAccessLogs off (dev) omits them, as for the archive and failure buckets: disposable data, and late log ' +
            'delivery after the auto-delete makes `cdk destroy` fail (aws/aws-cdk#16332). Prod logs access to query results.',
        },
      ]);
    }

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: props.databaseName,
        description: 'The event archive (Firehose → S3), queryable with Athena; see queries/ and npm run query',
      },
    });
    this.database.applyRemovalPolicy(props.removalPolicy);

    const location = Fn.join('', ['s3://', props.archiveBucket.bucketName, '/', ARCHIVE_DATA_PREFIX]);
    const template = Fn.join('', [location, PARTITION_COLUMNS.map((c) => `${c}=\${${c}}`).join('/'), '/']);
    const projection: Record<string, string> = { 'projection.enabled': 'true', 'storage.location.template': template };
    for (const c of PARTITION_COLUMNS) {
      const p: { range: string; digits?: string } = PROJECTION[c];
      projection[`projection.${c}.type`] = 'integer';
      projection[`projection.${c}.range`] = p.range;
      if (p.digits) projection[`projection.${c}.digits`] = p.digits;
    }
    this.table = new glue.CfnTable(this, 'EventsTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: props.databaseName,
      tableInput: {
        name: EVENTS_TABLE,
        description:
          'Every event on the stream, one row per archived line (GZIP NDJSON of the event envelope); a malformed line is a row of NULLs',
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'json', compressionType: 'gzip', EXTERNAL: 'TRUE', ...projection },
        partitionKeys: PARTITION_COLUMNS.map((c) => ({
          name: c,
          type: 'int',
          comment: `archive prefix ${c}= (UTC, when the record reached the archive)`,
        })),
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true', 'serialization.format': '1' },
          },
          columns: archiveColumns().map(({ name, type, comment }) => ({ name, type, comment })),
        },
      },
    });
    this.table.addResourceDependency(this.database);
    this.table.applyRemovalPolicy(props.removalPolicy);

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'Queries over the event archive (npm run query --stage); settings enforced',
      state: 'ENABLED',
      // the workgroup holds no data (results live in the bucket): deleting it must not fail on its query history
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: D.enforceWorkGroupConfiguration.value,
        bytesScannedCutoffPerQuery: D.bytesScannedCutoffPerQuery.value,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: D.engineVersion.value },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/`,
          encryptionConfiguration: { encryptionOption: D.resultsEncryption.value },
        },
      },
    });
    this.workGroup.applyRemovalPolicy(props.removalPolicy);

    // Exactly what `npm run query --stage` (tools/query) calls, and on what: the stack's outputs, this workgroup,
    // this table, the archive's events/ objects (Athena reads S3 with the caller's permissions), the results.
    const archiveObjects = props.archiveBucket.arnForObjects(`${ARCHIVE_DATA_PREFIX}*`);
    this.queryPolicy = new iam.ManagedPolicy(this, 'QueryPolicy', {
      description: `Run npm run query --stage against ${stack.stackName}: Athena in workgroup ${this.workGroupName}, read the archive, write results`,
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadStackOutputs',
          actions: ['cloudformation:DescribeStacks'],
          resources: [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*` })],
        }),
        new iam.PolicyStatement({
          sid: 'RunQueriesInTheWorkGroup',
          actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
          resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName })],
        }),
        new iam.PolicyStatement({
          sid: 'ReadTheTableDefinition',
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName }),
            stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/${EVENTS_TABLE}` }),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'ListTheArchiveEvents',
          actions: ['s3:ListBucket'],
          resources: [props.archiveBucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${ARCHIVE_DATA_PREFIX}*`] } },
        }),
        new iam.PolicyStatement({ sid: 'ReadTheArchiveEvents', actions: ['s3:GetObject'], resources: [archiveObjects] }),
        new iam.PolicyStatement({
          sid: 'LocateBuckets',
          actions: ['s3:GetBucketLocation'],
          resources: [props.archiveBucket.bucketArn, this.resultsBucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'ListResults',
          actions: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
          resources: [this.resultsBucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'WriteAndReadResults',
          actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          resources: [this.resultsBucket.arnForObjects('*')],
        }),
      ],
    });
    const archiveId = logicalIdOf(props.archiveBucket);
    NagSuppressions.addResourceSuppressions(this.queryPolicy, [
      {
        id: 'AwsSolutions-IAM5',
        appliesTo: [
          ...objectsOfBucket(this.resultsBucket),
          `Resource::<${archiveId}.Arn>/${ARCHIVE_DATA_PREFIX}*`,
          // the region and account print as tokens or literals, depending on the stack's env
          { regex: `/^Resource::arn:.+:cloudformation:.+:stack\\/${stack.stackName}\\/\\*$/` },
        ],
        reason:
          'Athena names its result objects per query id and reads archive objects whose keys Firehose generates (date prefixes + random ' +
          'suffix), so the object ARNs end in a wildcard: results bucket only, and under events/ only in the archive (no errors/, no other ' +
          'bucket). DescribeStacks is on this stack only; the wildcard is its stack id, which changes on every re-creation.',
      },
    ]);
  }
}
