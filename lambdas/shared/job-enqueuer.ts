/** How a stream consumer hands work to the job queue: all-or-nothing per event. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KnownJob } from './envelope';
import type { JobQueueEnv } from './env';
import { enqueueJobs, type EnqueueReport } from './producers/enqueue-jobs';
import { assertAllDelivered } from './producers/delivery';

export type EnqueueForEvent = (jobs: readonly KnownJob[]) => Promise<EnqueueReport>;

/**
 * Enqueues the jobs one event caused; throws (so the event's record fails and is retried in order) unless
 * every job was accepted. Per event, not per batch: a failure must fail only its own record.
 */
export const jobEnqueuer =
  (client: Pick<SQSClient, 'send'>, env: JobQueueEnv): EnqueueForEvent =>
  async (jobs) => {
    const report = await enqueueJobs(jobs, { client, queueUrl: env.queueUrl, maxMessageBytes: env.maxMessageBytes });
    assertAllDelivered(report);
    return report;
  };
