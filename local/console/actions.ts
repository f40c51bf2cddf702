// What the console's buttons do: each calls the same module as its command-line tool, against the same
// endpoints file, and returns the tool's summary (as text and as the summary object).
//   send a job / an event   → tools/shell/send.ts send()          (npm run enqueue / npm run publish)
//   a poison case           → a raw SendMessage / PutRecord, as a broken producer would (the producers refuse them)
//   pause / resume          → the lambda service's pause() / resume() of that mapping
//   redrive the DLQ         → tools/ops/redrive-jobs.ts redriveJobs()   (npm run redrive -- jobs)
//   redrive failure objects → tools/ops/redrive-events.ts redriveEvents() (npm run redrive -- events --consumer <name>)
//   replay a time range     → tools/ops/replay.ts runReplay()        (npm run replay -- --target stream|consumer:<name>)
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { eventTypes, jobTypes } from '../../lambdas/shared/registry';
import { LambdaConsumerInvoker } from '../../tools/ops/consumer-invoker';
import { OpsError, messageOf } from '../../tools/ops/errors';
import { redriveEvents, redriveEventsLines } from '../../tools/ops/redrive-events';
import { redriveJobs, redriveJobsLines } from '../../tools/ops/redrive-jobs';
import { runReplay } from '../../tools/ops/replay';
import { targetLabel, type ReplayTarget } from '../../tools/ops/replay-targets';
import { createOpsClients, readEndpointsFile } from '../../tools/ops/resolve-stage';
import { send, InputError, type Kind, type ShellIo } from '../../tools/shell/send';
import { createLocalClients } from '../clients';
import type { LambdaService } from '../lambda/service';
import type { TopologyRoles } from '../project';
import type { LocalTopology } from '../types';

export interface ActionResult {
  ok: boolean;
  /** the tool's summary, as its command line prints it */
  text: string;
  /** the summary object the tool's module returned (what `--json` prints) */
  summary?: unknown;
}

/** Valid sample data per registered type (a fork's new type needs a line here to be offered). */
const SAMPLES: Record<string, (n: number) => Record<string, unknown>> = {
  OrderPlaced: (n) => ({
    orderId: `order-${n}`,
    customerEmail: `customer${n % 100}@example.com`,
    items: [{ sku: `SKU-${n % 7}`, quantity: 1 + (n % 3), unitPriceCents: 1250 }],
    totalCents: 1250 * (1 + (n % 3)),
    currency: 'EUR',
    paymentToken: 'tok_visa',
  }),
  OrderShipped: (n) => ({
    orderId: `order-${n}`,
    customerEmail: `customer${n % 100}@example.com`,
    carrier: 'DHL',
    trackingNumber: `TRACK-${n}`,
  }),
  'send-email': (n) => ({ to: `customer${n % 100}@example.com`, template: 'order-confirmation', orderId: `order-${n}` }),
  'resize-image': (n) => ({ sourceKey: `uploads/image-${n}.jpg`, widths: [128, 512] }),
  'process-payment': (n) => ({ orderId: `order-${n}`, amountCents: 4200, currency: 'EUR', paymentToken: 'tok_visa' }),
};

/** The poison cases the page offers, per kind: what each is and where it ends up. */
export const POISON_CASES = {
  job: {
    'declined-card': 'process-payment whose card the fake provider declines: fails on every receive → DLQ after maxReceiveCount',
    'not-json': 'a body that is not JSON: the worker rejects it on every receive → DLQ',
    'unknown-type': 'an envelope of an unregistered job type → DLQ',
  },
  event: {
    'not-json': 'data that is not JSON: filtered consumers drop it, unfiltered ones retry, bisect, then write it to the failure bucket',
    'unknown-type': 'an envelope of an unregistered event type: every consumer fails it → failure bucket',
    'invalid-data': 'an OrderPlaced whose data fails the schema → failure bucket of each consumer that handles it',
  },
} as const;

/** What each poison case sends: a raw text, or a well-formed envelope of this type, key and data. */
type PoisonBody = string | { type: string; key: string; data: Record<string, unknown> };

const POISON_BODIES: Record<Kind, Record<string, (id: string, n: number) => PoisonBody>> = {
  job: {
    'declined-card': (_id, n) => ({
      type: 'process-payment',
      key: `order-${n}`,
      data: { orderId: `order-${n}`, amountCents: 6600, currency: 'EUR', paymentToken: 'tok_chargeDeclined' },
    }),
    'not-json': (id) => `this is not a job {${id}`,
    'unknown-type': (_id, n) => ({ type: 'launch-rocket', key: `rocket-${n}`, data: {} }),
  },
  event: {
    'not-json': (id) => `this is not an event {${id}`,
    'unknown-type': (_id, n) => ({ type: 'OrderTeleported', key: `order-${n}`, data: {} }),
    'invalid-data': (_id, n) => ({ type: 'OrderPlaced', key: `order-${n}`, data: { orderId: `order-${n}`, totalCents: 'lots' } }),
  },
};

