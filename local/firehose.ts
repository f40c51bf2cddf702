import * as path from 'node:path';
import * as fs from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { localKinesisClient, localS3Client } from './clients';
import type { Clock, LocalDeliveryStream, LocalEndpoints } from './types';

// A Firehose stand-in (no Firehose emulator installs here): reads the source stream as its own consumer and
// writes one S3 object per buffer flush, as https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html
// and s3-prefixes.html describe: key = <evaluated prefix><name>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>[.gz];
// !{timestamp:...} uses the approximate arrival timestamp of the oldest record in the object, in UTC, one instant
// per object; no prefix = "yyyy/MM/dd/HH/"; records concatenated, each followed by the delimiter when
// AppendDelimiterToRecord is on.

export interface FirehoseOptions {
  clock: Clock;
  endpoints: LocalEndpoints;
  /** real ms between GetRecords calls on an idle shard; default 200 */
  pollIntervalMs?: number;
  /** PutObject attempts before the records go under the error output prefix; default 3 */
  putAttempts?: number;
  onError?: (err: unknown, deliveryStream: string) => void;
  /** every object written (tests, the demo summary) */
  onObject?: (object: { deliveryStream: string; bucket: string; key: string; records: number; error: boolean }) => void;
  /**
   * Also write every archive object here (<dir>/<bucket>/<key>), so that a restarted local cloud can put them
   * back (`npm start -- --keep-archive`): the S3 emulator keeps objects in memory only.
   */
  readonly archiveCopyDir?: string;
  /**
   * Where each delivery stream resumes, per shard (`positions()` of an earlier run, --persist): after this sequence
   * number instead of at the trim horizon, so a restart neither archives a record twice nor skips one.
   */
  readonly startAfter?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface DeliveryStreamStats {
  objectsWritten: number;
  recordsArchived: number;
  errorObjects: number;
  /** records that could be written neither under the prefix nor under the error output prefix */
  recordsFailed: number;
  bufferedRecords: number;
}

export interface FirehoseService {
  /** per delivery stream name */
  stats(): Record<string, DeliveryStreamStats>;
  /** writes whatever is buffered now (tests; the buffering hints still apply otherwise) */
  flush(): Promise<void>;
  /** stops reading, then flushes what is buffered */
  stop(): Promise<void>;
  /** per delivery stream, per shard: the last sequence number written to S3 (what a restart resumes after) */
  positions(): Record<string, Record<string, string>>;
}

/** Firehose's version suffix starts at 1 and grows with each configuration update; a local stream never updates. */
const DELIVERY_STREAM_VERSION = 1;
const DEFAULT_PREFIX = '!{timestamp:yyyy/MM/dd/HH}/';
const DEFAULT_ERROR_PREFIX = '!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/';

export class PrefixExpressionError extends Error {}

/** Evaluates a Firehose prefix: !{timestamp:<Java DateTimeFormatter>}, !{firehose:random-string|error-output-type}. */
export function evaluatePrefix(
  prefix: string,
  instant: Date,
  options: { errorOutputType?: string; randomString?: () => string } = {},
): string {
  return prefix.replace(/!\{([^:}]+):([^}]*)\}/g, (_m, namespace: string, value: string) => {
    if (namespace === 'timestamp') return formatJavaDate(value, instant);
    if (namespace === 'firehose') {
      if (value === 'random-string') return (options.randomString ?? randomString)();
      if (value === 'error-output-type') {
        if (!options.errorOutputType)
          throw new PrefixExpressionError('!{firehose:error-output-type} is only valid in the error output prefix');
        return options.errorOutputType;
      }
    }
    throw new PrefixExpressionError(`unsupported prefix expression !{${namespace}:${value}}`);
  });
}

function randomString(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(11)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The subset of java.time.format.DateTimeFormatter that date prefixes use, in UTC: y M d H m s S and 'literals'. */
export function formatJavaDate(pattern: string, instant: Date): string {
  const fields: Record<string, number> = {
    y: instant.getUTCFullYear(),
    M: instant.getUTCMonth() + 1,
    d: instant.getUTCDate(),
    H: instant.getUTCHours(),
    m: instant.getUTCMinutes(),
    s: instant.getUTCSeconds(),
  };
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) throw new PrefixExpressionError(`unterminated quote in timestamp pattern ${pattern}`);
      out += end === i + 1 ? "'" : pattern.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      out += c;
      i++;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    if (c === 'S') {
      out += String(instant.getUTCMilliseconds()).padStart(3, '0').slice(0, n).padEnd(n, '0');
    } else if (c in fields) {
      const v = fields[c]!;
      out += c === 'y' && n === 2 ? String(v % 100).padStart(2, '0') : String(v).padStart(n, '0');
    } else {
      throw new PrefixExpressionError(`unsupported pattern letter "${c}" in timestamp pattern ${pattern}`);
    }
    i += n;
  }
  return out;
}

