/** Which payment an order event asks for: plain TypeScript, no AWS shapes. */
import { deriveId, newJob, type KnownEvent, type KnownJob } from '../shared/envelope';

/**
 * Used when an OrderPlaced carries no paymentToken: stands for "the customer's payment method on file",
 * which a real system would look up; a fork replaces this with its own lookup or makes the token required.
 */
export const PAYMENT_METHOD_ON_FILE = 'tok_onFile';

/** The process-payment job for an order; id derived from the event id so a redelivery yields the same job. */
export function paymentJobFor(event: KnownEvent<'OrderPlaced'>): KnownJob<'process-payment'> {
  const { orderId, totalCents, currency, paymentToken } = event.data;
  return newJob(
    'process-payment',
    { orderId, amountCents: totalCents, currency, paymentToken: paymentToken ?? PAYMENT_METHOD_ON_FILE },
    { id: deriveId(event.id, 'process-payment'), jobKey: orderId, causationId: event.id },
  );
}
