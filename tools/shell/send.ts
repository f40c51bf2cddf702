/**
 * What `npm run publish` and `npm run enqueue` do: read `data` from an argument, a file or stdin, build
 * envelopes with the project's own factories (newEvent / newJob: the registry's schemas), send them with the
 * project's producers (publishEvents / enqueueJobs: per-key order, retries of only the failed entries) and
 * report each entry. Against the local cloud by default (its endpoints file, checked to be alive), or a
 * deployed stage with `--stage` (the operator tools' resolver: stack outputs, the standard AWS chain).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createKinesisClient, createSqsClient } from '../../lambdas/shared/aws-clients';
import { newEvent, newJob, type KnownEvent, type KnownJob } from '../../lambdas/shared/envelope';
import { InvalidEnvelopeError } from '../../lambdas/shared/errors';
import { enqueueJobs } from '../../lambdas/shared/producers/enqueue-jobs';
import { publishEvents } from '../../lambdas/shared/producers/publish-events';
import { LOCAL_CREDENTIALS } from '../../lib/contract';
import type { DeliveryFailure } from '../../lambdas/shared/producers/delivery';
import { eventTypes, isEventType, isJobType, jobTypes, type EventTypeName, type JobType } from '../../lambdas/shared/registry';
import { endpointsFilePath, readRunningEndpoints } from '../../local/instance';

export type Kind = 'event' | 'job';

/** Bad input: one line, exit 2, nothing sent. */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly exitCode = 2;
}

export interface SendFlags {
  /** events: the partition key; jobs: the job key (default: the envelope id) */
  key?: string;
  id?: string;
  version?: number;
  /** events only */
  occurredAt?: string;
  /** jobs only */
  causationId?: string;
  file?: string;
  stage?: string;
  stateDir: string;
  json?: boolean;
}

export interface ShellIo {
  out(text: string): void;
  err(text: string): void;
  /** all of standard input */
  readStdin(): Promise<string>;
  stdinIsTTY: boolean;
  cwd: string;
}

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`;

/** Parses the data text: one JSON object, a JSON array of objects, or one object per line (NDJSON). */
function parseData(text: string, source: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new InputError(`no data in ${source}: expected a JSON object, an array of them, or one per line`);
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (whole) {
    const lines = trimmed
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    if (lines.length < 2) throw new InputError(`${source} is not JSON: ${(whole as Error).message}`);
    value = lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (err) {
        throw new InputError(`${source} line ${i + 1} is not JSON: ${(err as Error).message}`);
      }
    });
  }
  const entries = Array.isArray(value) ? value : [value];
  if (entries.length === 0) throw new InputError(`no data in ${source}: the array is empty`);
  entries.forEach((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      throw new InputError(`${Array.isArray(value) ? `${source} entry ${i}` : source}: data must be a JSON object, got ${describe(e)}`);
    }
  });
  return entries as Record<string, unknown>[];
}

/** The data: the argument, `--file <path>` (`-` = stdin), or stdin when it is piped. */
async function readData(dataArg: string | undefined, flags: Pick<SendFlags, 'file'>, io: ShellIo): Promise<Record<string, unknown>[]> {
  if (dataArg !== undefined && flags.file !== undefined)
    throw new InputError("give the data once: as '<json data>' or with --file, not both");
  if (dataArg === '-' || flags.file === '-' || (dataArg === undefined && flags.file === undefined)) {
    if (io.stdinIsTTY && dataArg === undefined && flags.file === undefined) {
      throw new InputError("no data: pass '<json data>', --file <path>, or pipe JSON on stdin");
    }
    return parseData(await io.readStdin(), 'stdin');
  }
  if (flags.file !== undefined) {
    const file = path.resolve(io.cwd, flags.file);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new InputError(
        `cannot read --file ${flags.file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      );
    }
    return parseData(text, flags.file);
  }
  return parseData(dataArg!, 'data');
}

function checkType(kind: Kind, type: string): void {
  const ok = kind === 'event' ? isEventType(type) : isJobType(type);
  if (ok) return;
  if (kind === 'event' && isJobType(type)) throw new InputError(`${type} is a job type: enqueue it with npm run enqueue`);
  if (kind === 'job' && isEventType(type)) throw new InputError(`${type} is an event type: publish it with npm run publish`);
  const known = kind === 'event' ? eventTypes : jobTypes;
  throw new InputError(`unknown ${kind} type ${JSON.stringify(type)} (known: ${known.join(', ')}; add one in lambdas/shared/registry.ts)`);
}

export type Envelope = KnownEvent | KnownJob;

/** Builds and validates one envelope per data entry; the first invalid entry is an InputError naming the field. */
function buildEnvelopes(
  kind: Kind,
  type: string,
  entries: readonly Record<string, unknown>[],
  flags: Omit<SendFlags, 'stateDir'>,
): Envelope[] {
  checkType(kind, type);
  if (flags.id !== undefined && entries.length > 1)
    throw new InputError(`--id names one envelope, but the data holds ${entries.length} entries`);
  if (kind === 'job' && flags.occurredAt !== undefined) throw new InputError('--occurred-at applies to events (npm run publish)');
  if (kind === 'event' && flags.causationId !== undefined) throw new InputError('--causation-id applies to jobs (npm run enqueue)');
  return entries.map((data, i) => {
    const id = flags.id ?? randomUUID();
    const key = flags.key ?? id;
    try {
      return kind === 'event'
        ? newEvent(type as EventTypeName, data as never, {
            id,
            partitionKey: key,
            ...(flags.occurredAt !== undefined ? { occurredAt: flags.occurredAt } : {}),
            ...(flags.version !== undefined ? { version: flags.version as never } : {}),
          })
        : newJob(type as JobType, data as never, {
            id,
            jobKey: key,
            ...(flags.causationId !== undefined ? { causationId: flags.causationId } : {}),
            ...(flags.version !== undefined ? { version: flags.version as never } : {}),
          });
    } catch (err) {
      if (err instanceof InvalidEnvelopeError)
        throw new InputError(`${entries.length > 1 ? `entry ${i}: ` : ''}invalid ${type}: ${err.message}`);
      throw err;
    }
  });
}

