import { Duration } from 'aws-cdk-lib';
import { QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { binaryBytes, type Documented, named } from './documented';

export const JOB_QUEUE_DEFAULTS = {
  encryption: {
    value: QueueEncryption.SQS_MANAGED,
    show: named([[QueueEncryption.SQS_MANAGED, 'SQS-managed SSE']]),
    why: 'encrypted at rest with no KMS key policy linking the compute stack back to the stateful stack',
  },
  enforceSSL: { value: true, why: 'queue policy denies any request not made over TLS' },
  maxMessageSizeBytes: {
    value: 1_048_576,
    show: (bytes: number) => `${bytes} (${binaryBytes(bytes)})`,
    why: 'the SQS maximum since 2026, set explicitly so producers (JOB_MAX_MESSAGE_BYTES) and queue agree',
  },
  retentionPeriod: {
    value: Duration.days(4),
    why: 'SQS default; a job older than four days is stale and the DLQ keeps failures far longer',
  },
  dlqRetentionPeriod: {
    value: Duration.days(14),
    why: 'the SQS maximum, longer than the source queue: two weeks to inspect and redrive a dead job',
  },
  maxReceiveCount: {
    value: 5,
    why: 'four retries absorb throttles and timeouts; a poison job costs at most five invocations before the DLQ',
  },
  visibilityTimeout: {
    value: Duration.seconds(240),
    why: '≥ 6 × the 30 s worker timeout + 5 s batching window (185 s, AWS guidance, checked by addWorker) with headroom',
  },
  workerBatchSize: {
    value: 10,
    why: 'one ReceiveMessage worth of jobs: a slow job delays few others and partial failures stay small',
  },
  workerMaxBatchingWindow: {
    value: Duration.seconds(5),
    why: 'fills batches under light load at the cost of at most 5 s latency for a background job',
  },
  workerMaxConcurrency: {
    value: 10,
    why: 'caps concurrent worker invocations so a backlog cannot flood downstream email/payment APIs',
  },
  workerReportBatchItemFailures: {
    value: true,
    why: 'only the failed jobs of a batch are retried; the rest are deleted once',
  },
  workerName: {
    value: 'job-worker',
    why: 'tag `queue-and-stream:name` and POWERTOOLS_SERVICE_NAME of the worker; tooling finds it by this tag',
  },
} as const satisfies Record<string, Documented<unknown>>;
