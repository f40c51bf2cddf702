/**
 * Reads the event archive Firehose writes: `events/year=YYYY/month=MM/day=DD/hour=HH/` (UTC, the hour the
 * object's first record ARRIVED), objects `<deliveryStream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>.gz`, GZIP,
 * one EventEnvelope JSON per line.
 *
 * Time range: an event is selected when its `occurredAt` is in [from, to). Objects are found by listing only
 * the hour prefixes from hour(from) to hour(to) plus `lateHours` more (default 1): arrival follows occurrence,
 * so an event that occurred at 10:59:59 may sit under hour=11; the extra hour catches it, the occurredAt filter
 * drops what the extra hour brings from after `to`. An event that reached the stream more than `lateHours`
 * after it occurred is missed; raise --late-hours for producers that buffer.
 *
 * Order: objects in the order Firehose wrote them, lines in file order (arrival order) — together the stream's
 * order per partition key. Firehose names an object to the SECOND, then adds a random string, so key order is
 * write order only between different seconds. Objects written in the same second (a small buffer, a high
 * rate, a forced flush) are ordered by their first record's time (`replay.replayedAt`, else `occurredAt`),
 * then by key: right whenever a key's producer stamps its events in order and not twice in one millisecond.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { parseEvent, type KnownEvent } from '../../lambdas/shared/envelope';
import { messageOf } from './errors';
import { listObjects, type S3Sender } from './s3-objects';

const gunzipAsync = promisify(gunzip);
const HOUR_MS = 3_600_000;

export const DEFAULT_ARCHIVE_PREFIX = 'events/';

/** A line (or a whole object, line 0) that could not be read; reported and skipped. */
export interface ArchiveIssue {
  readonly key: string;
  /** 1-based line number; 0 = the whole object (e.g. not GZIP) */
  readonly line: number;
  readonly reason: string;
}

export interface ArchivedEvent {
  readonly key: string;
  readonly line: number;
  readonly envelope: KnownEvent;
}

export interface ArchiveObject {
  readonly key: string;
  readonly events: readonly ArchivedEvent[];
  readonly issues: readonly ArchiveIssue[];
  /** non-empty lines in the object (events + bad lines) */
  readonly lines: number;
}

/** The `S3Client.send` subset the reader uses (a spy in tests). */

export interface ArchiveRange {
  readonly from: Date;
  readonly to: Date;
  /** extra hour prefixes listed after `to` for late arrivals (default 1) */
  readonly lateHours?: number;
  /** default `events/` */
  readonly prefix?: string;
}

export function parseIsoTime(value: string, flag: string): Date {
  // A bare date or a time without a zone would silently mean local time: insist on an explicit zone.
  if (
    !/^\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(value) ||
    (value.includes('T') && !/(Z|[+-]\d{2}:?\d{2})$/.test(value))
  ) {
    throw new RangeError(`${flag} must be an ISO-8601 time with a zone, e.g. 2026-05-01T10:00:00Z (got "${value}")`);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`${flag} is not a valid time: "${value}"`);
  return date;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `events/year=YYYY/month=MM/day=DD/hour=HH/` of the UTC hour containing `at`. */
export function hourPrefix(at: Date, prefix = DEFAULT_ARCHIVE_PREFIX): string {
  return `${prefix}year=${at.getUTCFullYear()}/month=${pad(at.getUTCMonth() + 1)}/day=${pad(at.getUTCDate())}/hour=${pad(at.getUTCHours())}/`;
}

/** Hour label (UTC) used in dry-run counts: `2026-05-01T10`. */
export const hourLabel = (iso: string): string => new Date(iso).toISOString().slice(0, 13);

/** Every hour prefix to list for a range, in time order. */
export function hourPrefixes(range: ArchiveRange): string[] {
  const { from, to } = range;
  if (!(from.getTime() < to.getTime()))
    throw new RangeError(`--from must be before --to (got ${from.toISOString()} .. ${to.toISOString()})`);
  const late = range.lateHours ?? 1;
  const first = Math.floor(from.getTime() / HOUR_MS);
  // `to` is exclusive: an exact hour boundary does not add that hour (the late-arrival slack does)
  const last = Math.ceil(to.getTime() / HOUR_MS) - 1 + late;
  const prefixes: string[] = [];
  for (let h = first; h <= last; h++) prefixes.push(hourPrefix(new Date(h * HOUR_MS), range.prefix));
  return prefixes;
}

/** Lists the objects under the range's hour prefixes (one paged ListObjectsV2 per hour), sorted by key. */
export async function listArchiveObjects(s3: S3Sender, bucket: string, range: ArchiveRange): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of hourPrefixes(range)) keys.push(...(await listObjects(s3, bucket, prefix)).map((o) => o.key));
  return keys.sort();
}

