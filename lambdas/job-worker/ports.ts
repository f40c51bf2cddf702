/**
 * The side effects jobs need, as ports. The worker ships with fakes (fakes.ts); a fork swaps in SES,
 * S3 + sharp, or a payment provider by implementing these interfaces and wiring them in wiring.ts.
 */
import type { JobData } from '../shared/registry';

export type EmailTemplate = JobData<'send-email'>['template'];

export interface EmailSender {
  /** `idempotencyKey` lets a provider drop a duplicate send (the job id). */
  send(email: { to: string; template: EmailTemplate; orderId: string; idempotencyKey: string }): Promise<{ messageId: string }>;
}

export interface ImageResizer {
  resize(request: { sourceKey: string; width: number }): Promise<{ targetKey: string; bytes: number }>;
}

export interface PaymentGateway {
  /** `idempotencyKey` makes a retried charge safe at the provider (the job id). */
  charge(request: {
    orderId: string;
    amountCents: number;
    currency: string;
    paymentToken: string;
    idempotencyKey: string;
  }): Promise<{ chargeId: string }>;
}

export interface Ports {
  readonly email: EmailSender;
  readonly images: ImageResizer;
  readonly payments: PaymentGateway;
}

/** A failure that retrying will not fix: the job goes to the DLQ after maxReceiveCount receives. */
export abstract class PermanentJobError extends Error {
  readonly permanent = true;
}

export class EmailBouncedError extends PermanentJobError {
  override readonly name = 'EmailBouncedError';
}

export class ImageDecodeError extends PermanentJobError {
  override readonly name = 'ImageDecodeError';
}

export class PaymentDeclinedError extends PermanentJobError {
  override readonly name = 'PaymentDeclinedError';
}
