/** Notifications consumer: OrderPlaced / OrderShipped → enqueue a send-email job (the hybrid end to end). */
import { sqsClient } from '../shared/clients/sqs';
import { readJobQueueEnv } from '../shared/env';
import { jobEnqueuer } from '../shared/job-enqueuer';
import { streamConsumerHandler } from '../shared/stream-consumer';
import { createTelemetry } from '../shared/telemetry';
import { emailJobFor, NOTIFICATION_EVENTS } from './notifications';

const enqueue = jobEnqueuer(sqsClient(), readJobQueueEnv()); // throws at cold start if the env is incomplete

export const handler = streamConsumerHandler(
  {
    handles: NOTIFICATION_EVENTS,
    onEvent: async (event, { counters }) => {
      await enqueue([emailJobFor(event)]);
      counters.add('JobsEnqueued', 1, { jobType: 'send-email' });
    },
  },
  createTelemetry(),
);
