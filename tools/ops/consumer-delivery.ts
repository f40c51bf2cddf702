/**
 * Feeds records to one consumer the way its event source mapping does: in order, in batches of the
 * mapping's batch size, one batch at a time, honouring the partial batch response (ReportBatchItemFailures):
 * on a reported failure the batch is retried from the first failed record (Lambda's checkpoint semantics),
 * up to `maxRetries` times; a function error retries the whole remaining batch. What is still undelivered
 * after that is returned as failed for the caller to write to its failures file.
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { serializeEnvelope, type EventEnvelope } from '../../lambdas/shared/envelope';
import type { ConsumerInvoker, ConsumerTarget } from './consumer-invoker';

const DEFAULT_MAX_RETRIES = 3;

export interface RecordOutcome {
  readonly ok: boolean;
  /** invocations that carried this record */
  readonly attempts: number;
  readonly message?: string;
}

export interface ConsumerDeliveryOptions {
  readonly invoker: ConsumerInvoker;
  readonly target: ConsumerTarget;
  /** retries of a failed batch tail, after the first invocation (default 3, like the template's mappings) */
  readonly maxRetries?: number;
  /** pause before retry n (1-based); default 100 ms × 2^(n-1), capped at 2 s */
  readonly sleep?: (retry: number) => Promise<void>;
}

const defaultSleep = (retry: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** (retry - 1))));

/** Delivers `records` in batches of the target's batch size; one outcome per record, in input order. */
export async function deliverToConsumer(
  records: readonly KinesisStreamRecord[],
  options: ConsumerDeliveryOptions,
): Promise<RecordOutcome[]> {
  const outcomes: RecordOutcome[] = [];
  const size = Math.max(1, options.target.batchSize);
  for (let i = 0; i < records.length; i += size) outcomes.push(...(await deliverBatch(records.slice(i, i + size), options)));
  return outcomes;
}

async function deliverBatch(batch: readonly KinesisStreamRecord[], options: ConsumerDeliveryOptions): Promise<RecordOutcome[]> {
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const sleep = options.sleep ?? defaultSleep;
  const outcomes: RecordOutcome[] = new Array(batch.length);
  const attempts = new Array<number>(batch.length).fill(0);
  let start = 0; // records before `start` are delivered
  let lastMessage = '';
  for (let invocation = 0; start < batch.length; invocation++) {
    if (invocation > maxRetries) break;
    if (invocation > 0) await sleep(invocation);
    const pending = batch.slice(start);
    for (let i = start; i < batch.length; i++) attempts[i]! += 1;
    const event: KinesisStreamEvent = { Records: [...pending] };
    const outcome = await options.invoker.invoke(options.target, event);
    let failedAt: number; // index within `pending` of the first failed record
    if (outcome.kind === 'failed') {
      failedAt = 0;
      lastMessage = outcome.message;
    } else if (outcome.batchItemFailures.length === 0) {
      failedAt = pending.length;
    } else {
      // Lambda: a null/empty or unknown itemIdentifier fails the whole batch; otherwise retry from the lowest.
      const positions = outcome.batchItemFailures.map((id) =>
        id === null ? -1 : pending.findIndex((r) => r.kinesis.sequenceNumber === id),
      );
      failedAt = positions.some((p) => p < 0) ? 0 : Math.min(...positions);
      const first = pending[failedAt]!;
      lastMessage = positions.some((p) => p < 0)
        ? 'partial batch response named an unknown or empty itemIdentifier (whole batch failed)'
        : `the consumer reported record ${first.kinesis.sequenceNumber} as failed`;
    }
    for (let i = start; i < start + failedAt; i++) outcomes[i] = { ok: true, attempts: attempts[i]! };
    start += failedAt;
  }
  for (let i = start; i < batch.length; i++) {
    outcomes[i] = { ok: false, attempts: attempts[i]!, message: `undeliverable after ${maxRetries} retries: ${lastMessage}` };
  }
  return outcomes;
}

export interface RecordShape {
  readonly shardId: string;
  readonly eventSourceArn: string;
  readonly region: string;
}

/** A Kinesis event record as Lambda builds it, carrying `envelope` as the record data. */
export function kinesisRecordFor(
  envelope: EventEnvelope,
  sequenceNumber: string,
  shape: RecordShape,
  arrival = new Date(),
): KinesisStreamRecord {
  return kinesisRecordOf(Buffer.from(serializeEnvelope(envelope), 'utf8'), envelope.partitionKey, sequenceNumber, shape, arrival);
}

/** A Kinesis event record as Lambda builds it around any record data (bytes as they are, e.g. read from the stream). */
export function kinesisRecordOf(
  data: Uint8Array,
  partitionKey: string,
  sequenceNumber: string,
  shape: RecordShape,
  arrival: Date,
): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey,
      sequenceNumber,
      data: Buffer.from(data).toString('base64'),
      approximateArrivalTimestamp: arrival.getTime() / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shape.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: '',
    awsRegion: shape.region,
    eventSourceARN: shape.eventSourceArn,
  };
}
