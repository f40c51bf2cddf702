/** What each job type does, in terms of ports: plain TypeScript, no AWS shapes. */
import type { KnownJob } from '../shared/envelope';
import type { Ports } from './ports';

export type JobOutcome =
  | { readonly type: 'send-email'; readonly messageId: string }
  | { readonly type: 'resize-image'; readonly outputs: ReadonlyArray<{ width: number; targetKey: string; bytes: number }> }
  | { readonly type: 'process-payment'; readonly chargeId: string };

/**
 * Runs one job. The job id is passed to providers as their idempotency key, and is what the worker's
 * idempotency records key on (lambdas/shared/idempotency.ts).
 */
export async function runJob(job: KnownJob, ports: Ports): Promise<JobOutcome> {
  switch (job.type) {
    case 'send-email': {
      const { to, template, orderId } = job.data;
      const { messageId } = await ports.email.send({ to, template, orderId, idempotencyKey: job.id });
      return { type: job.type, messageId };
    }
    case 'resize-image': {
      const outputs = [];
      // One width at a time: a decode failure stops the job before it writes more partial outputs.
      for (const width of [...new Set(job.data.widths)].sort((a, b) => a - b)) {
        outputs.push({ width, ...(await ports.images.resize({ sourceKey: job.data.sourceKey, width })) });
      }
      return { type: job.type, outputs };
    }
    case 'process-payment': {
      const { orderId, amountCents, currency, paymentToken } = job.data;
      const { chargeId } = await ports.payments.charge({ orderId, amountCents, currency, paymentToken, idempotencyKey: job.id });
      return { type: job.type, chargeId };
    }
    default:
      return unreachable(job);
  }
}

// A job type added to the registry without a case here fails to compile.
function unreachable(job: never): never {
  throw new Error(`no runner for job type ${(job as { type: string }).type}`);
}
