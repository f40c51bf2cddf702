// What each Kinesis consumer receives and acts on, from the synthesized template first and the consumer
// manifest (lambdas/consumers.ts) second:
// - the workload's event-type mix (`--event-mix`; default an even split over the registered types of
//   lambdas/shared/registry.ts, which is what the worked examples are: each order yields one OrderPlaced
//   and one OrderShipped);
// - a consumer's mapping FilterCriteria decide which of those types invoke it ("delivered"): the patterns
//   are evaluated, as Lambda does (EventBridge syntax, patterns ORed), against a record of each type, so a
//   fork's filters are costed as deployed. Only `data.type` is known about a record; a pattern that tests
//   any other field cannot be settled, and then the manifest's `handles` for the consumer's name stands in
//   (or, for a name not in the manifest, every type: an upper bound, said in a note);
// - its handler acts only on the types the manifest says it handles ("handled"; the shared loop
//   acknowledges the others before its idempotency record and its side effect, lambdas/shared/
//   stream-consumer.ts). A consumer not in the manifest acts on whatever it is delivered.
import type { KinesisConsumerSettings } from './assembly';
import { CONSUMERS, isConsumerName } from '../../lambdas/consumers';
import { eventTypes } from '../../lambdas/shared/registry';
import { compileKinesisFilter } from '../../local/lambda/event-filter';

/** Share of each event type among the events put on the stream (the values sum to 1). */
export type EventMix = Readonly<Record<string, number>>;

/** An even split over `types` (by default the registered event types). */
export function evenMix(types: readonly string[] = eventTypes): EventMix {
  return Object.fromEntries(types.map((t) => [t, 1 / types.length]));
}

/**
 * Parses `OrderPlaced=0.5,OrderShipped=0.5`: registered types only, shares ≥ 0, normalised to sum to 1 (so
 * weights such as `OrderPlaced=2,OrderShipped=1` work too); types not named get 0.
 */
export function parseEventMix(raw: string, registered: readonly string[] = eventTypes): EventMix {
  const mix: Record<string, number> = {};
  for (const part of raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(part);
    if (!m) throw new Error(`event mix entry "${part}" is not TYPE=SHARE`);
    const [, type, value] = m;
    if (!registered.includes(type)) throw new Error(`event mix: "${type}" is not a registered event type (${registered.join(', ')})`);
    const share = Number(value);
    if (!Number.isFinite(share) || share < 0) throw new Error(`event mix: the share of ${type} must be a number ≥ 0, got "${value}"`);
    if (type in mix) throw new Error(`event mix: ${type} is given twice`);
    mix[type] = share;
  }
  return normaliseMix(mix);
}

export function normaliseMix(mix: Readonly<Record<string, number>>): EventMix {
  const total = Object.values(mix).reduce((a, b) => a + b, 0);
  if (!(total > 0) || !Number.isFinite(total)) throw new Error('event mix: the shares must add up to more than 0');
  return Object.fromEntries(Object.entries(mix).map(([t, v]) => [t, v / total]));
}

type Tri = boolean | 'unknown';
const or = (xs: Tri[]): Tri => (xs.includes(true) ? true : xs.includes('unknown') ? 'unknown' : false);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether a pattern tests data.type and nothing else: the one field a mix of event types can answer. */
const testsOnlyType = (p: unknown): boolean =>
  isObject(p) &&
  Object.keys(p).length === 1 &&
  isObject(p['data']) &&
  Object.keys(p['data']).length === 1 &&
  Array.isArray(p['data']['type']);

/**
 * Whether a record of `type` passes a mapping's filter patterns (ORed; none = everything passes), by the
 * matcher the local cloud's pollers use (local/lambda/event-filter.ts); 'unknown' for a pattern that tests
 * another field or an operator that matcher does not know.
 */
export function filterPasses(patterns: readonly unknown[] | undefined, type: string): Tri {
  if (!patterns || patterns.length === 0) return true;
  const data = Buffer.from(JSON.stringify({ type }));
  return or(
    patterns.map((p): Tri => {
      if (!testsOnlyType(p)) return 'unknown';
      try {
        return compileKinesisFilter({ Filters: [{ Pattern: JSON.stringify(p) }] })!(data);
      } catch {
        return 'unknown';
      }
    }),
  );
}

export interface ConsumerTraffic {
  /** share of the stream's events that invoke it (pass its filter) */
  deliveredShare: number;
  /** share of the stream's events its handler acts on: idempotency records and jobs follow this */
  handledShare: number;
  deliveredTypes: string[];
  handledTypes: string[];
  /** where `deliveredTypes` came from */
  source: 'no filter' | 'filter' | 'manifest' | 'assumed all';
  /** what the reader had to assume, said once per consumer */
  note?: string;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

/** The consumer's share of events by its template filter and its manifest entry (see the header). */
export function consumerTraffic(c: KinesisConsumerSettings, mix: EventMix): ConsumerTraffic {
  const name = c.copyOf ?? c.fn.name;
  const types = Object.keys(mix);
  const manifest = isConsumerName(name) ? (CONSUMERS[name].handles as readonly string[]) : undefined;
  const verdicts = types.map((t) => [t, filterPasses(c.filterPatterns, t)] as const);
  let delivered: string[];
  let source: ConsumerTraffic['source'];
  let note: string | undefined;
  if (!verdicts.some(([, v]) => v === 'unknown')) {
    delivered = verdicts.filter(([, v]) => v === true).map(([t]) => t);
    source = c.filterPatterns ? 'filter' : 'no filter';
  } else if (manifest) {
    delivered = types.filter((t) => manifest.includes(t));
    source = 'manifest';
    note = `${c.fn.name}: its mapping's filter tests more than the event type, which the model cannot evaluate; the manifest's types (${delivered.join(', ') || 'none'}) are taken as what invokes it`;
  } else {
    delivered = types;
    source = 'assumed all';
    note = `${c.fn.name}: its mapping's filter tests more than the event type and it is not in the consumer manifest; every event is assumed to invoke it (an upper bound)`;
  }
  const handled = manifest ? delivered.filter((t) => manifest.includes(t)) : delivered;
  const total = Object.values(mix).reduce((n, v) => n + v, 0) || 1;
  const share = (ts: string[]) => ts.reduce((n, t) => n + (mix[t] ?? 0), 0) / total;
  const deliveredShare = share(delivered);
  const handledShare = share(handled);
  if (!note && handledShare < deliveredShare)
    note =
      `${c.fn.name}: ${c.filterPatterns ? 'its filter lets through' : 'its mapping has no filter, so it is invoked for'} ${delivered.join(' + ')} (${pct(deliveredShare)} of events), ` +
      `but its handler acts on ${handled.join(' + ') || 'none of them'} only (${pct(handledShare)}, manifest): idempotency records and jobs follow the ${pct(handledShare)}, invocations the ${pct(deliveredShare)}`;
  return { deliveredShare, handledShare, deliveredTypes: delivered, handledTypes: handled, source, note };
}

/** "every event" or "OrderPlaced, 50 % of events", for labels. */
export function describeShare(types: readonly string[], share: number, mix: EventMix): string {
  const all = Object.keys(mix).filter((t) => (mix[t] ?? 0) > 0);
  if (all.length > 0 && all.every((t) => types.includes(t))) return 'every event';
  return `${types.join(' + ') || 'no event type'}, ${pct(share)} of events`;
}
