/**
 * enqueueJobs: SendMessageBatch with validation before sending, ≤ 10 entries and ≤ maxBatchBytes per
 * request, retries of only the failed entries, per-entry results. The job queue is a standard queue, which
 * promises no order, so retries simply go out in input order with no per-key holding back.
 */
import { SendMessageBatchCommand, type MessageAttributeValue, type SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import { DEFAULT_MAX_JOB_BYTES, serializeEnvelope, validateJob } from '../envelope';
import { chunks, deliverInRounds, invalidEntry } from './delivery';
import type { Delivered, DeliveryFailure, DeliveryReport, EntryOutcome, PendingEntry, RetryOptions } from './delivery';

/** The one method enqueueJobs uses; an SQSClient satisfies it, and so does a hand-written fake. */
export interface SendMessageBatchSender {
  send(command: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput>;
}

export interface EnqueueJobsOptions extends RetryOptions {
  readonly client: SendMessageBatchSender;
  readonly queueUrl: string;
  /** The queue's MaximumMessageSize: body + message attributes (1 MiB on AWS since January 2026). */
  readonly maxMessageBytes?: number;
  /** SendMessageBatch total payload limit (defaults to maxMessageBytes, as on AWS). */
  readonly maxBatchBytes?: number;
}

export interface EnqueuedJob extends Delivered {
  readonly messageId: string;
}

export type EnqueueResult = EnqueuedJob | DeliveryFailure;
export type EnqueueReport = DeliveryReport<EnqueuedJob>;

const MAX_BATCH_ENTRIES = 10;

interface Pending extends PendingEntry {
  readonly body: string;
  readonly attributes: Record<string, MessageAttributeValue>;
}

/** Sends job envelopes to an SQS queue. An empty input returns an empty report. Never throws for an entry. */
export async function enqueueJobs(jobs: readonly unknown[], options: EnqueueJobsOptions): Promise<EnqueueReport> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_JOB_BYTES;
  const maxBatchBytes = options.maxBatchBytes ?? maxMessageBytes;
  const results: EnqueueResult[] = new Array(jobs.length);
  const pending: Pending[] = [];

  jobs.forEach((job, index) => {
    const checked = validateJob(job);
    if (!checked.ok) {
      results[index] = invalidEntry(index, checked);
      return;
    }
    const envelope = checked.envelope;
    const body = serializeEnvelope(envelope);
    // Routing metadata without parsing the body (filters, redrive tooling); counted in the message size.
    const attributes: Record<string, MessageAttributeValue> = {
      type: { DataType: 'String', StringValue: envelope.type },
      version: { DataType: 'String', StringValue: String(envelope.version) },
    };
    const size = Buffer.byteLength(body, 'utf8') + attributesBytes(attributes);
    if (size > maxMessageBytes) {
      results[index] = {
        index,
        id: envelope.id,
        ok: false,
        reason: 'oversized',
        attempts: 0,
        message: `message is ${size} bytes (body + attributes), over the queue's ${maxMessageBytes}-byte limit`,
      };
      return;
    }
    pending.push({ index, id: envelope.id, body, attributes, size, attempts: 0 });
  });

  const fail = (entry: Pending, failure: Omit<DeliveryFailure, 'index' | 'id' | 'ok' | 'attempts'>): void => {
    results[entry.index] = { index: entry.index, id: entry.id, ok: false, attempts: entry.attempts, ...failure };
  };

  return deliverInRounds<Pending, EnqueuedJob>(pending, {
    results,
    retry: options,
    fail,
    requests: (entries) => chunks(entries, MAX_BATCH_ENTRIES, maxBatchBytes),
    send: async (chunk) => {
      const output = await options.client.send(
        new SendMessageBatchCommand({
          QueueUrl: options.queueUrl,
          // Id = position within this request (unique per request, as SQS requires).
          Entries: chunk.map((e, i) => ({ Id: String(i), MessageBody: e.body, MessageAttributes: e.attributes })),
        }),
      );
      const ok = new Map((output.Successful ?? []).map((s) => [s.Id, s]));
      const failed = new Map((output.Failed ?? []).map((f) => [f.Id, f]));
      return chunk.map((entry, i): EntryOutcome<EnqueuedJob> => {
        const success = ok.get(String(i));
        if (success?.MessageId !== undefined) {
          return {
            kind: 'ok',
            success: { index: entry.index, id: entry.id, ok: true, messageId: success.MessageId, attempts: entry.attempts },
          };
        }
        const error = failed.get(String(i));
        const errorCode = error?.Code ?? 'MissingResult';
        const message = error?.Message ?? 'SendMessageBatch returned no result for this entry';
        // SenderFault = the request was wrong for this entry (will not heal); otherwise a service-side error.
        return { kind: error?.SenderFault === true && !/throttl/i.test(errorCode) ? 'rejected' : 'retry', errorCode, message };
      });
    },
  });
}

/** SQS counts each attribute's name, data type and value towards the message size. */
function attributesBytes(attributes: Record<string, MessageAttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}
