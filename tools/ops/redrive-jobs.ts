/**
 * redrive jobs: the jobs DLQ → the jobs queue.
 *
 * - `move-task` (AWS): SQS StartMessageMoveTask (SourceArn = DLQ, DestinationArn = jobs queue), polled with
 *   ListMessageMoveTasks until it ends. SQS moves every message; it has no count limit, so `--max` uses the loop.
 * - `loop` (the local cloud, whose SQS lacks the move-task API, or `--max`): receive → send (same body and
 *   message attributes) → delete, and delete only after the send succeeded, so a message is never lost.
 *   Within a run each envelope id is sent once (a second copy in the DLQ is deleted, not sent).
 *   At-least-once window: if the process dies between a successful send and the delete, the message
 *   reappears in the DLQ after the visibility timeout and a LATER run sends it again; the worker's
 *   idempotency (keyed on the envelope id) absorbs that duplicate.
 * - `--dry-run` peeks: receives with a visibility timeout, summarises, then makes every peeked message
 *   visible again (ChangeMessageVisibility 0). Receive counts rise, which is harmless: the DLQ has no
 *   redrive policy of its own, so no count moves a message anywhere; the retention clock is unaffected.
 *
 * Why a job failed is NOT in the DLQ: SQS moves the message as it was sent (body and attributes; a consumer cannot
 * add an attribute on receive), so the worker's reason lives only in its log line `job failed: …`, keyed by the
 * envelope id. The summary therefore counts by job type, names the reason only where the tool can see it itself
 * (a body the worker cannot run: not JSON, not a job envelope, unknown type or version, invalid data), and lists
 * the envelope ids to look up in the worker's log (it never reports receive counts: every peek raises them).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  StartMessageMoveTaskCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseJob } from '../../lambdas/shared/envelope';
import { messageOf, OpsError } from './errors';
import type { ProgressSink } from './progress';
import type { TokenBucket } from './rate-limiter';
import { awsError, need, type OpsEnvironment } from './resolve-stage';

export type RedriveMode = 'auto' | 'move-task' | 'loop';

export interface RedriveJobsOptions {
  readonly env: OpsEnvironment;
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly max?: number;
  readonly dryRun?: boolean;
  /** messages/s: MaxNumberOfMessagesPerSecond for the move task, a token bucket for the loop */
  readonly rate?: number;
  readonly limiter?: TokenBucket;
  readonly mode?: RedriveMode;
  /** loop and peek: how long a received message stays hidden (default 60 s) */
  readonly visibilityTimeoutSeconds?: number;
  /** long-poll wait per receive (default 1 s); the run ends after two empty receives */
  readonly waitTimeSeconds?: number;
  /** move task: ms between ListMessageMoveTasks polls (default 5 s) */
  readonly pollIntervalMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly progress?: ProgressSink;
}

export interface RedriveJobsSummary {
  readonly mode: 'move-task' | 'loop' | 'peek';
  readonly source: string;
  readonly destination: string;
  moved: number;
  /** second copies of an envelope id already moved in this run: deleted from the DLQ, not sent */
  duplicatesDropped: number;
  failed: number;
  peeked: number;
  readonly byType: Record<string, number>;
  /** bodies the worker cannot run, by the reason it rejects them with (the only failure reason a DLQ message carries) */
  readonly notRunnable: Record<string, number>;
  /** the first messages seen (up to 20): the envelope ids to look up in the worker's log (`job failed`, envelopeId) */
  readonly sample: { messageId: string; envelopeId?: string; type: string; jobKey?: string; sentAt?: string }[];
  readonly failures: string[];
  fallbackReason?: string;
  task?: { status: string; moved: number; toMove?: number; failureReason?: string };
}

/**
 * The summary as text, as `npm run redrive -- jobs` and the console print it: `counts` writes a by-type table,
 * `max` is the --max of a peek, `why` adds lines about a peek's sample (where to find why each failed).
 */
export function redriveJobsLines(
  s: RedriveJobsSummary,
  envLabel: string,
  o: { counts: (c: Record<string, number>) => string; max?: number; why?: (sample: RedriveJobsSummary['sample']) => string[] },
): string[] {
  return [
    s.mode === 'peek'
      ? `dry run on ${envLabel}: ${s.peeked} message(s) in the jobs DLQ${o.max ? ` (first ${o.max})` : ''}; nothing consumed`
      : `redrive jobs on ${envLabel} (${s.mode}): moved ${s.moved}, failed ${s.failed}, duplicates dropped ${s.duplicatesDropped}`,
    '  by type:',
    o.counts(s.byType),
    ...(Object.keys(s.notRunnable).length > 0
      ? ['  not runnable (the worker rejects these bodies, whatever is fixed):', o.counts(s.notRunnable)]
      : []),
    ...(o.why && s.mode === 'peek' && s.sample.length > 0 ? o.why(s.sample) : []),
    ...(s.fallbackReason ? [`  note: ${s.fallbackReason}`] : []),
    ...s.failures.slice(0, 20).map((f) => `  ${f}`),
  ];
}

