import { Duration } from 'aws-cdk-lib';
import { StreamEncryption } from 'aws-cdk-lib/aws-kinesis';
import { MetricType, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { type Documented, named } from './documented';
import { S3FailureDestination } from './s3-failure-destination';

/** A mapping's MaximumRecordAgeInSeconds: a Duration (60 s … 7 days, shorter than the retention), or never. */
export type MaxRecordAge = Duration | 'infinite';

/** MaximumRecordAgeInSeconds for 'infinite': the L2 accepts 60 s … 7 days only, so the mapping is given this. */
export const INFINITE_RECORD_AGE_SECONDS = -1;

export const EVENT_STREAM_DEFAULTS = {
  encryption: {
    value: StreamEncryption.MANAGED,
    show: named([[StreamEncryption.MANAGED, 'KMS, AWS managed key (aws/kinesis)']]),
    why: 'encrypted at rest; consumers and Firehose read it without key grants or a cross-stack key policy',
  },
  startingPosition: {
    value: StartingPosition.TRIM_HORIZON,
    why: 'a new consumer starts from the oldest retained event, so adding one never silently skips events',
  },
  batchSize: {
    value: 100,
    why: 'Lambda default: small enough to finish well inside the 30 s timeout, large enough to amortise invocations',
  },
  maxBatchingWindow: {
    value: Duration.seconds(1),
    why: 'fuller batches under light load for at most 1 s of extra latency',
  },
  parallelizationFactor: {
    value: 1,
    why: 'one batch per shard at a time: the only setting that keeps per-partition-key order',
  },
  bisectBatchOnError: {
    value: true,
    why: 'a batch that throws is split until the poison record is isolated; splits do not consume retries',
  },
  retryAttempts: {
    value: 3,
    why: 'finite: a poison record holds its shard for at most four attempts (plus bisect splits), then goes to the failure bucket; with no record age it is the bound (checked)',
  },
  maxRecordAge: {
    value: 'infinite' as MaxRecordAge,
    show: (age: MaxRecordAge) => (age === 'infinite' ? `infinite (${INFINITE_RECORD_AGE_SECONDS})` : age.toHumanString()),
    why: 'Lambda skips a record older than this at every read, even its first: a consumer new at TRIM_HORIZON, a replaced mapping or a backlog after an outage would lose good events to the failure bucket; retries and bisect bound a poison record',
  },
  metrics: {
    value: [MetricType.EVENT_COUNT],
    why: 'per-mapping counts of records sent to the failure bucket or dropped, which Errors cannot see (a reported item failure is no invocation error); Monitoring alarms on them',
  },
  reportBatchItemFailures: {
    value: true,
    why: 'a handler reports the first failed record; Lambda retries from there and keeps the order',
  },
  onFailure: {
    value: S3FailureDestination,
    show: named([[S3FailureDestination, 'S3 failure bucket']]),
    why: 'S3 destinations keep the full invocation record (payload + metadata) for the redrive tool',
  },
  enhancedFanOut: {
    value: false,
    why: 'three consumers + Firehose poll each shard ~4×/s, inside the 5 reads/s limit; opt in per consumer for 2 MB/s of its own',
  },
} as const satisfies Record<string, Documented<unknown>>;
