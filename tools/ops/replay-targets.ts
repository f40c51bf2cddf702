/**
 * Where a replay sends its records (replay.ts): the events stream, with PutRecords (every consumer sees them
 * again), or one consumer's function, invoked with Kinesis-shaped batches as its mapping would. Every
 * re-delivered envelope keeps its id and carries `replay: { replayId, replayedAt, target }`.
 */
import type { EventEnvelope, KnownEvent } from '../../lambdas/shared/envelope';
import { publishEvents, type PutRecordsSender } from '../../lambdas/shared/producers/publish-events';
import type { ArchivedEvent } from './archive-reader';
import type { Checkpoint } from './checkpoint';
import { deliverToConsumer, kinesisRecordFor, type RecordOutcome } from './consumer-delivery';
import type { ConsumerInvoker, ConsumerTarget } from './consumer-invoker';
import { OpsError } from './errors';
import { need, type OpsEnvironment, streamEventSource } from './resolve-stage';

export type ReplayTarget = { readonly kind: 'stream' } | { readonly kind: 'consumer'; readonly name: string };

export function parseTarget(value: string): ReplayTarget {
  if (value === 'stream') return { kind: 'stream' };
  const m = /^consumer:([A-Za-z0-9_.-]+)$/.exec(value);
  if (m) return { kind: 'consumer', name: m[1]! };
  throw new OpsError(`--target must be "stream" or "consumer:<name>" (got "${value}")`, 2);
}

export const targetLabel = (t: ReplayTarget): string => (t.kind === 'stream' ? 'stream' : `consumer:${t.name}`);

/** PutRecords limit: the most records one stream chunk carries. */
export const STREAM_CHUNK = 500;

/** Sends one chunk to the target: an outcome per item, in order. */
export type Send = (items: readonly ArchivedEvent[]) => Promise<Array<{ ok: boolean; message?: string }>>;

/** What senderFor needs of the replay's options. */
export interface SenderOptions {
  readonly env: OpsEnvironment;
  readonly kinesis?: PutRecordsSender;
  readonly invoker?: ConsumerInvoker;
  readonly batchSize?: number;
  readonly maxRetries?: number;
  readonly consumerSleep?: (retry: number) => Promise<void>;
}

/** How chunks reach the target: PutRecords to the stream, or the consumer's function invoked with Kinesis-shaped batches. */
export async function senderFor(
  o: SenderOptions,
  target: ReplayTarget,
  replayId: string,
  cp: Checkpoint | undefined,
): Promise<{ send: Send; chunkSize?: number }> {
  if (target.kind === 'stream') {
    const streamName = need(o.env.eventStreamName, 'events stream', o.env);
    if (!o.kinesis) throw new Error('runReplay: a Kinesis client is required for --target stream');
    const kinesis = o.kinesis;
    const send: Send = async (items) => {
      const replayedAt = new Date().toISOString();
      const events = items.map((it) => marked(it.envelope, { replayId, replayedAt, target: 'stream' }));
      const report = await publishEvents(events, { client: kinesis, streamName });
      return report.results.map((r) => (r.ok ? { ok: true } : { ok: false, message: `${r.reason}: ${r.message}` }));
    };
    return { send };
  }
  if (!o.invoker) throw new Error('runReplay: a ConsumerInvoker is required for --target consumer:<name>');
  const invoker = o.invoker;
  const consumer: ConsumerTarget = await invoker.resolve(target.name, o.batchSize === undefined ? {} : { batchSize: o.batchSize });
  const shape = {
    shardId: `shardId-replay-${replayId.slice(0, 8)}`,
    ...streamEventSource(o.env, o.env.eventStreamName ?? 'events'),
  };
  let sequence = (cp?.totals.sent ?? 0) + (cp?.totals.failed ?? 0);
  const send: Send = async (items) => {
    const replayedAt = new Date().toISOString();
    const records = items.map((it) =>
      kinesisRecordFor(
        marked(it.envelope, { replayId, replayedAt, target: targetLabel(target) }),
        String(++sequence).padStart(21, '0'),
        shape,
      ),
    );
    const outcomes: RecordOutcome[] = await deliverToConsumer(records, {
      invoker,
      target: consumer,
      ...(o.maxRetries === undefined ? {} : { maxRetries: o.maxRetries }),
      ...(o.consumerSleep ? { sleep: o.consumerSleep } : {}),
    });
    return outcomes.map((r) => (r.ok ? { ok: true } : { ok: false, message: r.message ?? 'undeliverable' }));
  };
  return { send, chunkSize: consumer.batchSize };
}

function marked(envelope: KnownEvent, replay: NonNullable<EventEnvelope['replay']>): KnownEvent {
  return { ...envelope, replay } as KnownEvent;
}
