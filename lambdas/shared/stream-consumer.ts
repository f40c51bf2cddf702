/**
 * The Kinesis adapter of the handler core (lambdas/shared/record-batch.ts), which every stream consumer shares:
 * decode, parse the envelope, run the consumer's per-event function, send the jobs the batch asked for,
 * report partial batch failures, publish metrics. What a consumer handles, enqueues and how it keeps
 * duplicates out comes from its manifest entry (lambdas/consumers.ts).
 *
 * Batch-aware, per-key order:
 * - Records are grouped by partition key. Keys are processed concurrently; the records of one key one after
 *   another, in stream order. Order across keys was never promised (Kinesis orders per shard, producers per
 *   key), so nothing a consumer relies on changes.
 * - A record that fails stops its own key: the later records of that key are not attempted and are reported
 *   with it; other keys go on.
 * - The jobs every record asked for (`context.enqueue`) go out after the per-event work, together, in
 *   SendMessageBatch requests of up to 10 sent in parallel (idempotency `none`); a job that is not accepted
 *   fails the record that asked for it (and so the later records of its key). With idempotency `dynamodb`
 *   a record's jobs are sent inside its idempotent section, before its record is completed.
 *
 * What is retried (Lambda's checkpoint rule): Lambda resumes the shard from the LOWEST sequence number in
 * batchItemFailures and delivers every record from there again, including records of other keys that
 * succeeded after it. That is safe because a redelivered record repeats nothing that counts: jobs carry ids
 * derived from the event id and the worker runs each id once; metrics and counters are published only for
 * the records before that checkpoint (the ones Lambda will not deliver again), so a retry never counts twice.
 *
 * When the FIRST record of a batch fails (and there are others behind it), the handler throws instead: a
 * partial response naming the first record checkpoints nothing, so Lambda would retry the same batch and,
 * once retries run out, discard the good records behind the poison one to the on-failure destination too.
 * An invocation error makes Lambda bisect the batch (BisectBatchOnFunctionError applies to invocation
 * errors whatever ReportBatchItemFailures says), which isolates the poison record; only it is discarded.
 *
 * An envelope id that appears twice in one batch (a producer retry) runs once; the second copy is
 * acknowledged as a duplicate, or fails with the first.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { consumerManifest, type ConsumerManifestEntry, type ConsumerName, type HandledBy } from '../consumers';
import { parseEvent, type KnownEvent, type KnownJob } from './envelope';
import { ConfigurationError, PoisonAtBatchStartError, SkippedAfterEarlierFailureError } from './errors';
import type { Idempotency } from './idempotency';
import type { JobQueue } from './job-queue';
import { DeliveryFailedError, type DeliveryFailure } from './producers/delivery';
import { EVENTS, once, type Outcome as RecordOutcome, RecordBatch } from './record-batch';
import { BatchCounters, createTelemetry, type Telemetry } from './telemetry';

/** Kinesis's hard ceiling on record size (a stream's limit is 1 MiB by default, raisable to 10 MiB). */
export const MAX_STREAM_RECORD_BYTES = 10 * 1024 * 1024;

export interface EventContext {
  readonly logger: Logger;
  /** This event's metrics: published only once the event succeeded and lies before the batch's checkpoint. */
  readonly counters: BatchCounters;
  /**
   * Queues jobs this event causes. They are sent with the rest of the invocation's jobs once the event's
   * work has returned; the event succeeds only if every one of them is accepted. Give each job an id
   * derived from the event id (`deriveId(event.id, …)`) so a redelivered event enqueues the same job.
   */
  enqueue(...jobs: KnownJob[]): void;
}

export interface StreamConsumer<N extends ConsumerName> {
  /** The per-event work. Throwing fails the record (and the later records of its key), which Lambda retries. */
  readonly onEvent: (event: KnownEvent<HandledBy<N>>, context: EventContext) => void | Promise<void>;
}

/** What a consumer's handler wires in; the manifest says which it needs, and a missing one fails the cold start. */
export interface ConsumerPorts {
  readonly telemetry?: Telemetry;
  /** Required when the manifest entry lists job types (`enqueues`). */
  readonly jobQueue?: JobQueue;
  /** Required when the manifest entry's idempotency is `dynamodb`. */
  readonly idempotency?: Idempotency;
  /** Replaces the manifest entry (tests and benchmarks only). */
  readonly manifest?: ConsumerManifestEntry;
}

