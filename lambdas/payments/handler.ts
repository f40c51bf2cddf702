/** Payments consumer: OrderPlaced → enqueue a process-payment job. */
import { sqsClient } from '../shared/clients/sqs';
import { readJobQueueEnv } from '../shared/env';
import { jobEnqueuer } from '../shared/job-enqueuer';
import { streamConsumerHandler } from '../shared/stream-consumer';
import { createTelemetry } from '../shared/telemetry';
import { paymentJobFor } from './payments';

const enqueue = jobEnqueuer(sqsClient(), readJobQueueEnv()); // throws at cold start if the env is incomplete

export const handler = streamConsumerHandler(
  {
    handles: ['OrderPlaced'],
    onEvent: async (event, { counters }) => {
      await enqueue([paymentJobFor(event)]);
      counters.add('JobsEnqueued', 1, { jobType: 'process-payment' });
    },
  },
  createTelemetry(),
);
