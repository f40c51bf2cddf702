// The seam between the local cloud's two halves:
//  - the "cloud" half (assembly.ts, resolver.ts, emulators.ts, provision/, cli.ts) reads cdk.out, starts the
//    emulators and creates what the template declares, then hands these resolved, plain descriptions over;
//  - the "lambda" half (lambda/*.ts, firehose.ts) runs functions and pollers from them.
// Everything here is plain data resolved from the synthesized template: no CDK types, no intrinsics.

export interface LocalEndpoints {
  region: string;
  accountId: string;
  sqs: string; // http://127.0.0.1:PORT
  kinesis: string;
  s3: string;
  /** dynalite; absent for callers that start no DynamoDB emulator */
  dynamodb?: string;
}

/** Scales every wait the template implies (visibility timeouts, batching windows, backoff, buffering). */
export interface Clock {
  /** factor from --time-scale: 0.1 makes a 30 s visibility timeout last 3 s. */
  readonly timeScale: number;
  /** template seconds → real milliseconds on this machine */
  scaledMs(templateSeconds: number): number;
  sleep(realMs: number, signal?: AbortSignal): Promise<void>;
}

export interface LocalQueue {
  logicalId: string;
  name: string;
  url: string;
  arn: string;
  visibilityTimeoutSeconds: number;
  messageRetentionSeconds: number;
  maximumMessageSize: number;
  redrivePolicy?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

export interface LocalStream {
  logicalId: string;
  name: string;
  arn: string;
  shardCount: number;
  retentionHours: number;
  mode: 'PROVISIONED' | 'ON_DEMAND';
}

export interface LocalBucket {
  logicalId: string;
  name: string;
  arn: string;
}

export interface LocalTable {
  logicalId: string;
  name: string;
  arn: string;
  /** the template's TimeToLiveSpecification attribute, when enabled (not applied locally: dynalite has no TTL) */
  timeToLiveAttribute?: string;
}

export interface LocalFunction {
  logicalId: string;
  /** its name tag (FUNCTION_TAGS.name, lib/contract.ts), else the logical id */
  name: string;
  /** its role tag (FUNCTION_TAGS.role, lib/contract.ts) when present */
  role?: 'worker' | 'consumer' | string;
  arn: string;
  /** e.g. "index.handler" */
  handler: string;
  /** absolute path of the bundled asset folder in cdk.out */
  codeDir: string;
  runtime: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** the template's environment, intrinsics resolved, before the local cloud adds endpoints/credentials */
  environment: Record<string, string>;
}

export interface FilterCriteria {
  Filters: { Pattern: string }[];
}

export interface LocalSqsMapping {
  logicalId: string;
  functionLogicalId: string;
  queue: LocalQueue;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  maximumConcurrency?: number;
  enabled: boolean;
  filterCriteria?: FilterCriteria;
}

export type OnFailureDestination =
  | { kind: 's3'; arn: string; bucketName: string }
  | { kind: 'sqs'; arn: string; queueUrl: string }
  | { kind: 'sns'; arn: string };

export interface LocalKinesisMapping {
  logicalId: string;
  functionLogicalId: string;
  stream: LocalStream;
  /** set when the mapping reads through an enhanced fan-out consumer (AWS::Kinesis::StreamConsumer) */
  streamConsumerName?: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  startingPositionTimestamp?: number; // epoch seconds
  bisectBatchOnFunctionError: boolean;
  /** -1 = infinite (until the record expires) */
  maximumRetryAttempts: number;
  /** -1 = infinite */
  maximumRecordAgeInSeconds: number;
  parallelizationFactor: number;
  reportBatchItemFailures: boolean;
  tumblingWindowInSeconds?: number;
  onFailure?: OnFailureDestination;
  filterCriteria?: FilterCriteria;
  enabled: boolean;
}

export interface LocalDeliveryStream {
  logicalId: string;
  name: string;
  sourceStream: LocalStream;
  bucket: LocalBucket;
  /** raw prefix from the template, may contain !{timestamp:...} and !{firehose:...} expressions */
  prefix: string;
  errorOutputPrefix: string;
  bufferingIntervalSeconds: number;
  bufferingSizeMiB: number;
  compression: 'UNCOMPRESSED' | 'GZIP' | 'ZIP' | 'Snappy' | 'HADOOP_SNAPPY';
  /** from ProcessingConfiguration AppendDelimiterToRecord */
  appendDelimiter: boolean;
  delimiter: string; // "\n" by default
}

/** What the cloud half hands to the lambda half. */
export interface LocalTopology {
  endpoints: LocalEndpoints;
  queues: LocalQueue[];
  streams: LocalStream[];
  buckets: LocalBucket[];
  functions: LocalFunction[];
  sqsMappings: LocalSqsMapping[];
  kinesisMappings: LocalKinesisMapping[];
  deliveryStreams: LocalDeliveryStream[];
}

/** One record's fate, as the lambda half reports it (the status view and the tests count these). */
export type RecordOutcome = 'ok' | 'failed' | 'dead-lettered' | 'on-failure-destination';

export interface InvocationReport {
  functionName: string;
  mappingLogicalId: string;
  source: 'sqs' | 'kinesis';
  /** envelope ids when the body parses as an envelope, else the message id / sequence number */
  recordIds: string[];
  failedIds: string[];
  outcome: 'ok' | 'partial' | 'error' | 'timeout' | 'crash';
  durationMs: number;
  error?: string;
}

/** Counters the status line and the tests read: per function and per mapping. */
export interface LambdaServiceStats {
  functions: Record<string, { invocations: number; recordsOk: number; recordsFailed: number; errors: number; timeouts: number }>;
  /** Kinesis mappings: how far behind the tip each consumer is, in records and in ms */
  consumerLag: Record<string, { behindRecords: number; millisBehind: number }>;
  onFailureRecords: Record<string, number>;
}