export async function redriveJobs(o: RedriveJobsOptions): Promise<RedriveJobsSummary> {
  const dlqUrl = need(o.env.jobDlqUrl, 'jobs dead-letter queue', o.env);
  const queueUrl = need(o.env.jobQueueUrl, 'jobs queue', o.env);
  if (o.max !== undefined && (!Number.isSafeInteger(o.max) || o.max < 1))
    throw new OpsError(`--max must be a positive integer (got ${o.max})`, 2);
  const summary: RedriveJobsSummary = {
    mode: o.dryRun ? 'peek' : 'loop',
    source: dlqUrl,
    destination: queueUrl,
    moved: 0,
    duplicatesDropped: 0,
    failed: 0,
    peeked: 0,
    byType: {},
    notRunnable: {},
    sample: [],
    failures: [],
  };
  if (o.dryRun) return peek(o, dlqUrl, summary);
  const mode = o.mode ?? 'auto';
  const wantTask = mode === 'move-task' || (mode === 'auto' && o.env.kind === 'aws' && o.max === undefined);
  if (mode === 'move-task' && o.max !== undefined)
    throw new OpsError('--max cannot be combined with --mode move-task (SQS moves every message); use --mode loop', 2);
  if (wantTask) {
    try {
      return await moveTask(o, dlqUrl, queueUrl, { ...summary, mode: 'move-task' });
    } catch (error) {
      if (!isUnsupportedAction(error) || mode === 'move-task') throw awsError(error, 'starting the SQS message move task');
      summary.fallbackReason = `StartMessageMoveTask not supported by this endpoint (${messageOf(error)}): used receive-send-delete`;
    }
  }
  return loop(o, dlqUrl, queueUrl, summary);
}

/** fauxqs answers InvalidAction "Unknown action"; other emulators say UnsupportedOperation / not implemented. */
function isUnsupportedAction(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return (
    /InvalidAction|UnsupportedOperation|NotImplemented|UnknownOperation/i.test(e.name ?? '') ||
    /unknown action|not implemented|not supported/i.test(e.message ?? '')
  );
}

async function queueArn(sqs: Pick<SQSClient, 'send'>, url: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.['QueueArn'];
  if (!arn) throw new OpsError(`queue ${url} returned no QueueArn`);
  return arn;
}

async function moveTask(o: RedriveJobsOptions, dlqUrl: string, queueUrl: string, summary: RedriveJobsSummary): Promise<RedriveJobsSummary> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const sourceArn = o.env.jobDlqArn ?? (await queueArn(o.sqs, dlqUrl));
  const destinationArn = o.env.jobQueueArn ?? (await queueArn(o.sqs, queueUrl));
  const started = await o.sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      DestinationArn: destinationArn,
      ...(o.rate ? { MaxNumberOfMessagesPerSecond: Math.floor(o.rate) } : {}),
    }),
  );
  o.progress?.start(undefined, 'message move task', { unit: 'messages', words: { sent: 'moved' } });
  o.progress?.log(`message move task started (${started.TaskHandle ?? 'no handle'})`);
  for (;;) {
    const out = await o.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    const task = out.Results?.[0];
    const status = task?.Status ?? 'UNKNOWN';
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    o.progress?.update({ sent: moved });
    if (status !== 'RUNNING' && status !== 'CANCELLING') {
      summary.moved = moved;
      summary.task = {
        status,
        moved,
        ...(task?.ApproximateNumberOfMessagesToMove === undefined ? {} : { toMove: task.ApproximateNumberOfMessagesToMove }),
        ...(task?.FailureReason ? { failureReason: task.FailureReason } : {}),
      };
      if (status !== 'COMPLETED') {
        summary.failed = Math.max(1, (task?.ApproximateNumberOfMessagesToMove ?? moved) - moved);
        summary.failures.push(`move task ended ${status}${task?.FailureReason ? `: ${task.FailureReason}` : ''}`);
      }
      o.progress?.stop();
      return summary;
    }
    await sleep(o.pollIntervalMs ?? 5_000);
  }
}

interface Received {
  readonly message: Message;
  readonly key: string;
}

