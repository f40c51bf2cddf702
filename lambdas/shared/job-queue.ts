/** How a stream consumer hands work to the job queue: every job of one invocation in SendMessageBatch requests. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { sqsClient } from './clients/sqs';
import type { KnownJob } from './envelope';
import { readJobQueueEnv, type JobQueueEnv } from './env';
import { enqueueJobs, type EnqueueReport } from './producers/enqueue-jobs';

/** The job queue as a consumer sees it: one call per invocation, one result per job. */
export interface JobQueue {
  /** Sends the jobs (≤ 10 per request, within the batch byte limit, requests in parallel); never throws for an entry. */
  send(jobs: readonly KnownJob[]): Promise<EnqueueReport>;
}

/**
 * The template's job queue: JOB_QUEUE_URL / JOB_MAX_MESSAGE_BYTES, read when the handler module loads (a
 * missing variable throws a ConfigurationError at cold start), and the execution environment's SQS client.
 */
export function jobQueue(client: Pick<SQSClient, 'send'> = sqsClient(), env: JobQueueEnv = readJobQueueEnv()): JobQueue {
  return { send: (jobs) => enqueueJobs(jobs, { client, queueUrl: env.queueUrl, maxMessageBytes: env.maxMessageBytes }) };
}
