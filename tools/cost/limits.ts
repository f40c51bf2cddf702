// The AWS service limits and the model's two fixed assumptions, as tables by service (see model.ts's header
// for how each is used).

/** Kinesis per-shard limits: writes (MiB/s, records/s), shared reads (MiB/s) and GetRecords calls/s. */
export const SHARD_LIMITS = { writeMibps: 1, writeRps: 1000, readMibps: 2, getRecordsTps: 5 } as const;

/**
 * Lambda: its default account concurrency (adjustable), the most an SQS mapping scales to without a cap, its
 * minimum number of SQS pollers (each long-polls with a 20 s wait when the queue is empty), and the most
 * concurrent batches per shard a Kinesis mapping allows.
 */
export const LAMBDA_LIMITS = {
  accountConcurrency: 1000,
  sqsDefaultMaxConcurrency: 1250,
  sqsMinPollers: 5,
  sqsLongPollSeconds: 20,
  maxParallelizationFactor: 10,
} as const;

/**
 * SQS: SendMessageBatch takes at most 10 entries per request; the default MaximumMessageSize is also the
 * SendMessageBatch payload limit (1 MiB).
 */
export const SQS_LIMITS = { maxBatchEntries: 10, defaultMaxBytes: 1_048_576 } as const;

/**
 * DynamoDB on-demand: the default per-table throughput quota, what a new table sustains before it adapts,
 * the bytes DynamoDB adds to every item for storage billing, and the writes per processed idempotency record
 * (the conditional PutItem that claims it and the UpdateItem that completes it).
 */
export const DYNAMODB_LIMITS = {
  tableWruQuota: 40_000,
  newTableWru: 4_000,
  itemOverheadBytes: 100,
  idempotencyWritesPerRecord: 2,
} as const;

/** Lambda duration per invocation when nothing was measured for a function and no override is given. */
export const ASSUMED_DURATION_MS = 100;
/** Jobs a consumer with JOB_QUEUE_URL enqueues per event it handles. */
export const JOBS_PER_HANDLED_EVENT = 1;
