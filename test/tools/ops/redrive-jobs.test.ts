import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { newJob, serializeEnvelope } from '../../../lambdas/shared/envelope';
import { redriveJobs } from '../../../tools/ops/redrive-jobs';
import { createQueues, drainQueue, startCloud, type Cloud } from './harness';
import { useForFile } from '../../support/hooks';

let cloud: Cloud;
useForFile(startCloud, (started) => {
  cloud = started;
});

const payment = (i: number) =>
  newJob(
    'process-payment',
    { orderId: `o-${i}`, amountCents: 100 + i, currency: 'EUR', paymentToken: 'tok_chargeDeclined' },
    { jobKey: `o-${i}` },
  );
const email = (i: number) =>
  newJob('send-email', { to: `c${i}@bounce.example`, template: 'order-confirmation', orderId: `o-${i}` }, { jobKey: `o-${i}` });

/** Fills a DLQ as dead-lettering does: body + the producer's `type`/`version` attributes. */
async function fillDlq(dlqUrl: string, bodies: { body: string; type: string }[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    await cloud.clients.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: dlqUrl,
        Entries: bodies.slice(i, i + 10).map((b, j) => ({
          Id: String(j),
          MessageBody: b.body,
          MessageAttributes: { type: { DataType: 'String', StringValue: b.type }, version: { DataType: 'String', StringValue: '1' } },
        })),
      }),
    );
  }
}

const jobsOf = (n: number) =>
  Array.from({ length: n }, (_, i) => (i % 3 === 0 ? email(i) : payment(i))).map((j) => ({ body: serializeEnvelope(j), type: j.type }));

