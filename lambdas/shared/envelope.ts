/**
 * The one envelope every event and job travels in, its schemas, factories and parsers.
 *
 * Everything keys on `id` (idempotency, replay markers, archive): never on a Kinesis sequence number or
 * an SQS message id, which change on replay and redrive.
 */
import { createHash, randomUUID } from 'node:crypto';
// zod/mini: the same validation as classic zod at a fifth of the bundle size (functions instead of methods).
import * as z from 'zod/mini';
import { InvalidEnvelopeError } from './errors';
import {
  eventRegistry,
  isEventType,
  isJobType,
  jobRegistry,
  versionsOf,
  type EventData,
  type EventTypeName,
  type EventVersion,
  type JobData,
  type JobType,
  type JobVersion,
} from './registry';

export const MIB = 1024 * 1024;
/** Kinesis's default maximum record size (data + partition key); a stream may raise it to 10 MiB. */
export const DEFAULT_MAX_EVENT_BYTES = MIB;
/** SQS's maximum message size since January 2026 (the queue sets MaximumMessageSize explicitly). */
export const DEFAULT_MAX_JOB_BYTES = MIB;

const isoDateTime = () => z.iso.datetime({ offset: true });
const key = () => z.string().check(z.minLength(1), z.maxLength(256));
const version = () => z.int().check(z.gte(1));
const payload = () => z.record(z.string(), z.unknown());

/** The fields every envelope starts with (EventEnvelopeSchema, JobEnvelopeSchema). */
const headSchema = <K extends 'event' | 'job'>(kind: K) => ({
  kind: z.literal(kind),
  id: z.uuid(),
  type: z.string().check(z.minLength(1), z.maxLength(128)),
  version: version(),
});

export const EventEnvelopeSchema = z.object({
  ...headSchema('event'),
  occurredAt: isoDateTime(),
  partitionKey: key(),
  data: payload(),
  // Set only by the replay tools, so a consumer can tell a re-delivery from the original.
  replay: z.optional(
    z.object({ replayId: z.string().check(z.minLength(1)), replayedAt: isoDateTime(), target: z.string().check(z.minLength(1)) }),
  ),
});

export const JobEnvelopeSchema = z.object({
  ...headSchema('job'),
  createdAt: isoDateTime(),
  jobKey: key(),
  data: payload(),
  causationId: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});

/** Any well-formed event envelope, whatever its type. */
export type EventEnvelope = z.output<typeof EventEnvelopeSchema>;
/** Any well-formed job envelope, whatever its type. */
export type JobEnvelope = z.output<typeof JobEnvelopeSchema>;

type Header<E> = Omit<E, 'type' | 'version' | 'data'>;
/** An event whose type and version are in the registry and whose data matched their schema. */
export type KnownEvent<T extends EventTypeName = EventTypeName> = {
  [K in T]: { [V in EventVersion<K>]: Header<EventEnvelope> & { type: K; version: V; data: EventData<K, V> } }[EventVersion<K>];
}[T];
/** A job whose type and version are in the registry and whose data matched their schema. */
export type KnownJob<T extends JobType = JobType> = {
  [K in T]: { [V in JobVersion<K>]: Header<JobEnvelope> & { type: K; version: V; data: JobData<K, V> } }[JobVersion<K>];
}[T];

export type ParseFailureReason = 'not-json' | 'not-an-envelope' | 'unknown-type' | 'unsupported-version' | 'invalid-data' | 'oversized';
export interface ParseFailure {
  readonly ok: false;
  readonly reason: ParseFailureReason;
  /** Names the field, e.g. `data.totalCents: expected number, received string`. */
  readonly message: string;
  /** The envelope id when the input had a string `id`, for the log line. */
  readonly envelopeId?: string;
}
export type ParseResult<E> = { readonly ok: true; readonly envelope: E } | ParseFailure;

export interface ParseOptions {
  /** Inputs larger than this many bytes are rejected as `oversized` before JSON parsing. */
  readonly maxBytes?: number;
}

/** Parses a Kinesis record's data (bytes or text) into a registered event. Never throws on bad input. */
export function parseEvent(input: string | Uint8Array, options: ParseOptions = {}): ParseResult<KnownEvent> {
  const decoded = decodeJson(input, options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES);
  return decoded.ok ? validateEvent(decoded.value) : decoded;
}

/** Parses an SQS message body (bytes or text) into a registered job. Never throws on bad input. */
export function parseJob(input: string | Uint8Array, options: ParseOptions = {}): ParseResult<KnownJob> {
  const decoded = decodeJson(input, options.maxBytes ?? DEFAULT_MAX_JOB_BYTES);
  return decoded.ok ? validateJob(decoded.value) : decoded;
}

