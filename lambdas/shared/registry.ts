/**
 * The registry of event types and job types: the ONE place a fork adds a type or a version.
 *
 * Each entry maps a version number to the zod schema of the envelope's `data` for that version.
 * Adding `OrderPlaced` v2 means adding `2: schema` beside `1`; producers then write the highest
 * version by default, and consumers keep accepting every version listed here.
 */
import * as z from 'zod/mini';

const nonEmpty = (max = 256) => z.string().check(z.minLength(1), z.maxLength(max));
const cents = () => z.int().check(z.gte(0));
// ISO 4217 alphabetic code; upper case keeps metrics dimensions from splitting "usd" and "USD".
const currency = () => z.string().check(z.regex(/^[A-Z]{3}$/));
const email = () => z.email();

export const eventRegistry = {
  OrderPlaced: {
    1: z.object({
      orderId: nonEmpty(),
      customerEmail: email(),
      items: z.array(z.object({ sku: nonEmpty(), quantity: z.int().check(z.gte(1)), unitPriceCents: cents() })).check(z.minLength(1)),
      totalCents: cents(),
      currency: currency(),
      // Reference to the customer's payment method (never card data). Optional so producers that do not
      // take payments stay valid; the payments consumer falls back to the payment method on file.
      paymentToken: z.optional(nonEmpty()),
    }),
  },
  OrderShipped: {
    1: z.object({
      orderId: nonEmpty(),
      customerEmail: email(),
      carrier: nonEmpty(),
      trackingNumber: nonEmpty(),
    }),
  },
} as const;

export const jobRegistry = {
  'send-email': {
    1: z.object({
      to: email(),
      template: z.enum(['order-confirmation', 'order-shipped']),
      orderId: nonEmpty(),
    }),
  },
  'resize-image': {
    1: z.object({
      sourceKey: nonEmpty(1024),
      widths: z.array(z.int().check(z.gte(1), z.lte(10_000))).check(z.minLength(1)),
    }),
  },
  'process-payment': {
    1: z.object({
      orderId: nonEmpty(),
      amountCents: z.int().check(z.gte(1)),
      currency: currency(),
      paymentToken: nonEmpty(),
    }),
  },
} as const;

export type EventRegistry = typeof eventRegistry;
export type JobRegistry = typeof jobRegistry;
/** A registered event type's name (not `EventType`, which is Powertools' batch enum of event sources). */
export type EventTypeName = keyof EventRegistry;
export type JobType = keyof JobRegistry;
export type EventVersion<T extends EventTypeName> = keyof EventRegistry[T] & number;
export type JobVersion<T extends JobType> = keyof JobRegistry[T] & number;

type SchemaOf<R, T extends keyof R, V extends keyof R[T]> = R[T][V] extends z.ZodMiniType ? R[T][V] : never;
/** The `data` of event `T` at version `V` (all versions when `V` is omitted). */
export type EventData<T extends EventTypeName, V extends EventVersion<T> = EventVersion<T>> = z.output<SchemaOf<EventRegistry, T, V>>;
/** The `data` of job `T` at version `V` (all versions when `V` is omitted). */
export type JobData<T extends JobType, V extends JobVersion<T> = JobVersion<T>> = z.output<SchemaOf<JobRegistry, T, V>>;

export const eventTypes = Object.keys(eventRegistry) as EventTypeName[];
export const jobTypes = Object.keys(jobRegistry) as JobType[];

export const isEventType = (type: string): type is EventTypeName => Object.hasOwn(eventRegistry, type);
export const isJobType = (type: string): type is JobType => Object.hasOwn(jobRegistry, type);

/** Versions registered for a type, ascending (the last one is what producers write by default). */
export const versionsOf = (versions: object): number[] =>
  Object.keys(versions)
    .map(Number)
    .sort((a, b) => a - b);