/** The envelope a producer would write around a poison body: a job's key is its jobKey, an event's its partitionKey. */
function envelope(kind: Kind, id: string, p: Exclude<PoisonBody, string>): string {
  const at = new Date().toISOString();
  return JSON.stringify(
    kind === 'job'
      ? { kind, id, type: p.type, version: 1, createdAt: at, jobKey: p.key, data: p.data }
      : { kind, id, type: p.type, version: 1, occurredAt: at, partitionKey: p.key, data: p.data },
  );
}

export function sampleCatalogue(): { events: string[]; jobs: string[]; poison: typeof POISON_CASES } {
  return { events: eventTypes.filter((t) => SAMPLES[t]), jobs: jobTypes.filter((t) => SAMPLES[t]), poison: POISON_CASES };
}

export interface ActionContext {
  topology: LocalTopology;
  roles: TopologyRoles;
  endpointsFile: string;
  stateDir: string;
  lambda: () => LambdaService | undefined;
}

let counter = Math.floor(Date.now() / 1000) % 100_000;

const num = (v: unknown, min: number, max: number, dflt: number): number => {
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError(`count must be an integer from ${min} to ${max}`);
  return n;
};

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v === '') throw new InputError(`${what} is required`);
  return v;
};

function captureIo(): ShellIo & { text(): string } {
  const out: string[] = [];
  return {
    out: (t) => void out.push(t),
    err: (t) => void out.push(t),
    readStdin: async () => '',
    stdinIsTTY: true,
    cwd: '/',
    text: () => out.join('').trimEnd(),
  };
}

export async function sendSample(ctx: ActionContext, body: Record<string, unknown>): Promise<ActionResult> {
  const kind = str(body['kind'], 'kind') as Kind;
  if (kind !== 'job' && kind !== 'event') throw new InputError('kind must be "job" or "event"');
  const count = num(body['count'], 1, 500, 1);
  const variant = typeof body['variant'] === 'string' ? body['variant'] : 'valid';
  if (variant === 'valid') {
    const type = str(body['type'], 'type');
    const make = SAMPLES[type];
    if (!make) throw new InputError(`no sample data for ${kind} type ${JSON.stringify(type)}`);
    const entries = Array.from({ length: count }, () => make(++counter));
    const io = captureIo();
    // the command-line tool itself: npm run enqueue / npm run publish, with the data as its argument
    const code = await send(kind, type, JSON.stringify(entries), { stateDir: path.dirname(ctx.endpointsFile) }, io);
    return { ok: code === 0, text: io.text() };
  }
  const cases = POISON_CASES[kind] as Record<string, string>;
  if (!cases[variant])
    throw new InputError(`unknown poison case ${JSON.stringify(variant)} for a ${kind} (known: ${Object.keys(cases).join(', ')})`);
  const clients = createLocalClients(ctx.topology.endpoints, ctx.topology.endpoints.region);
  try {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const n = ++counter;
      const id = randomUUID();
      if (kind === 'job') {
        const queue = ctx.roles.jobs;
        if (!queue) throw new OpsError('this assembly has no jobs queue');
        const poison = POISON_BODIES.job[variant]!(id, n);
        const out = await clients.sqs.send(
          new SendMessageCommand({
            QueueUrl: queue.url,
            MessageBody: typeof poison === 'string' ? poison : envelope('job', id, poison),
            ...(typeof poison === 'string'
              ? {}
              : {
                  MessageAttributes: {
                    type: { DataType: 'String', StringValue: poison.type },
                    version: { DataType: 'Number', StringValue: '1' },
                  },
                }),
          }),
        );
        lines.push(`  [${i}] ${variant}${variant === 'not-json' ? '' : ` id ${id}`}: ok, message ${out.MessageId}`);
      } else {
        const stream = ctx.roles.events;
        if (!stream) throw new OpsError('this assembly has no event stream');
        const poison = POISON_BODIES.event[variant]!(id, n);
        const data = typeof poison === 'string' ? poison : envelope('event', id, poison);
        const out = await clients.kinesis.send(
          new PutRecordCommand({ StreamName: stream.name, PartitionKey: `poison-${n}`, Data: Buffer.from(data) }),
        );
        lines.push(`  [${i}] ${variant}${variant === 'not-json' ? '' : ` id ${id}`}: ok, ${out.ShardId} sequence ${out.SequenceNumber}`);
      }
    }
    const where = kind === 'job' ? ctx.roles.jobs?.url : ctx.roles.events?.name;
    return {
      ok: true,
      text: [
        `${kind === 'job' ? 'enqueued' : 'published'} ${count} poison ${kind}${count === 1 ? '' : 's'} (${variant}, sent raw: the producers refuse it) to ${where} (local)`,
        ...lines,
      ].join('\n'),
    };
  } finally {
    clients.destroy();
  }
}