/** Validates an already-decoded value as a registered event (producers call this before sending). */
export function validateEvent(value: unknown): ParseResult<KnownEvent> {
  return validate(value, EventEnvelopeSchema, eventRegistry, isEventType, 'event') as ParseResult<KnownEvent>;
}

/** Validates an already-decoded value as a registered job (producers call this before sending). */
export function validateJob(value: unknown): ParseResult<KnownJob> {
  return validate(value, JobEnvelopeSchema, jobRegistry, isJobType, 'job') as ParseResult<KnownJob>;
}

/** What a producer may choose for every new envelope. */
export interface NewEnvelopeOptions<V extends number> {
  /**
   * Defaults to a random UUID; pass one to make a retried producer idempotent (a job caused by an event:
   * `deriveId(event.id, type)`).
   */
  readonly id?: string;
  /** Defaults to the highest registered version of the type. */
  readonly version?: V;
}

export interface NewEventOptions<T extends EventTypeName> extends NewEnvelopeOptions<EventVersion<T>> {
  readonly partitionKey: string;
  readonly occurredAt?: Date | string;
}

export interface NewJobOptions<T extends JobType> extends NewEnvelopeOptions<JobVersion<T>> {
  /** Business key (e.g. the order id): what the job is about; logs and idempotency group by it. */
  readonly jobKey: string;
  /** Id of the event that caused this job, if any. */
  readonly causationId?: string;
  readonly createdAt?: Date | string;
}

/** Builds and validates an event envelope; throws InvalidEnvelopeError if the data does not fit the type. */
export function newEvent<T extends EventTypeName>(type: T, data: EventData<T>, options: NewEventOptions<T>): KnownEvent<T> {
  const fields = { occurredAt: isoString(options.occurredAt), partitionKey: options.partitionKey, data };
  return newEnvelope('event', type, options, eventRegistry[type], fields, validateEvent) as KnownEvent<T>;
}

/** Builds and validates a job envelope; throws InvalidEnvelopeError if the data does not fit the type. */
export function newJob<T extends JobType>(type: T, data: JobData<T>, options: NewJobOptions<T>): KnownJob<T> {
  const fields = {
    createdAt: isoString(options.createdAt),
    jobKey: options.jobKey,
    data,
    ...(options.causationId === undefined ? {} : { causationId: options.causationId }),
  };
  return newEnvelope('job', type, options, jobRegistry[type], fields, validateJob) as KnownJob<T>;
}

/**
 * Builds an envelope, the fields every new envelope starts with and then the kind's own `fields`, in the order they
 * are serialized, and validates it (InvalidEnvelopeError if the data does not fit the type).
 */
function newEnvelope<E>(
  kind: 'event' | 'job',
  type: string,
  options: NewEnvelopeOptions<number>,
  versions: object,
  fields: object,
  validate: (value: unknown) => ParseResult<E>,
): E {
  const envelope = { kind, id: options.id ?? randomUUID(), type, version: options.version ?? latestVersion(versions), ...fields };
  return orThrow(validate(envelope), envelope.id);
}

// Fixed namespace of this template's name-based ids (UUID v5, RFC 9562 §5.5).
const ID_NAMESPACE = Buffer.from('b3811053a78349679772eaa1a03ec03b', 'hex');

/**
 * A UUID derived from its parts: the same parts always give the same id. A consumer that enqueues a job
 * for an event derives the job id from the event id, so a redelivered event yields the same job id and
 * the worker's idempotency (keyed on the envelope id) sees a duplicate instead of a new job.
 */
