/** Payments consumer: OrderPlaced → a process-payment job (the mapping's filter keeps every other type away). */
import { jobQueue } from '../shared/job-queue';
import { streamConsumerHandler } from '../shared/stream-consumer';
import { paymentJobFor } from './payments';

export const handler = streamConsumerHandler(
  'payments',
  { onEvent: (event, { enqueue }) => enqueue(paymentJobFor(event)) },
  { jobQueue: jobQueue() }, // throws at cold start if JOB_QUEUE_URL / JOB_MAX_MESSAGE_BYTES is missing
);
