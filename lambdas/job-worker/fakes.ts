/**
 * Honest fakes for the ports: they perform NO I/O (no email is sent, no image read, no card charged) and
 * only compute a deterministic result, or fail deterministically so demos and tests can show poison jobs:
 * - an address at bounce.example        → EmailBouncedError (permanent)
 * - a sourceKey ending in `.corrupt`     → ImageDecodeError (permanent)
 * - paymentToken `tok_chargeDeclined`    → PaymentDeclinedError (permanent)
 * The fake's one knob: FAKE_DECLINED_TOKENS (comma-separated, read at cold start; default `tok_chargeDeclined`,
 * empty = decline nothing) stands for the provider-side fix of a decline, so a dead-lettered payment can be
 * redriven and succeed (the redrive end-to-end test). Real adapters ignore it.
 * A fork wires real adapters (SES, S3 + sharp, a payment provider) in wiring.ts instead, port by port; until it
 * does, a prod synth refuses to deploy them (FAKE_PORTS).
 * Every side effect a fake "performs" is announced on `fakeSideEffects` (in memory, no listener by default),
 * so tests can count them, e.g. that a duplicate job charged the card once.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { EmailBouncedError, ImageDecodeError, PaymentDeclinedError, type Ports } from './ports';

export const BOUNCE_DOMAIN = 'bounce.example';
export const CORRUPT_IMAGE_SUFFIX = '.corrupt';
export const DECLINED_TOKEN = 'tok_chargeDeclined';
export const DECLINED_TOKENS_ENV = 'FAKE_DECLINED_TOKENS';

/** The tokens the fake payment provider declines: FAKE_DECLINED_TOKENS when set (comma-separated), else the default. */
export function declinedTokens(env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> {
  const raw = env[DECLINED_TOKENS_ENV];
  if (raw === undefined) return new Set([DECLINED_TOKEN]);
  return new Set(
    raw
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
  );
}

/** One side effect a fake performed (emitted as 'effect' after it succeeded). */
export type FakeSideEffect =
  | { readonly port: 'email'; readonly idempotencyKey: string; readonly to: string; readonly messageId: string }
  | { readonly port: 'images'; readonly sourceKey: string; readonly width: number; readonly targetKey: string }
  | {
      readonly port: 'payments';
      readonly idempotencyKey: string;
      readonly orderId: string;
      readonly amountCents: number;
      readonly chargeId: string;
    };

/** An emitter, not a list: nothing accumulates in a long-lived execution environment when nobody listens. */
export const fakeSideEffects = new EventEmitter<{ effect: [FakeSideEffect] }>();

const digest = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);

export function createFakePorts(declined: ReadonlySet<string> = declinedTokens()): Ports {
  return {
    email: {
      async send({ to, template, idempotencyKey }) {
        if (to.toLowerCase().endsWith(`@${BOUNCE_DOMAIN}`)) throw new EmailBouncedError(`${to}: mailbox does not exist (hard bounce)`);
        const messageId = `fake-email-${digest(idempotencyKey, to, template)}`;
        fakeSideEffects.emit('effect', { port: 'email', idempotencyKey, to, messageId });
        return { messageId };
      },
    },
    images: {
      async resize({ sourceKey, width }) {
        if (sourceKey.endsWith(CORRUPT_IMAGE_SUFFIX)) throw new ImageDecodeError(`${sourceKey}: cannot decode image`);
        const dot = sourceKey.lastIndexOf('.');
        const base = dot > sourceKey.lastIndexOf('/') ? sourceKey.slice(0, dot) : sourceKey;
        const targetKey = `${base}-w${width}${dot > sourceKey.lastIndexOf('/') ? sourceKey.slice(dot) : ''}`;
        fakeSideEffects.emit('effect', { port: 'images', sourceKey, width, targetKey });
        return { targetKey, bytes: width * 100 };
      },
    },
    payments: {
      async charge({ paymentToken, orderId, amountCents, idempotencyKey }) {
        if (declined.has(paymentToken)) throw new PaymentDeclinedError(`order ${orderId}: card declined`);
        const chargeId = `fake-charge-${digest(idempotencyKey)}`;
        fakeSideEffects.emit('effect', { port: 'payments', idempotencyKey, orderId, amountCents, chargeId });
        return { chargeId };
      },
    },
  };
}
