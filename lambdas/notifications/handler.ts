/** Notifications consumer: OrderPlaced / OrderShipped → a send-email job (the hybrid end to end). */
import { jobQueue } from '../shared/job-queue';
import { streamConsumerHandler } from '../shared/stream-consumer';
import { emailJobFor } from './notifications';

export const handler = streamConsumerHandler(
  'notifications',
  { onEvent: (event, { enqueue }) => enqueue(emailJobFor(event)) },
  { jobQueue: jobQueue() }, // throws at cold start if JOB_QUEUE_URL / JOB_MAX_MESSAGE_BYTES is missing
);