/** The object name Firehose appends to the evaluated prefix. */
export function objectSuffix(deliveryStreamName: string, instant: Date, gzipped: boolean): string {
  return `${deliveryStreamName}-${DELIVERY_STREAM_VERSION}-${formatJavaDate('yyyy-MM-dd-HH-mm-ss', instant)}-${randomUUID()}${gzipped ? '.gz' : ''}`;
}

interface Buffered {
  data: Buffer;
  arrivalMs: number;
  shardId?: string;
  sequenceNumber?: string;
}

class DeliveryStream {
  private buffer: Buffered[] = [];
  private bytes = 0;
  private bufferStartedAt = 0;
  private flushing: Promise<void> = Promise.resolve();
  readonly stats: DeliveryStreamStats = { objectsWritten: 0, recordsArchived: 0, errorObjects: 0, recordsFailed: 0, bufferedRecords: 0 };
  private readonly abort = new AbortController();
  private tasks: Promise<void>[] = [];
  /** per shard: the last sequence number in an object written */
  readonly delivered = new Map<string, string>();

  constructor(
    private readonly ds: LocalDeliveryStream,
    private readonly kinesis: KinesisClient,
    private readonly s3: S3Client,
    private readonly o: FirehoseOptions,
  ) {
    if (ds.compression !== 'UNCOMPRESSED' && ds.compression !== 'GZIP') {
      throw new Error(`delivery stream ${ds.name}: compression ${ds.compression} is not supported locally (UNCOMPRESSED, GZIP)`);
    }
    // fail at start, not at the first flush, on a prefix we cannot evaluate
    evaluatePrefix(ds.prefix || DEFAULT_PREFIX, new Date(), { randomString: () => 'x' });
    if (ds.errorOutputPrefix) evaluatePrefix(ds.errorOutputPrefix, new Date(), { errorOutputType: 'x', randomString: () => 'x' });
  }

