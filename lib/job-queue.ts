import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { tagFunction } from './function-tags';
import { JOB_QUEUE_DEFAULTS as D } from './job-queue-defaults';
import { FUNCTION_ENV } from './contract';

export interface JobQueueProps {
  readonly removalPolicy: RemovalPolicy;
  /** @default JOB_QUEUE_DEFAULTS.visibilityTimeout */
  readonly visibilityTimeout?: Duration;
  /** @default JOB_QUEUE_DEFAULTS.maxReceiveCount */
  readonly maxReceiveCount?: number;
  /** @default JOB_QUEUE_DEFAULTS.retentionPeriod */
  readonly retentionPeriod?: Duration;
}

export interface AddWorkerOptions {
  /** @default JOB_QUEUE_DEFAULTS.workerName */
  readonly name?: string;
  /** @default JOB_QUEUE_DEFAULTS.workerBatchSize */
  readonly batchSize?: number;
  /** @default JOB_QUEUE_DEFAULTS.workerMaxBatchingWindow */
  readonly maxBatchingWindow?: Duration;
  /** @default JOB_QUEUE_DEFAULTS.workerMaxConcurrency */
  readonly maxConcurrency?: number;
}

/** Lambda's default when a function sets no timeout. */
const LAMBDA_DEFAULT_TIMEOUT = Duration.seconds(3);

/** Jobs: an SQS standard queue with its dead-letter queue; `addWorker` wires the one worker function. */
export class JobQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly visibilityTimeout: Duration;
  readonly maxReceiveCount: number;
  readonly maxMessageSizeBytes: number = D.maxMessageSizeBytes.value;

  constructor(scope: Construct, id: string, props: JobQueueProps) {
    super(scope, id);
    this.visibilityTimeout = props.visibilityTimeout ?? D.visibilityTimeout.value;
    this.maxReceiveCount = props.maxReceiveCount ?? D.maxReceiveCount.value;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: D.encryption.value,
      enforceSSL: D.enforceSSL.value,
      retentionPeriod: D.dlqRetentionPeriod.value,
      maxMessageSizeBytes: this.maxMessageSizeBytes,
      removalPolicy: props.removalPolicy,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: D.encryption.value,
      enforceSSL: D.enforceSSL.value,
      retentionPeriod: props.retentionPeriod ?? D.retentionPeriod.value,
      visibilityTimeout: this.visibilityTimeout,
      maxMessageSizeBytes: this.maxMessageSizeBytes,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
      removalPolicy: props.removalPolicy,
    });
  }

  /**
   * Make `fn` the worker: an SQS event source mapping (created in `fn`'s stack) with partial batch responses;
   * `name` becomes its POWERTOOLS_SERVICE_NAME and its name tag.
   * Throws if the queue's visibility timeout is shorter than 6 × the function timeout + the batching window.
   */
  addWorker(fn: lambda.Function, options: AddWorkerOptions = {}): SqsEventSource {
    const name = options.name ?? D.workerName.value;
    const maxBatchingWindow = options.maxBatchingWindow ?? D.workerMaxBatchingWindow.value;
    const timeout = fn.timeout ?? LAMBDA_DEFAULT_TIMEOUT;
    const required = 6 * timeout.toSeconds() + maxBatchingWindow.toSeconds();
    if (this.visibilityTimeout.toSeconds() < required) {
      throw new Error(
        `JobQueue ${this.node.path}: visibility timeout ${this.visibilityTimeout.toSeconds()} s is shorter than ` +
          `6 × worker timeout (${timeout.toSeconds()} s) + batching window (${maxBatchingWindow.toSeconds()} s) = ${required} s, ` +
          'so messages would reappear while a batch is still running. ' +
          `Raise the JobQueue visibilityTimeout to at least ${required} s, or lower the function timeout or maxBatchingWindow.`,
      );
    }
    const source = new SqsEventSource(this.queue, {
      batchSize: options.batchSize ?? D.workerBatchSize.value,
      maxBatchingWindow,
      maxConcurrency: options.maxConcurrency ?? D.workerMaxConcurrency.value,
      reportBatchItemFailures: D.workerReportBatchItemFailures.value,
    });
    // bind() creates the mapping in fn's scope (the compute stack) and grants consume on fn's role.
    fn.addEventSource(source);
    fn.addEnvironment(FUNCTION_ENV.serviceName, name);
    tagFunction(fn, 'worker', name);
    return source;
  }
}