/** Where the envelopes go, and the client that takes them there. */
export interface Target {
  /** 'local', 'dev' or 'prod' */
  label: string;
  /** the stream name or the queue URL */
  destination: string;
  send(envelopes: readonly Envelope[]): Promise<{ results: ReadonlyArray<EntryResult> }>;
  destroy(): void;
}

export type EntryResult =
  | { index: number; id: string; ok: true; attempts: number; shardId?: string; sequenceNumber?: string; messageId?: string }
  | DeliveryFailure;

async function openTarget(kind: Kind, flags: Pick<SendFlags, 'stage' | 'stateDir'>, io: Pick<ShellIo, 'cwd'>): Promise<Target> {
  let label: string;
  let region: string | undefined;
  let endpoint: string | undefined;
  let credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  let destination: string | undefined;
  if (flags.stage === undefined) {
    // the running local cloud: a file left by one that is gone is "no local cloud is running"
    const e = await readRunningEndpoints(endpointsFilePath(path.resolve(io.cwd, flags.stateDir)));
    label = 'local';
    region = e.region;
    endpoint = kind === 'event' ? e.endpoints.kinesis : e.endpoints.sqs;
    credentials = {
      accessKeyId: e.env['AWS_ACCESS_KEY_ID'] ?? LOCAL_CREDENTIALS.accessKeyId,
      secretAccessKey: e.env['AWS_SECRET_ACCESS_KEY'] ?? LOCAL_CREDENTIALS.secretAccessKey,
    };
    destination = kind === 'event' ? e.streams['events']?.name : e.queues['jobs']?.url;
  } else {
    const { resolveEnvironment } = await import('../ops/resolve-stage');
    const env = await resolveEnvironment({ stage: flags.stage });
    label = env.label;
    region = env.region;
    destination = kind === 'event' ? env.eventStreamName : env.jobQueueUrl;
  }
  if (!destination)
    throw new Error(
      `${label === 'local' ? 'the local cloud' : `stage ${label}`} has no ${kind === 'event' ? 'event stream' : 'job queue'}`,
    );
  const config = { ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) };
  const to = destination;
  if (kind === 'event') {
    const client: KinesisClient = createKinesisClient(config);
    return {
      label,
      destination: to,
      send: (envelopes) => publishEvents(envelopes, { client, streamName: to }),
      destroy: () => client.destroy(),
    };
  }
  const client: SQSClient = createSqsClient(config);
  return { label, destination: to, send: (envelopes) => enqueueJobs(envelopes, { client, queueUrl: to }), destroy: () => client.destroy() };
}

/** One line per entry: what was sent and where it landed, or why it was not. */
function formatResults(
  kind: Kind,
  target: Pick<Target, 'label' | 'destination'>,
  envelopes: readonly Envelope[],
  results: ReadonlyArray<EntryResult>,
): string[] {
  const ok = results.filter((r) => r.ok).length;
  const noun = kind === 'event' ? 'event' : 'job';
  const lines = [
    `${kind === 'event' ? 'published' : 'enqueued'} ${ok} of ${results.length} ${noun}${results.length === 1 ? '' : 's'} to ${target.destination} (${target.label})`,
  ];
  for (const r of results) {
    const e = envelopes[r.index]!;
    const key = 'partitionKey' in e ? `key ${e.partitionKey}` : `jobKey ${e.jobKey}`;
    const head = `  [${r.index}] ${e.type} v${e.version} id ${e.id} ${key}`;
    if (r.ok) {
      lines.push(
        `${head}: ok, ${r.sequenceNumber !== undefined ? `${r.shardId} sequence ${r.sequenceNumber}` : `message ${r.messageId}`}${r.attempts > 1 ? ` (${r.attempts} attempts)` : ''}`,
      );
    } else {
      lines.push(`${head}: FAILED ${r.reason}${r.errorCode ? ` (${r.errorCode})` : ''}: ${r.message}`);
    }
  }
  return lines;
}

/** Runs one publish or enqueue: returns the exit code (0 every entry delivered, 1 some failed). */
export async function send(kind: Kind, type: string, dataArg: string | undefined, flags: SendFlags, io: ShellIo): Promise<number> {
  const entries = await readData(dataArg, flags, io);
  const envelopes = buildEnvelopes(kind, type, entries, flags);
  const target = await openTarget(kind, flags, io);
  try {
    const report = await target.send(envelopes);
    if (flags.json) {
      const json = JSON.stringify(
        {
          target: target.label,
          destination: target.destination,
          results: report.results.map((r) => ({ ...r, envelope: envelopes[r.index] })),
        },
        null,
        2,
      );
      io.out(`${json}\n`);
    } else {
      io.out(`${formatResults(kind, target, envelopes, report.results).join('\n')}\n`);
    }
    return report.results.every((r) => r.ok) ? 0 : 1;
  } finally {
    target.destroy();
  }
}
