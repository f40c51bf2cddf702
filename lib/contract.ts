/**
 * The contract: every name the template, its handlers and the tooling around it (local cloud, ops tools, cost
 * model, bench) must agree on, written once. Change a value here and every side follows.
 *
 * Dependency-free on purpose: lambdas/ import it too, and esbuild bundles it into every function. CDK code
 * that applies these names (tags, outputs, environment variables) stays in the constructs of lib/.
 */

/** The project's name, as it appears in tags and descriptions. */
export const PROJECT_NAME = 'queue-and-stream';

/** The deployable stages (`-c stage=dev|prod`, `--stage dev|prod`). */
export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

/** The two stacks of a stage: data that must survive (stateful) and what runs on it (compute). */
export type StackPart = 'Stateful' | 'Compute';

/** A stack's name, with the stage capitalised: `QueueAndStream-Dev-Stateful`, `QueueAndStream-Prod-Compute`. */
export const stackName = (stage: Stage, part: StackPart): string => `QueueAndStream-${stage[0]!.toUpperCase()}${stage.slice(1)}-${part}`;

/** The tags tooling finds a function by from the template alone (local cloud, replay, cost model, bench). */
export const FUNCTION_TAGS = {
  /** `worker` (the job worker) or `consumer` (a stream consumer) */
  role: `${PROJECT_NAME}:role`,
  /** the function's stable name: its folder under lambdas/ and POWERTOOLS_SERVICE_NAME */
  name: `${PROJECT_NAME}:name`,
} as const;

export const FUNCTION_ROLES = ['worker', 'consumer'] as const;
export type FunctionRole = (typeof FUNCTION_ROLES)[number];

/** Output keys of the stateful stack: the tools read them on AWS (DescribeStacks). */
export const STATEFUL_OUTPUTS = {
  jobQueueUrl: 'JobQueueUrl',
  jobQueueArn: 'JobQueueArn',
  jobDlqUrl: 'JobDlqUrl',
  eventStreamName: 'EventStreamName',
  eventStreamArn: 'EventStreamArn',
  archiveBucketName: 'ArchiveBucketName',
  failureBucketName: 'FailureBucketName',
  idempotencyTableName: 'IdempotencyTableName',
  archiveDatabaseName: 'ArchiveDatabaseName',
  archiveTableName: 'ArchiveTableName',
  archiveQueryWorkGroup: 'ArchiveQueryWorkGroup',
  queryResultsBucketName: 'QueryResultsBucketName',
  archiveQueryPolicyArn: 'ArchiveQueryPolicyArn',
} as const;
export type StatefulOutput = (typeof STATEFUL_OUTPUTS)[keyof typeof STATEFUL_OUTPUTS];

/** The environment variables the constructs of lib/ set and the handlers read (lambdas/shared/env.ts). */
export const FUNCTION_ENV = {
  /** the job queue, for the consumers that enqueue jobs */
  jobQueueUrl: 'JOB_QUEUE_URL',
  jobMaxMessageBytes: 'JOB_MAX_MESSAGE_BYTES',
  /** where and how long each function keeps its idempotency records */
  idempotencyTableName: 'IDEMPOTENCY_TABLE_NAME',
  idempotencyExpirySeconds: 'IDEMPOTENCY_EXPIRY_SECONDS',
  /** the function's stable name (its `queue-and-stream:name` tag); also its idempotency key prefix */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

/** The region and account id the local cloud's emulators answer with (kinesalite and fauxqs both pin them). */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT_ID = '000000000000';

/**
 * Dummy credentials of the local cloud: the emulators accept any, the SDK insists on some. Every local client
 * and every function's execution environment uses this one pair. `local` rather than the `test` some emulator
 * docs use: it is what `.local/endpoints.json` and `npm run shell` have always handed to users, so their
 * scripts and profiles keep working.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
