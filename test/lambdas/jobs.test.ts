import { describe, expect, it } from 'vitest';
import { createFakePorts, DECLINED_TOKEN } from '../../lambdas/job-worker/fakes';
import { runJob } from '../../lambdas/job-worker/jobs';
import { EmailBouncedError, ImageDecodeError, PaymentDeclinedError, PermanentJobError, type Ports } from '../../lambdas/job-worker/ports';
import { paymentJob, resizeImageJob, sendEmailJob } from './factories';

describe('runJob (domain code, no AWS shapes)', () => {
  it('sends the email with the job id as the idempotency key', async () => {
    const sent: unknown[] = [];
    const send = async (email: Parameters<Ports['email']['send']>[0]) => {
      sent.push(email);
      return { messageId: 'm-1' };
    };
    const ports: Ports = { ...createFakePorts(), email: { send } };
    const job = sendEmailJob({ template: 'order-shipped', orderId: 'o-9' });
    await expect(runJob(job, ports)).resolves.toEqual({ type: 'send-email', messageId: 'm-1' });
    expect(sent).toEqual([{ to: 'ada@example.com', template: 'order-shipped', orderId: 'o-9', idempotencyKey: job.id }]);
  });

  it('resizes each distinct width once, smallest first', async () => {
    const outcome = await runJob(resizeImageJob({ sourceKey: 'u/cat.jpg', widths: [640, 320, 640] }), createFakePorts());
    expect(outcome).toEqual({
      type: 'resize-image',
      outputs: [
        { width: 320, targetKey: 'u/cat-w320.jpg', bytes: 32_000 },
        { width: 640, targetKey: 'u/cat-w640.jpg', bytes: 64_000 },
      ],
    });
  });

  it('charges the order total with the job id as the idempotency key', async () => {
    const charges: unknown[] = [];
    const charge = async (request: Parameters<Ports['payments']['charge']>[0]) => {
      charges.push(request);
      return { chargeId: 'ch-1' };
    };
    const ports: Ports = { ...createFakePorts(), payments: { charge } };
    const job = paymentJob({ amountCents: 999, currency: 'USD' });
    await expect(runJob(job, ports)).resolves.toEqual({ type: 'process-payment', chargeId: 'ch-1' });
    expect(charges).toEqual([{ orderId: 'order-1', amountCents: 999, currency: 'USD', paymentToken: 'tok_visa', idempotencyKey: job.id }]);
  });

  it.each([
    ['a bounce.example address', sendEmailJob({ to: 'x@bounce.example' }), EmailBouncedError],
    ['a .corrupt image', resizeImageJob({ sourceKey: 'u/bad.corrupt' }), ImageDecodeError],
    ['a declined card', paymentJob({ paymentToken: DECLINED_TOKEN }), PaymentDeclinedError],
  ])('fails permanently and every time for %s (fake rule)', async (_name, job, type) => {
    for (let receive = 0; receive < 3; receive += 1) {
      const error = await runJob(job, createFakePorts()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      expect(error).toBeInstanceOf(PermanentJobError);
    }
  });

  it('gives deterministic fake results for the same job', async () => {
    const job = paymentJob();
    expect(await runJob(job, createFakePorts())).toEqual(await runJob(job, createFakePorts()));
  });
});
