/**
 * publishEvents: PutRecords with validation before sending, request-size-aware chunking, retries of only
 * the failed entries, per-entry results, and per-partition-key order kept under partial failure.
 *
 * Ordering (default `ordering: 'per-key'`): AWS documents that PutRecords does not guarantee order, since a
 * failed record does not stop later ones in the same request. So one request never carries two records of
 * the same partition key: a record is sent only once every earlier record of its key has succeeded. A record
 * whose key had an earlier failure in the same call (invalid, oversized, rejected, retries exhausted) is not
 * sent at all ('blocked-by-earlier-failure'), so the stream never holds a later event of a key without the
 * earlier one; the caller can resend the failed tail in order. Distinct keys cost nothing extra; N
 * records of one key take N rounds. `ordering: 'none'` packs requests greedily for bulk loads where order
 * does not matter (retries still go out in input order).
 */
import { PutRecordsCommand, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { DEFAULT_MAX_EVENT_BYTES, MIB, serializeEnvelope, validateEvent } from '../envelope';
import { chunks, deliverInRounds, invalidEntry } from './delivery';
import type { Delivered, DeliveryFailure, DeliveryReport, EntryOutcome, PendingEntry, RetryOptions } from './delivery';

/** The one method publishEvents uses; a KinesisClient satisfies it, and so does a hand-written fake. */
export interface PutRecordsSender {
  send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput>;
}

export interface PublishEventsOptions extends RetryOptions {
  readonly client: PutRecordsSender;
  readonly streamName: string;
  /** The stream's maximum record size, data + partition key (1 MiB by default; up to 10 MiB if raised). */
  readonly maxRecordBytes?: number;
  /** PutRecords request limit, data + partition keys (default max(5 MiB, maxRecordBytes)). */
  readonly maxRequestBytes?: number;
  /** PutRecords record limit (500). */
  readonly maxRecordsPerRequest?: number;
  readonly ordering?: 'per-key' | 'none';
}

export interface PublishedEvent extends Delivered {
  readonly shardId: string;
  readonly sequenceNumber: string;
}

export type PublishResult = PublishedEvent | DeliveryFailure;
export type PublishReport = DeliveryReport<PublishedEvent>;

// Per-entry error codes PutRecords documents as transient.
const RETRYABLE_CODES = new Set(['ProvisionedThroughputExceededException', 'InternalFailure', 'KMSThrottlingException']);

interface Pending extends PendingEntry {
  readonly data: Uint8Array;
  readonly partitionKey: string;
}

/** Publishes event envelopes to a Kinesis stream. An empty input returns an empty report. Never throws for an entry. */
export async function publishEvents(events: readonly unknown[], options: PublishEventsOptions): Promise<PublishReport> {
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const maxRequestBytes = options.maxRequestBytes ?? Math.max(5 * MIB, maxRecordBytes);
  const maxRecords = options.maxRecordsPerRequest ?? 500;
  const perKey = (options.ordering ?? 'per-key') === 'per-key';
  const results: PublishResult[] = new Array(events.length);
  const pending: Pending[] = [];

  // Earliest failed entry per partition key: later records of that key are held back (per-key mode).
  const failedKeys = new Map<string, DeliveryFailure>();
  const record = (failure: DeliveryFailure, partitionKey: unknown): void => {
    results[failure.index] = failure;
    if (typeof partitionKey !== 'string') return;
    const earliest = failedKeys.get(partitionKey);
    if (earliest === undefined || failure.index < earliest.index) failedKeys.set(partitionKey, failure);
  };

  events.forEach((event, index) => {
    const checked = validateEvent(event);
    if (!checked.ok) {
      record(invalidEntry(index, checked), (event as { partitionKey?: unknown } | null)?.partitionKey);
      return;
    }
    const envelope = checked.envelope;
    const data = Buffer.from(serializeEnvelope(envelope), 'utf8');
    const keyBytes = Buffer.byteLength(envelope.partitionKey, 'utf8');
    const size = data.byteLength + keyBytes;
    if (size > maxRecordBytes) {
      const message = `record is ${size} bytes (data ${data.byteLength} + partition key ${keyBytes}), over the stream's ${maxRecordBytes}-byte limit`;
      record({ index, id: envelope.id, ok: false, reason: 'oversized', attempts: 0, message }, envelope.partitionKey);
      return;
    }
    pending.push({ index, id: envelope.id, data, partitionKey: envelope.partitionKey, size, attempts: 0 });
  });

  const fail = (entry: Pending, failure: Omit<DeliveryFailure, 'index' | 'id' | 'ok' | 'attempts'>): void =>
    record({ index: entry.index, id: entry.id, ok: false, attempts: entry.attempts, ...failure }, entry.partitionKey);

  const blocked = (entry: Pending): boolean => {
    const earlier = failedKeys.get(entry.partitionKey);
    if (earlier === undefined || earlier.index > entry.index) return false;
    fail(entry, {
      reason: 'blocked-by-earlier-failure',
      message: `not sent: earlier entry ${earlier.index} (${earlier.id ?? 'no id'}) with the same partition key failed (${earlier.reason})`,
    });
    return true;
  };

  return deliverInRounds<Pending, PublishedEvent>(pending, {
    results,
    retry: options,
    fail,
    ...(perKey ? { prune: (entries: Pending[]) => entries.filter((entry) => !blocked(entry)), eligible: firstPerKey } : {}),
    requests: (entries) => chunks(entries, maxRecords, maxRequestBytes),
    send: async (chunk) => {
      const output = await options.client.send(
        new PutRecordsCommand({
          StreamName: options.streamName,
          Records: chunk.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey })),
        }),
      );
      const records = output.Records ?? [];
      return chunk.map((entry, i): EntryOutcome<PublishedEvent> => {
        const record = records[i];
        if (record?.SequenceNumber !== undefined && record.ShardId !== undefined && record.ErrorCode === undefined) {
          return {
            kind: 'ok',
            success: {
              index: entry.index,
              id: entry.id,
              ok: true,
              shardId: record.ShardId,
              sequenceNumber: record.SequenceNumber,
              attempts: entry.attempts,
            },
          };
        }
        const errorCode = record?.ErrorCode ?? 'MissingResult';
        const message = record?.ErrorMessage ?? `PutRecords returned ${records.length} results for ${chunk.length} records`;
        return { kind: record !== undefined && !RETRYABLE_CODES.has(errorCode) ? 'rejected' : 'retry', errorCode, message };
      });
    },
  });
}

/** The earliest pending record of every partition key (input order kept). */
function firstPerKey(pending: readonly Pending[]): Pending[] {
  const seen = new Set<string>();
  return pending.filter((entry) => !seen.has(entry.partitionKey) && seen.add(entry.partitionKey));
}