/** What an event's work leaves until its record is committed: its metrics and the jobs still to send. */
interface EventWork {
  readonly counters: BatchCounters;
  readonly jobs: KnownJob[];
}

type Outcome = RecordOutcome<KnownEvent, EventWork>;
type Batch = RecordBatch<KinesisStreamRecord, KnownEvent, EventWork>;

export function streamConsumerHandler<N extends ConsumerName>(
  name: N,
  consumer: StreamConsumer<N>,
  ports: ConsumerPorts = {},
): (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse> {
  const manifest = ports.manifest ?? consumerManifest(name);
  const { logger, metrics } = ports.telemetry ?? createTelemetry();
  const handles = new Set<string>(manifest.handles);
  const queue = ports.jobQueue;
  if (manifest.enqueues.length > 0 && queue === undefined) {
    throw new ConfigurationError(
      `consumer ${name} enqueues ${manifest.enqueues.join(', ')} (lambdas/consumers.ts) but its handler passes no jobQueue`,
    );
  }
  const idempotency = manifest.idempotency === 'dynamodb' ? ports.idempotency : undefined;
  if (manifest.idempotency === 'dynamodb' && idempotency === undefined) {
    throw new ConfigurationError(
      `consumer ${name} keeps DynamoDB idempotency records (lambdas/consumers.ts) but its handler passes no idempotency`,
    );
  }

  const newContext = (counters: BatchCounters, jobs: KnownJob[]): EventContext => ({
    logger,
    counters,
    enqueue: (...more) => {
      if (queue === undefined)
        throw new ConfigurationError(`consumer ${name} enqueued a job but lists no job types in lambdas/consumers.ts`);
      jobs.push(...more);
    },
  });

  /** Sends jobs now and throws unless every one was accepted (the idempotent path: inside the record). */
  const sendAll = async (jobs: readonly KnownJob[]): Promise<void> => {
    if (jobs.length === 0) return;
    const report = await queue!.send(jobs);
    const failed = report.results.filter((r): r is DeliveryFailure => !r.ok);
    if (failed.length > 0) throw new DeliveryFailedError(failed, jobs.length);
  };

  const runOnce = once(idempotency, async (event: KnownEvent, work: EventWork) => {
    await consumer.onEvent(event as KnownEvent<HandledBy<N>>, newContext(work.counters, work.jobs));
    if (idempotency !== undefined) await sendAll(work.jobs);
  });

  /** The per-event work up to the batched send: never throws, the outcome says what happened. */
  const attempt = async (event: KnownEvent, batch: Batch): Promise<Outcome> => {
    if (!handles.has(event.type)) return { kind: 'skipped', envelope: event };
    const work: EventWork = { counters: new BatchCounters(), jobs: [] };
    return batch.attempt(event, async () => ({
      duplicate: (await runOnce(event, work)).duplicate,
      // with idempotency records the jobs went out inside the record: none left to send or count
      result: idempotency === undefined ? work : { counters: work.counters, jobs: [] },
    }));
  };

  /** Runs one partition key's records in order; the first failure stops the key. */
  const runKey = async (indices: readonly number[], batch: Batch, firstById: Map<string, Promise<Outcome>>): Promise<void> => {
    for (const [n, i] of indices.entries()) {
      const record = batch.records[i]!;
      const parsed = batch.parse(parseEvent(Buffer.from(record.kinesis.data, 'base64'), { maxBytes: MAX_STREAM_RECORD_BYTES }));
      let outcome: Outcome;
      if (!parsed.ok) {
        outcome = parsed.outcome;
      } else {
        const event = parsed.envelope;
        const earlier = firstById.get(event.id);
        if (earlier === undefined) {
          const pending = attempt(event, batch);
          firstById.set(event.id, pending);
          outcome = await pending;
        } else {
          const first = await earlier;
          outcome = first.kind === 'ok' || first.kind === 'duplicate' ? { kind: 'duplicate', envelope: event, inBatch: true } : first;
        }
      }
      batch.outcomes[i] = outcome;
      if (outcome.kind === 'failed' || outcome.kind === 'not-attempted') {
        const skipped = new SkippedAfterEarlierFailureError(record.kinesis.sequenceNumber);
        for (const later of indices.slice(n + 1)) batch.outcomes[later] = { kind: 'not-attempted', error: skipped };
        return;
      }
    }
  };

  /** The batched send (idempotency `none`): a rejected job fails its record and the later records of its key. */
  const sendBatchJobs = async (batch: Batch, keyOf: (i: number) => string): Promise<void> => {
    const owners: number[] = [];
    const jobs: KnownJob[] = [];
    batch.outcomes.forEach((o, i) => {
      if (o.kind !== 'ok') return;
      for (const job of o.result.jobs) {
        owners.push(i);
        jobs.push(job);
      }
    });
    if (jobs.length === 0) return;
    const report = await queue!.send(jobs);
    const failedBy = new Map<number, DeliveryFailure[]>();
    report.results.forEach((r, j) => {
      if (!r.ok) failedBy.set(owners[j]!, [...(failedBy.get(owners[j]!) ?? []), r]);
    });
    const stoppedKeys = new Map<string, SkippedAfterEarlierFailureError>();
    batch.outcomes.forEach((o, i) => {
      const key = keyOf(i);
      const stopped = stoppedKeys.get(key);
      if (stopped !== undefined) {
        if (o.kind === 'ok' || o.kind === 'duplicate' || o.kind === 'skipped')
          batch.outcomes[i] = { kind: 'not-attempted', error: stopped };
        return;
      }
      const failures = failedBy.get(i);
      if (o.kind === 'ok' && failures !== undefined) {
        batch.outcomes[i] = batch.failed(o.envelope, new DeliveryFailedError(failures, o.result.jobs.length));
        stoppedKeys.set(key, new SkippedAfterEarlierFailureError(batch.records[i]!.kinesis.sequenceNumber));
      }
    });
  };

  return async (event, context) => {
    logger.addContext(context);
    idempotency?.registerLambdaContext(context);
    const batch: Batch = new RecordBatch(event.Records, EVENTS, logger);
    const keyOf = (i: number): string => batch.records[i]!.kinesis.partitionKey;
    try {
      const byKey = new Map<string, number[]>();
      batch.records.forEach((_, i) => {
        const list = byKey.get(keyOf(i));
        if (list) list.push(i);
        else byKey.set(keyOf(i), [i]);
      });
      const firstById = new Map<string, Promise<Outcome>>();
      await Promise.all([...byKey.values()].map((indices) => runKey(indices, batch, firstById)));
      if (idempotency === undefined && queue !== undefined) await sendBatchJobs(batch, keyOf);
      return respond(batch);
    } finally {
      batch.attempts.publish(metrics);
    }
  };

  /** Logs every record's outcome in stream order, commits the counters before the checkpoint, answers Lambda. */
  function respond(batch: Batch): KinesisStreamBatchResponse {
    const failed = batch.failedIndices();
    const checkpoint = failed[0] ?? batch.records.length;
    const committed = new BatchCounters();
    batch.outcomes.forEach((o, i) => {
      batch.log(o, about(batch.records[i]!, o));
      if (i >= checkpoint) return;
      batch.commit(o, committed);
      if (o.kind !== 'ok') return;
      committed.merge(o.result.counters);
      for (const job of o.result.jobs) committed.add('JobsEnqueued', 1, { jobType: job.type });
    });
    committed.publish(metrics);
    batch.logSummary();

    if (failed.length > 0 && batch.records.length > 1 && checkpoint === 0) {
      const first = batch.records[0]!.kinesis.sequenceNumber;
      logger.warn('first record of the batch failed: failing the invocation so that Lambda bisects the batch', {
        records: batch.records.length,
        firstFailedSequenceNumber: first,
      });
      throw new PoisonAtBatchStartError(first, batch.records.length);
    }
    if (failed.length > 0) {
      logger.warn('batch partially failed: Lambda retries from the first failed record', {
        records: batch.records.length,
        firstFailedSequenceNumber: batch.records[checkpoint]!.kinesis.sequenceNumber,
        failed: failed.length,
        redelivered: batch.records.length - checkpoint,
      });
    }
    return { batchItemFailures: failed.map((i) => ({ itemIdentifier: batch.records[i]!.kinesis.sequenceNumber })) };
  }
}

/** Which record a line is about: its place in the stream, and the event when the data was one. */
function about(record: KinesisStreamRecord, outcome: Outcome): Record<string, unknown> {
  const where = {
    sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
    eventSourceARN: record.eventSourceARN,
  };
  if (!('envelope' in outcome) || outcome.envelope === undefined) return where;
  const event = outcome.envelope;
  return { ...where, envelopeId: event.id, eventType: event.type, version: event.version, replayId: event.replay?.replayId };
}