export function setPaused(ctx: ActionContext, body: Record<string, unknown>, paused: boolean): ActionResult {
  const mapping = str(body['mapping'], 'mapping');
  const lambda = ctx.lambda();
  if (!lambda) throw new OpsError('the local Lambda service is not running');
  const m =
    ctx.topology.kinesisMappings.find((x) => x.logicalId === mapping) ?? ctx.topology.sqsMappings.find((x) => x.logicalId === mapping);
  if (!m) throw new InputError(`no event source mapping ${mapping}`);
  if (paused) lambda.pause(mapping);
  else lambda.resume(mapping);
  const fn = ctx.topology.functions.find((f) => f.logicalId === m.functionLogicalId)?.name ?? m.functionLogicalId;
  return {
    ok: true,
    text: paused
      ? `paused mapping ${mapping} → ${fn}: it reads on but invokes nothing; its position stays where it is while the stream moves on (as UpdateEventSourceMapping Enabled=false)`
      : `resumed mapping ${mapping} → ${fn}: it goes on from its position`,
  };
}

const counts = (c: Record<string, number>): string => {
  const e = Object.entries(c);
  return e.length === 0 ? '    (none)' : e.map(([k, v]) => `    ${k}: ${v}`).join('\n');
};

async function withOps<T>(
  ctx: ActionContext,
  run: (env: ReturnType<typeof readEndpointsFile>, clients: ReturnType<typeof createOpsClients>) => Promise<T>,
): Promise<T> {
  const env = readEndpointsFile(ctx.endpointsFile);
  const clients = createOpsClients(env);
  try {
    return await run(env, clients);
  } finally {
    clients.destroy();
  }
}

export function redriveDlq(ctx: ActionContext, body: Record<string, unknown>): Promise<ActionResult> {
  const dryRun = body['dryRun'] === true;
  return withOps(ctx, async (env, clients) => {
    const s = await redriveJobs({ env, sqs: clients.sqs, dryRun, mode: 'auto' });
    const lines = redriveJobsLines(s, env.label, { counts });
    return { ok: s.failed === 0, text: lines.join('\n'), summary: s };
  });
}

export function redriveFailures(ctx: ActionContext, body: Record<string, unknown>): Promise<ActionResult> {
  const consumer = str(body['consumer'], 'consumer');
  const dryRun = body['dryRun'] === true;
  return withOps(ctx, async (env, clients) => {
    const s = await redriveEvents({
      env,
      s3: clients.s3,
      invoker: new LambdaConsumerInvoker(env, () => clients.lambda()),
      consumer,
      dryRun,
    });
    const lines = redriveEventsLines(s, env.label, counts);
    return { ok: s.failed === 0, text: lines.join('\n'), summary: s };
  });
}

export function replay(ctx: ActionContext, body: Record<string, unknown>): Promise<ActionResult> {
  const from = new Date(str(body['from'], 'from'));
  const to = new Date(str(body['to'], 'to'));
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new InputError('from and to must be ISO-8601 times');
  if (!(from < to)) throw new InputError('from must be before to');
  const dryRun = body['dryRun'] === true;
  const t = str(body['target'], 'target');
  const target: ReplayTarget = t === 'stream' ? { kind: 'stream' } : { kind: 'consumer', name: t.replace(/^consumer:/, '') };
  const types = Array.isArray(body['types'])
    ? (body['types'] as unknown[]).filter((x): x is string => typeof x === 'string' && x !== '')
    : [];
  return withOps(ctx, async (env, clients) => {
    const s = await runReplay({
      env,
      s3: clients.s3,
      kinesis: clients.kinesis,
      ...(target.kind === 'consumer' ? { invoker: new LambdaConsumerInvoker(env, () => clients.lambda()) } : {}),
      from,
      to,
      target,
      ...(types.length ? { types } : {}),
      dryRun,
      // each run from the page is a new run: its own checkpoint, never "already completed"
      checkpointFile: path.join(ctx.stateDir, 'console', `replay-${Date.now()}-${randomUUID().slice(0, 8)}.json`),
      restart: true,
      projectDir: ctx.stateDir,
    });
    const lines = [
      `${s.dryRun ? 'dry run' : `replay ${s.replayId}`} on ${s.environment}: ${s.from} .. ${s.to} → ${dryRun ? targetLabel(target) : s.target}`,
      `  objects ${s.objects}  read ${s.read}  matched ${s.matched}  sent ${s.sent}  skipped ${s.skipped}  failed ${s.failed}  filtered out ${s.filteredOut}`,
      ...(s.dryRun ? ['  by type:', counts(s.counts.byType), '  by hour (occurredAt, UTC):', counts(s.counts.byHour)] : []),
      ...s.issues.slice(0, 10).map((i) => `  skipped ${i.key}${i.line > 0 ? ` line ${i.line}` : ''}: ${i.reason}`),
      ...s.failures.slice(0, 10).map((f) => `  failed ${f.id} (${f.key} line ${f.line}): ${f.reason}`),
      ...(!s.dryRun && s.sent > 0 ? [`  ${s.recordsPerSecond} records/s over ${(s.elapsedMs / 1000).toFixed(1)} s`] : []),
    ];
    return { ok: s.failed === 0 && !s.interrupted, text: lines.join('\n'), summary: s };
  });
}

/** Bad input from the page (400) vs. a failure while acting (500). */
export function isInputError(err: unknown): boolean {
  return err instanceof InputError || (err instanceof OpsError && err.exitCode === 2);
}

export { messageOf };
