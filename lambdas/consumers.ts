/**
 * The consumer manifest: every consumer of the event stream, declared once. A consumer is one entry here
 * plus one folder `lambdas/<name>/` whose handler.ts calls `streamConsumerHandler('<name>', …)`.
 *
 * From each entry come: the event source mapping's filter criteria and parallelization factor, the
 * function's environment and grants (lib/compute-stack.ts), the handler's `handles` and idempotency
 * (lambdas/shared/stream-consumer.ts), the cost model's share of events and its job and idempotency lines
 * (tools/cost), the demo's and the tests' expectations, and the README's consumer table.
 *
 * A consumer's name is its identity: the function's stable name, its mapping (and so its position in the
 * stream), its idempotency key prefix, its metrics' service dimension and its failure objects' owner.
 * Renaming one makes a new consumer that starts from the stream's trim horizon; the old one's position and
 * records are gone with it.
 *
 * Plain data, no AWS shapes: the CDK app, the handlers and the tools all import it.
 */
import { eventTypes, type EventTypeName, type JobType } from './shared/registry';

/**
 * How a consumer keeps a redelivered event from repeating its side effect:
 * - `none`: no records; the side effect is naturally idempotent (jobs with ids derived from the event id,
 *   which the worker's own records run once) or tolerates a repeat (metrics). A redelivery costs nothing
 *   but the invocation.
 * - `dynamodb`: a Powertools idempotency record per envelope id (two writes per event), for a side effect
 *   that is not idempotent by itself (calling an outside API that has no idempotency key).
 */
export type IdempotencyMode = 'none' | 'dynamodb';

export interface ConsumerManifestEntry {
  /** Event types it acts on; the mapping's filter criteria keep the other registered types from invoking it. */
  readonly handles: readonly EventTypeName[];
  /** Job types it enqueues: it gets JOB_QUEUE_URL and sqs:SendMessage on the job queue when there is any. */
  readonly enqueues: readonly JobType[];
  readonly idempotency: IdempotencyMode;
  /** Concurrent batches per shard (1–10). Above 1, order holds per partition key, not per shard. */
  readonly parallelizationFactor: number;
  /** What it does for an event: the README's consumer table. */
  readonly sideEffect: string;
  /** Why its idempotency mode is right for that side effect, and what a duplicate delivery does. */
  readonly onDuplicate: string;
}

/** Keeps an entry's `handles` literal (the handler's event type follows it) and the rest as declared. */
const entry = <const H extends readonly EventTypeName[]>(
  e: ConsumerManifestEntry & { readonly handles: H },
): ConsumerManifestEntry & { readonly handles: H } => e;

export const CONSUMERS = {
  notifications: entry({
    handles: ['OrderPlaced', 'OrderShipped'],
    enqueues: ['send-email'],
    idempotency: 'none',
    parallelizationFactor: 1,
    sideEffect: 'enqueues a send-email job per order event',
    onDuplicate:
      'the job id is derived from the event id, so a redelivered or replayed event enqueues the same job again and the worker, whose records run each job id once, acknowledges it without sending a second e-mail; a duplicate costs one SQS message and one failed conditional write in the worker (1 WRU)',
  }),
  payments: entry({
    handles: ['OrderPlaced'],
    enqueues: ['process-payment'],
    idempotency: 'none',
    parallelizationFactor: 1,
    sideEffect: 'enqueues a process-payment job per placed order',
    onDuplicate:
      'the job id is derived from the event id, so a duplicate enqueues the same job and the worker charges the card once; a duplicate costs one SQS message and one failed conditional write in the worker (1 WRU)',
  }),
  analytics: entry({
    handles: ['OrderPlaced', 'OrderShipped'],
    enqueues: [],
    idempotency: 'none',
    parallelizationFactor: 1,
    sideEffect: 'adds order counts and revenue to CloudWatch metrics (EMF)',
    onDuplicate:
      'metrics are at-least-once: a retry never counts twice (only records before the checkpoint are published) and a batch counts an envelope id once, but an event delivered again in a later batch (a producer retry after a lost reply, a replay to the stream, a crash after the metrics line) is counted again; exact counts come from the archive, deduplicated by envelope id',
  }),
};

export type ConsumerName = keyof typeof CONSUMERS;
export const consumerNames = Object.keys(CONSUMERS) as ConsumerName[];
/** The event types consumer `N` acts on. */
export type HandledBy<N extends ConsumerName> = (typeof CONSUMERS)[N]['handles'][number];

export const isConsumerName = (name: string): name is ConsumerName => Object.hasOwn(CONSUMERS, name);

/** The manifest entry of `name`; throws with the known names for anything else. */
export function consumerManifest(name: string): ConsumerManifestEntry {
  if (!isConsumerName(name)) {
    throw new Error(`"${name}" is not in the consumer manifest (lambdas/consumers.ts): known consumers are ${consumerNames.join(', ')}`);
  }
  return CONSUMERS[name];
}

/**
 * The Lambda filter patterns (EventBridge syntax over the record's JSON `data`) that keep from a consumer
 * only the registered event types it does not handle, or none when it handles every registered type.
 *
 * It excludes the known types it ignores rather than listing the ones it handles, so that an envelope of an
 * unregistered type, or JSON without a `type`, still reaches the handler and goes to the failure bucket
 * with its reason. A record whose data is not JSON at all never matches a data filter (Lambda drops it), so
 * a filtered consumer never sees one: `assertMalformedRecordsReachAConsumer` keeps one consumer unfiltered.
 */
export function filterPatternsFor(entry: Pick<ConsumerManifestEntry, 'handles'>, registered: readonly string[] = eventTypes): object[] {
  const ignored = registered.filter((t) => !entry.handles.includes(t as EventTypeName));
  if (ignored.length === 0) return [];
  return [{ data: { type: [{ 'anything-but': ignored }] } }, { data: { type: [{ exists: false }] } }];
}

/**
 * Lambda drops a record whose data is not JSON before any filtered consumer sees it, silently. At least one
 * consumer must take every registered type (and so have no filter) to report such a record to the failure
 * bucket; the archive keeps it either way.
 */
export function assertMalformedRecordsReachAConsumer(
  entries: ReadonlyArray<readonly [string, Pick<ConsumerManifestEntry, 'handles'>]>,
  registered: readonly string[] = eventTypes,
): void {
  if (entries.length === 0) return;
  if (entries.some(([, e]) => filterPatternsFor(e, registered).length === 0)) return;
  throw new Error(
    `every consumer (${entries.map(([n]) => n).join(', ')}) filters by event type, so a record whose data is not JSON would be dropped by all of them ` +
      'without reaching a failure bucket: let one consumer handle every registered event type (it acknowledges the ones it ignores in code)',
  );
}