export function deriveId(...parts: readonly string[]): string {
  const hash = createHash('sha1').update(ID_NAMESPACE).update(JSON.stringify(parts)).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The wire form: UTF-8 JSON (Kinesis record data, SQS message body). */
export const serializeEnvelope = (envelope: EventEnvelope | JobEnvelope): string => JSON.stringify(envelope);

// ---------------------------------------------------------------------------------------------------------

type Decoded = { readonly ok: true; readonly value: unknown } | ParseFailure;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeJson(input: string | Uint8Array, maxBytes: number): Decoded {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (bytes > maxBytes) {
    return failure('oversized', `body is ${bytes} bytes, over the ${maxBytes}-byte limit`);
  }
  let text: string;
  try {
    text = typeof input === 'string' ? input : utf8.decode(input);
  } catch {
    return failure('not-json', 'body is not UTF-8 text (binary data?)');
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return failure('not-json', `body is not JSON: ${truncate((error as Error).message, 160)}`);
  }
}

type Registry = Readonly<Record<string, Readonly<Record<number, z.ZodMiniType>>>>;

function validate(
  value: unknown,
  schema: typeof EventEnvelopeSchema | typeof JobEnvelopeSchema,
  registry: Registry,
  isKnown: (type: string) => boolean,
  kind: 'event' | 'job',
): ParseResult<EventEnvelope | JobEnvelope> {
  const envelopeId = idOf(value);
  const base = schema.safeParse(value);
  if (!base.success) {
    return failure('not-an-envelope', formatIssues(base.error.issues, value), envelopeId);
  }
  const envelope = base.data;
  if (!isKnown(envelope.type)) {
    const known = Object.keys(registry).join(', ');
    return failure(
      'unknown-type',
      `type: ${JSON.stringify(truncate(envelope.type, 64))} is not a registered ${kind} type (known: ${known})`,
      envelopeId,
    );
  }
  const versions = registry[envelope.type]!;
  const dataSchema = versions[envelope.version];
  if (dataSchema === undefined) {
    const supported = versionsOf(versions)
      .map((v) => `v${v}`)
      .join(', ');
    return failure(
      'unsupported-version',
      `version: ${envelope.type} v${envelope.version} is not supported (supported: ${supported})`,
      envelopeId,
    );
  }
  const data = dataSchema.safeParse(envelope.data);
  if (!data.success) {
    return failure('invalid-data', formatIssues(data.error.issues, envelope.data, ['data']), envelopeId);
  }
  return { ok: true, envelope: { ...envelope, data: data.data as Record<string, unknown> } };
}

function orThrow<E>(result: ParseResult<E>, id: string): E {
  if (!result.ok) throw new InvalidEnvelopeError(result.reason, result.message, id);
  return result.envelope;
}

const latestVersion = (versions: object): number => versionsOf(versions).at(-1)!;
const isoString = (at: Date | string | undefined): string =>
  at === undefined ? new Date().toISOString() : typeof at === 'string' ? at : at.toISOString();

function failure(reason: ParseFailureReason, message: string, envelopeId?: string): ParseFailure {
  return envelopeId === undefined ? { ok: false, reason, message } : { ok: false, reason, message, envelopeId };
}

function idOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : undefined;
}

const truncate = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

// ---- issue messages that name the field -----------------------------------------------------------------
// zod/mini ships no locale (its messages are all "Invalid input"), so we phrase issues ourselves; values are
// quoted only for enums and literals (field values may be personal data and end up in logs).

type Issue = z.core.$ZodIssue;
const MAX_ISSUES = 5;

export function formatIssues(issues: readonly Issue[], root: unknown, prefix: readonly PropertyKey[] = []): string {
  const shown = issues.slice(0, MAX_ISSUES).map((issue) => formatIssue(issue, root, prefix));
  if (issues.length > MAX_ISSUES) shown.push(`and ${issues.length - MAX_ISSUES} more`);
  return shown.join('; ');
}

function formatIssue(issue: Issue, root: unknown, prefix: readonly PropertyKey[]): string {
  const at = formatPath([...prefix, ...issue.path]) || '(root)';
  const found = valueAt(root, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return found.present
        ? `${at}: expected ${typeName(issue.expected)}, received ${describe(found.value)}`
        : `${at}: required (expected ${typeName(issue.expected)})`;
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      const exclusive = issue.inclusive === false;
      const plural = Number(bound) === 1 ? '' : 's';
      const unit =
        issue.origin === 'string' ? ` character${plural}` : issue.origin === 'array' || issue.origin === 'set' ? ` item${plural}` : '';
      const op = exclusive ? (issue.code === 'too_small' ? 'more than' : 'less than') : word;
      return `${at}: expected ${op} ${String(bound)}${unit}`;
    }
    case 'invalid_format':
      return issue.format === 'regex' && 'pattern' in issue
        ? `${at}: does not match ${String(issue.pattern)}`
        : `${at}: expected ${issue.format === 'datetime' ? 'an ISO-8601 date-time' : `a valid ${issue.format}`}`;
    case 'invalid_value':
      return `${at}: expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, received ${
        found.present ? truncate(JSON.stringify(found.value) ?? String(found.value), 64) : 'nothing'
      }`;
    case 'unrecognized_keys':
      return `${at}: unexpected ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.join(', ')}`;
    case 'invalid_union':
      return `${at}: matches none of the allowed shapes`;
    case 'not_multiple_of':
      return `${at}: expected a multiple of ${String(issue.divisor)}`;
    default:
      return `${at}: ${issue.message}`;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): { present: boolean; value?: unknown } {
  let current: unknown = root;
  for (const part of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, part)) return { present: false };
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return { present: current !== undefined, value: current };
}

const typeName = (expected: string): string => (expected === 'int' ? 'integer' : expected === 'record' ? 'object' : expected);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isInteger(value)) return 'non-integer number';
  }
  return typeof value;
}