describe('redrive jobs (receive → send → delete loop on fauxqs)', () => {
  it('moves every DLQ message to the jobs queue once, with the same body and attributes; the DLQ ends empty', async () => {
    const queues = await createQueues(cloud);
    const jobs = jobsOf(23);
    await fillDlq(queues.jobDlqUrl, jobs);
    const summary = await redriveJobs({ env: cloud.env(queues), sqs: cloud.clients.sqs, waitTimeSeconds: 0 });
    expect(summary).toMatchObject({ mode: 'loop', moved: 23, failed: 0, duplicatesDropped: 0 });
    expect(summary.byType).toEqual({ 'send-email': 8, 'process-payment': 15 });
    expect(await drainQueue(cloud, queues.jobDlqUrl)).toEqual([]);
    const moved = await drainQueue(cloud, queues.jobQueueUrl);
    expect(moved.map((m) => m.Body).sort()).toEqual(jobs.map((j) => j.body).sort());
    expect(
      moved.every(
        (m) =>
          m.MessageAttributes?.['type']?.StringValue === JSON.parse(m.Body!).type && m.MessageAttributes?.['version']?.StringValue === '1',
      ),
    ).toBe(true);
  });

  it('--max moves exactly that many and leaves the rest in the DLQ', async () => {
    const queues = await createQueues(cloud);
    await fillDlq(queues.jobDlqUrl, jobsOf(15));
    const summary = await redriveJobs({ env: cloud.env(queues), sqs: cloud.clients.sqs, max: 6, waitTimeSeconds: 0 });
    expect(summary.moved).toBe(6);
    expect(await drainQueue(cloud, queues.jobQueueUrl)).toHaveLength(6);
    expect(await drainQueue(cloud, queues.jobDlqUrl)).toHaveLength(9);
  });

  it('sends a second copy of the same envelope id only once (the copy is deleted), and moves non-envelope bodies too', async () => {
    const queues = await createQueues(cloud);
    const job = payment(1);
    await fillDlq(queues.jobDlqUrl, [
      { body: serializeEnvelope(job), type: job.type },
      { body: serializeEnvelope(job), type: job.type },
    ]);
    await cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: queues.jobDlqUrl, MessageBody: 'not json' }));
    const summary = await redriveJobs({ env: cloud.env(queues), sqs: cloud.clients.sqs, waitTimeSeconds: 0 });
    expect(summary).toMatchObject({ moved: 2, duplicatesDropped: 1 });
    expect((await drainQueue(cloud, queues.jobQueueUrl)).map((m) => m.Body).sort()).toEqual([serializeEnvelope(job), 'not json'].sort());
    expect(await drainQueue(cloud, queues.jobDlqUrl)).toEqual([]);
  });

  it('--dry-run counts by type, names what the worker cannot run, lists the envelope ids for its log, and leaves the DLQ as it was', async () => {
    const queues = await createQueues(cloud);
    const jobs = jobsOf(12);
    await fillDlq(queues.jobDlqUrl, jobs);
    await cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: queues.jobDlqUrl, MessageBody: '{"kind":"job"}' }));
    const summary = await redriveJobs({ env: cloud.env(queues), sqs: cloud.clients.sqs, dryRun: true, waitTimeSeconds: 0 });
    expect(summary).toMatchObject({ mode: 'peek', peeked: 13, moved: 0 });
    expect(summary.byType).toEqual({ 'send-email': 4, 'process-payment': 8, '(not a job envelope)': 1 });
    // the only failure reason a DLQ message carries is a body the worker cannot run; the others are in its log
    expect(summary.notRunnable).toEqual({ 'not-an-envelope': 1 });
    expect(
      summary.sample
        .filter((m) => m.envelopeId !== undefined)
        .map((m) => m.envelopeId)
        .sort(),
    ).toEqual(jobs.map((j) => JSON.parse(j.body).id).sort());
    expect(summary.sample.every((m) => m.sentAt === undefined || !Number.isNaN(Date.parse(m.sentAt)))).toBe(true);
    // every message is immediately receivable again, and none reached the jobs queue
    expect(await drainQueue(cloud, queues.jobDlqUrl)).toHaveLength(13);
    expect(await drainQueue(cloud, queues.jobQueueUrl)).toEqual([]);
  });

  it('on an endpoint without StartMessageMoveTask (fauxqs answers InvalidAction) falls back to the loop and says so', async () => {
    const queues = await createQueues(cloud);
    await fillDlq(queues.jobDlqUrl, jobsOf(4));
    // an "AWS" environment pointed at fauxqs: the move task is tried first
    const summary = await redriveJobs({
      env: cloud.env({ ...queues, kind: 'aws', label: 'dev' }),
      sqs: cloud.clients.sqs,
      waitTimeSeconds: 0,
    });
    expect(summary).toMatchObject({ mode: 'loop', moved: 4, fallbackReason: expect.stringMatching(/StartMessageMoveTask not supported/) });
    await expect(
      redriveJobs({ env: cloud.env({ ...queues, kind: 'aws', label: 'dev' }), sqs: cloud.clients.sqs, mode: 'move-task' }),
    ).rejects.toThrow(/Unknown action: StartMessageMoveTask/);
  });

  it('drives a message move task to completion where SQS supports it', async () => {
    const calls: string[] = [];
    let polls = 0;
    const sqs = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        calls.push(`${command.constructor.name} ${JSON.stringify(command.input)}`);
        if (command.constructor.name === 'StartMessageMoveTaskCommand') return { TaskHandle: 'h1' };
        polls++;
        return {
          Results: [
            polls < 3
              ? { Status: 'RUNNING', ApproximateNumberOfMessagesMoved: polls }
              : { Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 7, ApproximateNumberOfMessagesToMove: 7 },
          ],
        };
      },
    };
    const env = cloud.env({
      kind: 'aws',
      label: 'dev',
      jobQueueUrl: 'https://q/jobs',
      jobQueueArn: 'arn:aws:sqs:eu-west-1:1:jobs',
      jobDlqUrl: 'https://q/dlq',
      jobDlqArn: 'arn:aws:sqs:eu-west-1:1:dlq',
    });
    const summary = await redriveJobs({ env, sqs: sqs as never, rate: 50, sleep: async () => {} });
    expect(summary).toMatchObject({ mode: 'move-task', moved: 7, failed: 0, task: { status: 'COMPLETED', moved: 7 } });
    expect(calls[0]).toBe(
      'StartMessageMoveTaskCommand {"SourceArn":"arn:aws:sqs:eu-west-1:1:dlq","DestinationArn":"arn:aws:sqs:eu-west-1:1:jobs","MaxNumberOfMessagesPerSecond":50}',
    );
  });
});