  async start(): Promise<void> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const out = await this.kinesis.send(
        token ? new ListShardsCommand({ NextToken: token }) : new ListShardsCommand({ StreamName: this.ds.sourceStream.name }),
      );
      shards.push(...(out.Shards ?? []));
      token = out.NextToken;
    } while (token);
    this.tasks = shards.map((s) => this.read(s.ShardId!));
    this.tasks.push(this.timerLoop());
  }

  private async read(shardId: string): Promise<void> {
    const signal = this.abort.signal;
    let iterator: string | undefined;
    let after: string | undefined = this.o.startAfter?.[this.ds.name]?.[shardId];
    if (after !== undefined) this.delivered.set(shardId, after);
    while (!signal.aborted) {
      try {
        if (!iterator) {
          const out = await this.kinesis.send(
            new GetShardIteratorCommand(
              after
                ? {
                    StreamName: this.ds.sourceStream.name,
                    ShardId: shardId,
                    ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
                    StartingSequenceNumber: after,
                  }
                : { StreamName: this.ds.sourceStream.name, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' },
            ),
            { abortSignal: signal },
          );
          iterator = out.ShardIterator;
          if (!iterator) return;
        }
        const out = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }), { abortSignal: signal });
        iterator = out.NextShardIterator;
        const records = out.Records ?? [];
        for (const r of records) {
          this.add({
            data: Buffer.from(r.Data ?? new Uint8Array()),
            arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
            shardId,
            ...(r.SequenceNumber ? { sequenceNumber: r.SequenceNumber } : {}),
          });
          after = r.SequenceNumber;
        }
        if (!iterator) return; // shard closed
        if (records.length === 0) await this.o.clock.sleep(this.o.pollIntervalMs ?? 200, signal);
      } catch (err) {
        if (signal.aborted) return;
        this.o.onError?.(err, this.ds.name);
        iterator = undefined;
        await this.o.clock.sleep(500, signal);
      }
    }
  }

  private add(record: Buffered): void {
    if (this.buffer.length === 0) this.bufferStartedAt = Date.now();
    this.buffer.push(record);
    this.bytes += record.data.length + (this.ds.appendDelimiter ? Buffer.byteLength(this.ds.delimiter) : 0);
    this.stats.bufferedRecords = this.buffer.length;
    if (this.bytes >= this.ds.bufferingSizeMiB * 1024 * 1024) void this.flush();
  }

  private async timerLoop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const intervalMs = this.o.clock.scaledMs(this.ds.bufferingIntervalSeconds);
      if (this.buffer.length > 0 && Date.now() - this.bufferStartedAt >= intervalMs) await this.flush();
      const wait = this.buffer.length > 0 ? Math.max(5, this.bufferStartedAt + intervalMs - Date.now()) : 50;
      await this.o.clock.sleep(Math.min(wait, 250), signal);
    }
  }

  /** one S3 object per flush; flushes never overlap */
  flush(): Promise<void> {
    const batch = this.buffer;
    this.buffer = [];
    this.bytes = 0;
    this.stats.bufferedRecords = 0;
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  private async write(batch: Buffered[]): Promise<void> {
    const ds = this.ds;
    const written = (): void => {
      for (const b of batch) if (b.shardId && b.sequenceNumber) this.delivered.set(b.shardId, b.sequenceNumber);
    };
    const oldest = new Date(Math.min(...batch.map((b) => b.arrivalMs)));
    const delimiter = ds.appendDelimiter ? Buffer.from(ds.delimiter) : undefined;
    const raw = Buffer.concat(batch.flatMap((b) => (delimiter ? [b.data, delimiter] : [b.data])));
    const gz = ds.compression === 'GZIP';
    const body = gz ? await promisify(gzip)(raw) : raw;
    const suffix = objectSuffix(ds.name, oldest, gz);
    const key = evaluatePrefix(ds.prefix || DEFAULT_PREFIX, oldest) + suffix;
    const attempts = Math.max(1, this.o.putAttempts ?? 3);
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
      try {
        await this.s3.send(new PutObjectCommand({ Bucket: ds.bucket.name, Key: key, Body: body }));
        if (this.o.archiveCopyDir) {
          const copy = path.join(this.o.archiveCopyDir, ds.bucket.name, key);
          fs.mkdirSync(path.dirname(copy), { recursive: true });
          fs.writeFileSync(copy, body);
        }
        this.stats.objectsWritten++;
        this.stats.recordsArchived += batch.length;
        written();
        this.o.onObject?.({ deliveryStream: ds.name, bucket: ds.bucket.name, key, records: batch.length, error: false });
        return;
      } catch (err) {
        lastError = err;
        await this.o.clock.sleep(this.o.clock.scaledMs(2 ** i));
      }
    }
    this.o.onError?.(lastError, ds.name);
    // records that cannot be delivered go under the error output prefix
    try {
      const errorKey =
        evaluatePrefix(ds.errorOutputPrefix || DEFAULT_ERROR_PREFIX, oldest, { errorOutputType: 'processing-failed' }) + suffix;
      await this.s3.send(new PutObjectCommand({ Bucket: ds.bucket.name, Key: errorKey, Body: body }));
      this.stats.errorObjects++;
      written();
      this.o.onObject?.({ deliveryStream: ds.name, bucket: ds.bucket.name, key: errorKey, records: batch.length, error: true });
    } catch (err) {
      this.stats.recordsFailed += batch.length;
      this.o.onError?.(err, ds.name);
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.tasks);
    await this.flush();
  }
}

/** Starts one stand-in per delivery stream; throws at start, naming the stream, on settings it cannot honour. */
export async function startFirehose(deliveryStreams: LocalDeliveryStream[], options: FirehoseOptions): Promise<FirehoseService> {
  const kinesis = localKinesisClient(options.endpoints, { plumbing: true });
  const s3 = localS3Client(options.endpoints, { plumbing: true });
  const streams = deliveryStreams.map((ds) => ({ ds, impl: new DeliveryStream(ds, kinesis, s3, options) }));
  try {
    for (const s of streams) await s.impl.start();
  } catch (err) {
    await Promise.all(streams.map((s) => s.impl.stop().catch(() => undefined)));
    kinesis.destroy();
    s3.destroy();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    stats: () => Object.fromEntries(streams.map((s) => [s.ds.name, { ...s.impl.stats }])),
    flush: async () => {
      await Promise.all(streams.map((s) => s.impl.flush()));
    },
    positions: () => Object.fromEntries(streams.map((s) => [s.ds.name, Object.fromEntries(s.impl.delivered)])),
    stop() {
      stopping ??= Promise.all(streams.map((s) => s.impl.stop())).then(() => {
        kinesis.destroy();
        s3.destroy();
      });
      return stopping;
    },
  };
}