async function loop(o: RedriveJobsOptions, dlqUrl: string, queueUrl: string, summary: RedriveJobsSummary): Promise<RedriveJobsSummary> {
  const sent = new Set<string>();
  // the DLQ's size is approximate and changes while we move: no total, only the counts so far
  o.progress?.start(undefined, 'redriving jobs', { unit: 'messages', words: { sent: 'moved' } });
  o.progress?.update({ sent: 0, failed: 0 });
  for await (const messages of dlqBatches(o, dlqUrl, () => summary.moved)) {
    const toSend: Received[] = [];
    const toDelete: Message[] = [];
    for (const message of messages) {
      const key = dedupeKey(message);
      if (sent.has(key) || toSend.some((r) => r.key === key)) {
        summary.duplicatesDropped++;
        toDelete.push(message);
      } else {
        toSend.push({ message, key });
        summarise(summary, message);
      }
    }
    if (toSend.length > 0) {
      await o.limiter?.take(toSend.length);
      let out: SendMessageBatchCommandOutput;
      try {
        out = await o.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: toSend.map((r, i) => ({
              Id: String(i),
              MessageBody: r.message.Body ?? '',
              MessageAttributes: copyAttributes(r.message.MessageAttributes),
            })),
          }),
        );
      } catch (error) {
        throw awsError(error, 'sending to the jobs queue (nothing was deleted from the DLQ)');
      }
      const ok = new Set((out.Successful ?? []).map((s) => s.Id));
      toSend.forEach((r, i) => {
        if (ok.has(String(i))) {
          sent.add(r.key);
          summary.moved++;
          toDelete.push(r.message);
        } else {
          // left in the DLQ: visible again after the visibility timeout
          const f = out.Failed?.find((x) => x.Id === String(i));
          summary.failed++;
          summary.failures.push(`${r.key}: not sent (${f?.Code ?? 'no result'}: ${f?.Message ?? ''}); left in the DLQ`);
        }
      });
    }
    if (toDelete.length > 0) {
      const out = await o.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: toDelete.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
      for (const f of out.Failed ?? []) {
        // the copy stays in the DLQ; a later run would send it again (worker idempotency absorbs it)
        summary.failures.push(`DLQ delete failed after a successful send (${f.Code}: ${f.Message ?? ''}): a later run may send it again`);
      }
    }
    o.progress?.update({ sent: summary.moved, failed: summary.failed });
  }
  o.progress?.stop();
  return summary;
}

async function peek(o: RedriveJobsOptions, dlqUrl: string, summary: RedriveJobsSummary): Promise<RedriveJobsSummary> {
  const seen = new Set<string>();
  const handles: string[] = [];
  try {
    for await (const messages of dlqBatches(o, dlqUrl, () => seen.size)) {
      for (const m of messages) {
        if (m.ReceiptHandle) handles.push(m.ReceiptHandle);
        if (seen.has(m.MessageId ?? '')) continue;
        seen.add(m.MessageId ?? '');
        summary.peeked++;
        summarise(summary, m);
      }
    }
  } finally {
    // hand every peeked message back at once: the DLQ ends as it started
    for (let i = 0; i < handles.length; i += 10) {
      await o.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: dlqUrl,
          Entries: handles.slice(i, i + 10).map((h, j) => ({ Id: String(j), ReceiptHandle: h, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
  return summary;
}

/**
 * Receives from the DLQ, up to 10 messages a call, while fewer than --max are `done()` (no limit without it),
 * until two receives in a row come back empty.
 */
async function* dlqBatches(o: RedriveJobsOptions, dlqUrl: string, done: () => number): AsyncGenerator<Message[]> {
  let empty = 0;
  while (o.max === undefined || done() < o.max) {
    const messages = await receive(o, dlqUrl, Math.min(10, o.max === undefined ? 10 : o.max - done()));
    if (messages.length === 0) {
      if (++empty >= 2) return;
      continue;
    }
    empty = 0;
    yield messages;
  }
}

async function receive(o: RedriveJobsOptions, queueUrl: string, max: number): Promise<Message[]> {
  try {
    const out = await o.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: max,
        VisibilityTimeout: o.visibilityTimeoutSeconds ?? 60,
        WaitTimeSeconds: o.waitTimeSeconds ?? 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    return out.Messages ?? [];
  } catch (error) {
    throw awsError(error, 'receiving from the jobs DLQ');
  }
}

/** The envelope id; for a body that is not a job envelope, its `id` if any, else the SQS message id. */
function dedupeKey(message: Message): string {
  const parsed = parseJob(message.Body ?? '');
  if (parsed.ok) return parsed.envelope.id;
  return parsed.envelopeId ?? `message:${message.MessageId ?? ''}`;
}

export const SAMPLE_SIZE = 20;

function summarise(summary: RedriveJobsSummary, message: Message): void {
  const parsed = parseJob(message.Body ?? '');
  const type = message.MessageAttributes?.['type']?.StringValue ?? (parsed.ok ? parsed.envelope.type : '(not a job envelope)');
  summary.byType[type] = (summary.byType[type] ?? 0) + 1;
  if (!parsed.ok) summary.notRunnable[parsed.reason] = (summary.notRunnable[parsed.reason] ?? 0) + 1;
  if (summary.sample.length < SAMPLE_SIZE) {
    const sent = Number(message.Attributes?.['SentTimestamp']);
    const envelopeId = parsed.ok ? parsed.envelope.id : parsed.envelopeId;
    summary.sample.push({
      messageId: message.MessageId ?? '',
      ...(envelopeId ? { envelopeId } : {}),
      type,
      ...(parsed.ok ? { jobKey: parsed.envelope.jobKey } : {}),
      ...(Number.isFinite(sent) && sent > 0 ? { sentAt: new Date(sent).toISOString() } : {}),
    });
  }
}

/** Message attributes as SendMessage takes them (the list types are reserved by SQS). */
function copyAttributes(attributes: Record<string, MessageAttributeValue> | undefined): Record<string, MessageAttributeValue> | undefined {
  if (!attributes) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, v]) => [
      name,
      {
        DataType: v.DataType!,
        ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
        ...(v.BinaryValue !== undefined ? { BinaryValue: v.BinaryValue } : {}),
      },
    ]),
  );
}
