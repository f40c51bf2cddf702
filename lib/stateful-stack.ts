import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ArchiveQuery } from './archive-query';
import { Buckets } from './buckets';
import { STATEFUL_OUTPUTS as O, type StatefulOutput } from './contract';
import { EventStream } from './event-stream';
import { IdempotencyTable } from './idempotency-table';
import { JobQueue } from './job-queue';
import type { StageConfig } from './stage-config';

export interface StatefulStackProps extends StackProps {
  readonly config: StageConfig;
}

/** Everything that holds data: job queue + DLQ, event stream, archive and failure buckets, idempotency records. */
export class StatefulStack extends Stack {
  readonly buckets: Buckets;
  readonly jobQueue: JobQueue;
  readonly eventStream: EventStream;
  readonly idempotencyTable: IdempotencyTable;
  readonly archiveQuery: ArchiveQuery;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    const { config } = props;
    super(scope, id, { ...props, terminationProtection: config.terminationProtection });

    this.buckets = new Buckets(this, 'Buckets', {
      removalPolicy: config.removalPolicy,
      autoDeleteObjects: config.autoDeleteObjects,
      serverAccessLogs: config.serverAccessLogs,
    });
    this.jobQueue = new JobQueue(this, 'JobQueue', { removalPolicy: config.removalPolicy });
    this.eventStream = new EventStream(this, 'EventStream', {
      streamMode: config.streamMode,
      shardCount: config.shardCount,
      retentionPeriod: config.streamRetention,
      removalPolicy: config.removalPolicy,
      failureBucket: this.buckets.failureBucket,
    });
    this.idempotencyTable = new IdempotencyTable(this, 'IdempotencyTable', {
      removalPolicy: config.removalPolicy,
      deletionProtection: config.idempotencyTableDeletionProtection,
    });
    this.archiveQuery = new ArchiveQuery(this, 'ArchiveQuery', {
      archiveBucket: this.buckets.archiveBucket,
      databaseName: `queue_and_stream_${config.stage}`,
      removalPolicy: config.removalPolicy,
      autoDeleteObjects: config.autoDeleteObjects,
      ...(this.buckets.accessLogBucket ? { accessLogBucket: this.buckets.accessLogBucket } : {}),
    });

    // Output names are part of the contract (lib/contract.ts): the ops and query tools read them on AWS.
    const outputs: Record<StatefulOutput, [string, string]> = {
      [O.jobQueueUrl]: [this.jobQueue.queue.queueUrl, 'URL of the jobs queue (producers, redrive target)'],
      [O.jobQueueArn]: [this.jobQueue.queue.queueArn, 'ARN of the jobs queue'],
      [O.jobDlqUrl]: [this.jobQueue.deadLetterQueue.queueUrl, 'URL of the jobs dead-letter queue (redrive source)'],
      [O.eventStreamName]: [this.eventStream.stream.streamName, 'Name of the domain event stream'],
      [O.eventStreamArn]: [this.eventStream.stream.streamArn, 'ARN of the domain event stream'],
      [O.archiveBucketName]: [this.buckets.archiveBucket.bucketName, 'Bucket with the GZIP NDJSON event archive (replay source)'],
      [O.failureBucketName]: [this.buckets.failureBucket.bucketName, 'Bucket with batches the consumers discarded (redrive source)'],
      [O.idempotencyTableName]: [this.idempotencyTable.table.tableName, 'DynamoDB table of the envelope ids each function has processed'],
      // npm run query --stage (tools/query) reads these; attach ArchiveQueryPolicyArn to whoever runs it
      [O.archiveDatabaseName]: [this.archiveQuery.databaseName, 'Glue database of the queryable event archive'],
      [O.archiveTableName]: [this.archiveQuery.tableName, 'Glue table over the archive (the envelope fields as columns)'],
      [O.archiveQueryWorkGroup]: [this.archiveQuery.workGroupName, 'Athena workgroup for archive queries (enforced settings, scan limit)'],
      [O.queryResultsBucketName]: [this.archiveQuery.resultsBucket.bucketName, 'Bucket with Athena query results (expire after a week)'],
      [O.archiveQueryPolicyArn]: [
        this.archiveQuery.queryPolicy.managedPolicyArn,
        'Managed policy granting exactly what npm run query --stage uses',
      ],
    };
    for (const [name, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, name, { value, description });
    }

    // The compute stack imports these (strong references, see ComputeStack). CDK would export only what compute
    // uses today and drop an export when compute stops using it, which CloudFormation refuses while the
    // deployed compute stack still imports it (the stateful stack deploys first): pinned, a change in compute
    // never blocks a deploy. An export in use can be neither changed nor deleted, so a stateful change that
    // would replace one of these resources fails loudly instead of leaving compute on the old resource.
    for (const value of this.exportsForCompute) this.exportValue(value);
  }

  /** Every stateful value the compute stack may reference, exported whether or not it does today. */
  get exportsForCompute(): string[] {
    const { jobQueue, eventStream, buckets, idempotencyTable } = this;
    return [
      jobQueue.queue.queueArn,
      jobQueue.queue.queueUrl,
      jobQueue.queue.queueName,
      jobQueue.deadLetterQueue.queueName,
      eventStream.stream.streamArn,
      eventStream.stream.streamName,
      buckets.archiveBucket.bucketArn,
      buckets.failureBucket.bucketArn,
      idempotencyTable.table.tableArn,
      idempotencyTable.table.tableName,
    ];
  }
}
