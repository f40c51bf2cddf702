// What the consumer manifest (lambdas/consumers.ts) says a consumer does with an event, for the suites that
// count what the consumers did: whether it acts on a type, and which job ids it enqueues for an event.
import { CONSUMERS, isConsumerName } from '../../lambdas/consumers';
import { deriveId, type EventEnvelope } from '../../lambdas/shared/envelope';

/** Whether consumer `name` acts on events of `type`, per the manifest (a function outside it, e.g. a probe, takes all). */
export const actsOn = (name: string, type: string): boolean =>
  !isConsumerName(name) || (CONSUMERS[name].handles as readonly string[]).includes(type);

/** The job ids consumer `name` enqueues for an event, per the manifest: one per type in its `enqueues`, derived from the event id. */
export const jobIdsFor = (name: string, ev: Pick<EventEnvelope, 'id' | 'type'>): string[] =>
  isConsumerName(name) && actsOn(name, ev.type) ? CONSUMERS[name].enqueues.map((t) => deriveId(ev.id, t)) : [];