/** Reads, un-GZIPs (when the object is GZIP) and parses one archive object. Never throws for bad content. */
export async function readArchiveObject(s3: S3Sender, bucket: string, key: string): Promise<ArchiveObject> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from(await out.Body!.transformToByteArray());
  let text: string;
  const isGzip = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
  if (key.endsWith('.gz') || isGzip) {
    try {
      text = (await gunzipAsync(body)).toString('utf8');
    } catch (error) {
      return { key, events: [], lines: 0, issues: [{ key, line: 0, reason: `not a readable GZIP object: ${messageOf(error)}` }] };
    }
  } else {
    text = body.toString('utf8');
  }
  const events: ArchivedEvent[] = [];
  const issues: ArchiveIssue[] = [];
  let lines = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    lines++;
    const parsed = parseEvent(line);
    if (parsed.ok) events.push({ key, line: i + 1, envelope: parsed.envelope });
    else issues.push({ key, line: i + 1, reason: `${parsed.reason}: ${parsed.message}` });
  });
  return { key, events, issues, lines };
}

/** A Firehose object name up to its second (`…-YYYY-MM-DD-HH-MM-SS`); other names are their own group. */
export function deliverySecondOf(key: string): string {
  const m = /^(.*-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})-[^/]+$/.exec(key);
  return m ? m[1]! : key;
}

/** Sorted keys → runs of keys written in the same second, in key order. */
export function groupBySecond(sortedKeys: readonly string[]): string[][] {
  const groups: string[][] = [];
  for (const key of sortedKeys) {
    const last = groups[groups.length - 1];
    if (last && deliverySecondOf(last[0]!) === deliverySecondOf(key)) last.push(key);
    else groups.push([key]);
  }
  return groups;
}

/** When an object's first record reached the stream, as far as the archive tells. */
function firstRecordTime(object: ArchiveObject): number {
  const first = object.events[0]?.envelope;
  return first ? Date.parse(first.replay?.replayedAt ?? first.occurredAt) : Number.POSITIVE_INFINITY;
}

/** Write order of objects from one second: first record's time, then key. */
function orderSameSecond(objects: ArchiveObject[]): ArchiveObject[] {
  return objects.sort((a, b) => firstRecordTime(a) - firstRecordTime(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Yields the objects in write order (see the header), reading up to `prefetch` seconds' objects ahead while
 * the caller sends the current one (S3 latency overlaps the sending). A failed GetObject throws (the run stops
 * before that object, so a checkpointed rerun retries it); bad content never throws (it becomes issues).
 */
export async function* readArchive(s3: S3Sender, bucket: string, keys: readonly string[], prefetch = 2): AsyncGenerator<ArchiveObject> {
  const groups = groupBySecond([...keys].sort());
  const pending: Promise<ArchiveObject[]>[] = [];
  let next = 0;
  const fill = (): void => {
    while (pending.length < prefetch + 1 && next < groups.length) {
      const group = groups[next++]!;
      const p = Promise.all(group.map((key) => readArchiveObject(s3, bucket, key))).then(orderSameSecond);
      // read errors (network, access) surface when the caller reaches this object, not as unhandled rejections
      p.catch(() => undefined);
      pending.push(p);
    }
  };
  fill();
  while (pending.length > 0) {
    const objects = await pending.shift()!;
    fill();
    yield* objects;
  }
}

/** Filters of the replay: the time range on occurredAt, and optional type / id allow-lists. */
export interface EventFilter {
  readonly from: Date;
  readonly to: Date;
  readonly types?: readonly string[];
  readonly ids?: readonly string[];
}

export function eventMatcher(filter: EventFilter): (event: KnownEvent) => boolean {
  const from = filter.from.getTime();
  const to = filter.to.getTime();
  const types = filter.types && filter.types.length > 0 ? new Set(filter.types) : undefined;
  const ids = filter.ids && filter.ids.length > 0 ? new Set(filter.ids) : undefined;
  return (event) => {
    const at = Date.parse(event.occurredAt);
    return at >= from && at < to && (!types || types.has(event.type)) && (!ids || ids.has(event.id));
  };
}
