/** Which emails an order event asks for: plain TypeScript, no AWS shapes. */
import type { HandledBy } from '../consumers';
import { deriveId, newJob, type KnownEvent, type KnownJob } from '../shared/envelope';

/** The events the manifest (lambdas/consumers.ts) gives this consumer. */
export type NotificationEvent = KnownEvent<HandledBy<'notifications'>>;

const TEMPLATES = { OrderPlaced: 'order-confirmation', OrderShipped: 'order-shipped' } as const;

/**
 * The send-email job for an order event. Its id is derived from the event id, so a redelivered or replayed
 * event produces the same job id and the worker can recognise the duplicate.
 */
export function emailJobFor(event: NotificationEvent): KnownJob<'send-email'> {
  return newJob(
    'send-email',
    { to: event.data.customerEmail, template: TEMPLATES[event.type], orderId: event.data.orderId },
    { id: deriveId(event.id, 'send-email'), jobKey: event.data.orderId, causationId: event.id },
  );
}
