/**
 * Honest fakes for the ports: they perform NO I/O (no email is sent, no image read, no card charged) and
 * only compute a deterministic result, or fail deterministically so demos and tests can show poison jobs:
 * - an address at bounce.example        → EmailBouncedError (permanent)
 * - a sourceKey ending in `.corrupt`     → ImageDecodeError (permanent)
 * - paymentToken `tok_chargeDeclined`    → PaymentDeclinedError (permanent)
 * A fork replaces createFakePorts() with real adapters (SES, S3 + sharp, a payment provider).
 */
import { createHash } from 'node:crypto';
import { EmailBouncedError, ImageDecodeError, PaymentDeclinedError, type Ports } from './ports';

export const BOUNCE_DOMAIN = 'bounce.example';
export const CORRUPT_IMAGE_SUFFIX = '.corrupt';
export const DECLINED_TOKEN = 'tok_chargeDeclined';

const digest = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);

export function createFakePorts(): Ports {
  return {
    email: {
      async send({ to, template, idempotencyKey }) {
        if (to.toLowerCase().endsWith(`@${BOUNCE_DOMAIN}`)) throw new EmailBouncedError(`${to}: mailbox does not exist (hard bounce)`);
        return { messageId: `fake-email-${digest(idempotencyKey, to, template)}` };
      },
    },
    images: {
      async resize({ sourceKey, width }) {
        if (sourceKey.endsWith(CORRUPT_IMAGE_SUFFIX)) throw new ImageDecodeError(`${sourceKey}: cannot decode image`);
        const dot = sourceKey.lastIndexOf('.');
        const base = dot > sourceKey.lastIndexOf('/') ? sourceKey.slice(0, dot) : sourceKey;
        return { targetKey: `${base}-w${width}${dot > sourceKey.lastIndexOf('/') ? sourceKey.slice(dot) : ''}`, bytes: width * 100 };
      },
    },
    payments: {
      async charge({ paymentToken, orderId, idempotencyKey }) {
        if (paymentToken === DECLINED_TOKEN) throw new PaymentDeclinedError(`order ${orderId}: card declined`);
        return { chargeId: `fake-charge-${digest(idempotencyKey)}` };
      },
    },
  };
}
