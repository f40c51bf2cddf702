// Issue #11, point 9: `npm run publish` / `npm run enqueue` against a running local cloud, their bad input,
// the banner's lines for reaching the local cloud from a shell, and the commands of docs/local-cloud.md, run as written.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { validateEvent, validateJob } from '../../lambdas/shared/envelope';
import { createLocalClients, type LocalClients } from '../../local/clients';
import type { LocalCloud } from '../../local/index';
import { SHELL_EXAMPLES, formatBanner } from '../../local/status';
import { main } from '../../tools/shell/cli';
import type { ShellIo } from '../../tools/shell/send';
import { startFixtureCloud } from './cloud/helpers';
import { PROJECT_DIR } from '../support/paths';
import { tempDir } from '../support/temp';

const LOCAL_CLOUD_DOC = fs.readFileSync(path.join(PROJECT_DIR, 'docs', 'local-cloud.md'), 'utf8');

let tmp: { dir: string; remove: () => void };
let cloud: LocalCloud;
let clients: LocalClients;

beforeAll(async () => {
  tmp = tempDir('qs-shell-');
  // the fixture app (jobs queue, events stream), no Lambda service: what is sent stays where it landed
  cloud = await startFixtureCloud(tmp.dir, { startLambda: false });
  clients = createLocalClients(cloud.topology.endpoints);
});

afterAll(async () => {
  clients?.destroy();
  await cloud?.stop();
  tmp?.remove();
});

interface Run {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs the CLI in this process as `npm run <command> -- <args>` would. The command is `publish` unless given,
 * or `enqueue` when the first argument is a job type.
 */
async function run(
  args: readonly string[],
  options: { stdin?: string; stateDir?: string | null; command?: 'publish' | 'enqueue'; cwd?: string } = {},
): Promise<Run> {
  const command = options.command ?? (/^[a-z]/.test(args[0] ?? '') ? 'enqueue' : 'publish');
  let out = '';
  let err = '';
  const io: ShellIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    readStdin: async () => options.stdin ?? '',
    stdinIsTTY: options.stdin === undefined,
    cwd: options.cwd ?? PROJECT_DIR,
  };
  const stateDir = options.stateDir === null ? [] : ['--state-dir', options.stateDir ?? tmp.dir];
  const code = await main(['node', 'tools/shell/cli.ts', command, ...args, ...stateDir], io);
  return { code, out, err };
}

/** Every record on the stream now, oldest first, per shard. */
async function streamRecords(): Promise<{ partitionKey: string; data: string }[]> {
  const stream = cloud.roles.events!.name;
  const shards = (await clients.kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  const out: { partitionKey: string; data: string }[] = [];
  for (const s of shards) {
    const it = await clients.kinesis.send(
      new GetShardIteratorCommand({ StreamName: stream, ShardId: s.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const r = await clients.kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
    for (const rec of r.Records ?? []) out.push({ partitionKey: rec.PartitionKey!, data: Buffer.from(rec.Data!).toString('utf8') });
  }
  return out;
}

/** Receives (and deletes) every message on the jobs queue now. */
async function drainJobs(): Promise<{ body: string; type?: string }[]> {
  const url = cloud.roles.jobs!.url;
  const out: { body: string; type?: string }[] = [];
  for (;;) {
    const r = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }),
    );
    const msgs = r.Messages ?? [];
    if (msgs.length === 0) return out;
    for (const m of msgs)
      out.push({ body: m.Body!, ...(m.MessageAttributes?.['type']?.StringValue ? { type: m.MessageAttributes['type'].StringValue } : {}) });
    await clients.sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: url, Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
    );
  }
}

/** Splits one shell command line into words: bare words, '…' and "…" (no escapes inside single quotes, as sh). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] ?? m[2]?.replace(/\\(.)/g, '$1') ?? m[3]!);
  return words;
}

/** Runs a docs line `[echo '<stdin>' |] npm run publish|enqueue -- <args>` against the test's local cloud. */
async function runReadmeLine(line: string, options: { cwd?: string } = {}): Promise<Run> {
  const m = line.match(/^(?:echo '([^']*)' \| )?npm run (publish|enqueue) -- (.*)$/);
  if (!m) throw new Error(`not a publish/enqueue command: ${line}`);
  const words = shellWords(m[3]!);
  return run(words, {
    command: m[2] as 'publish' | 'enqueue',
    ...(m[1] !== undefined ? { stdin: m[1] } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    // a line that names its state directory runs as printed; docs lines (for .local) get the test's
    ...(words.includes('--state-dir') ? { stateDir: null } : {}),
  });
}

/** The "Talk to it from a shell" section of docs/local-cloud.md (its last section, or up to the next one). */
const readmeShellSection = (): string => {
  const start = LOCAL_CLOUD_DOC.indexOf('\n## Talk to it from a shell');
  expect(start, 'docs/local-cloud.md section "Talk to it from a shell"').toBeGreaterThan(0);
  const end = LOCAL_CLOUD_DOC.indexOf('\n## ', start + 1);
  return LOCAL_CLOUD_DOC.slice(start, end === -1 ? undefined : end);
};

const order = {
  orderId: 'o-1',
  customerEmail: 'ada@example.com',
  items: [{ sku: 'book-1', quantity: 1, unitPriceCents: 2500 }],
  totalCents: 2500,
  currency: 'EUR',
};

describe('npm run publish', () => {
  it('builds, validates and publishes an event, and prints where it landed', async () => {
    const before = (await streamRecords()).length;
    const r = await run(['OrderPlaced', JSON.stringify(order), '--key', 'o-1']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe(`published 1 of 1 event to ${cloud.roles.events!.name} (local)`);
    expect(lines[1]).toMatch(/^ {2}\[0\] OrderPlaced v1 id [0-9a-f-]{36} key o-1: ok, shardId-\d+ sequence \d+$/);
    const records = await streamRecords();
    expect(records).toHaveLength(before + 1);
    const rec = records.find((x) => x.data.includes(lines[1]!.match(/id ([0-9a-f-]{36})/)![1]!))!;
    expect(rec.partitionKey).toBe('o-1');
    const parsed = validateEvent(JSON.parse(rec.data));
    expect(parsed).toMatchObject({
      ok: true,
      envelope: { kind: 'event', type: 'OrderPlaced', version: 1, partitionKey: 'o-1', data: order },
    });
  });

  it('takes an array from stdin (one envelope each) and prints JSON with --json', async () => {
    const shipped = (id: string) => ({ orderId: id, customerEmail: 'ada@example.com', carrier: 'UPS', trackingNumber: `1Z${id}` });
    const r = await run(['OrderShipped', '-', '--key', 'o-2', '--json'], { stdin: JSON.stringify([shipped('o-2'), shipped('o-2')]) });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as {
      target: string;
      results: { index: number; ok: boolean; sequenceNumber: string; envelope: { partitionKey: string } }[];
    };
    expect(json.target).toBe('local');
    expect(json.results.map((x) => [x.index, x.ok, x.envelope.partitionKey])).toEqual([
      [0, true, 'o-2'],
      [1, true, 'o-2'],
    ]);
    // one key: in order on the stream
    expect(BigInt(json.results[0]!.sequenceNumber) < BigInt(json.results[1]!.sequenceNumber)).toBe(true);
  });

  it('takes the data from --file', async () => {
    const file = path.join(tmp.dir, 'order.json');
    fs.writeFileSync(file, JSON.stringify(order));
    const r = await run(['OrderPlaced', '--file', file]);
    expect(r.code).toBe(0);
    // no --key: the partition key is the event id
    const [, id, key] = r.out.match(/id ([0-9a-f-]{36}) key ([0-9a-f-]{36}):/)!;
    expect(key).toBe(id);
  });
});

describe('npm run enqueue', () => {
  it('builds, validates and enqueues a job, and prints its message id', async () => {
    await drainJobs();
    const data = { to: 'ada@example.com', template: 'order-confirmation', orderId: 'o-1' };
    const r = await run(['send-email', JSON.stringify(data), '--key', 'o-1', '--causation-id', 'evt-1']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      new RegExp(
        `^enqueued 1 of 1 job to ${cloud.roles.jobs!.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(local\\)\n {2}\\[0\\] send-email v1 id [0-9a-f-]{36} jobKey o-1: ok, message \\S+\n$`,
      ),
    );
    const jobs = await drainJobs();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.type).toBe('send-email');
    expect(validateJob(JSON.parse(jobs[0]!.body))).toMatchObject({
      ok: true,
      envelope: { kind: 'job', type: 'send-email', jobKey: 'o-1', causationId: 'evt-1', data },
    });
  });

  it('takes one object per line (NDJSON) from stdin', async () => {
    await drainJobs();
    const r = await run(['resize-image'], { stdin: '{"sourceKey":"a.png","widths":[320]}\n{"sourceKey":"b.png","widths":[640]}\n' });
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^enqueued 2 of 2 jobs to /);
    expect((await drainJobs()).map((j) => (JSON.parse(j.body) as { data: { sourceKey: string } }).data.sourceKey).sort()).toEqual([
      'a.png',
      'b.png',
    ]);
  });
});

describe('bad input: one line, exit 2, nothing sent', () => {
  const cases: [string, string[], { stdin?: string; command?: 'publish' | 'enqueue' } | undefined, RegExp][] = [
    [
      'an unknown type',
      ['OrderCancelled', '{}'],
      undefined,
      /^error: unknown event type "OrderCancelled" \(known: OrderPlaced, OrderShipped; add one in lambdas\/shared\/registry\.ts\)$/,
    ],
    [
      'a job type to publish',
      ['send-email', '{}'],
      { command: 'publish' },
      /^error: send-email is a job type: enqueue it with npm run enqueue$/,
    ],
    ['data that is not JSON', ['OrderPlaced', "{orderId:'o-1'}"], undefined, /^error: data is not JSON: /],
    ['data that is not an object', ['OrderPlaced', '"o-1"'], undefined, /^error: data: data must be a JSON object, got a string$/],
    [
      'data the schema rejects, naming the field',
      ['OrderPlaced', JSON.stringify({ ...order, customerEmail: 'nope' })],
      undefined,
      /^error: invalid OrderPlaced: invalid-data: data\.customerEmail: expected a valid email$/,
    ],
    [
      'an unsupported version',
      ['OrderPlaced', JSON.stringify(order), '--version', '7'],
      undefined,
      /^error: invalid OrderPlaced: unsupported-version: version: OrderPlaced v7 is not supported \(supported: v1\)$/,
    ],
    [
      'an entry of an array that is not an object',
      ['OrderPlaced', JSON.stringify([order, 3])],
      undefined,
      /^error: data entry 1: data must be a JSON object, got a number$/,
    ],
    [
      'data both as argument and --file',
      ['OrderPlaced', '{}', '--file', 'x.json'],
      undefined,
      /^error: give the data once: as '<json data>' or with --file, not both$/,
    ],
    [
      'no data and no piped stdin',
      ['OrderPlaced'],
      undefined,
      /^error: no data: pass '<json data>', --file <path>, or pipe JSON on stdin$/,
    ],
    ['empty stdin', ['OrderPlaced'], { stdin: '  \n' }, /^error: no data in stdin: /],
    ['a missing file', ['OrderPlaced', '--file', 'nope.json'], undefined, /^error: cannot read --file nope\.json: no such file$/],
    [
      '--id with several entries',
      ['OrderPlaced', JSON.stringify([order, order]), '--id', '6f1c3f7e-1a4b-4c1d-9e0f-0123456789ab'],
      undefined,
      /^error: --id names one envelope, but the data holds 2 entries$/,
    ],
    [
      'a version that is not a number',
      ['OrderPlaced', '{}', '--version', 'x'],
      undefined,
      /^error: option '--version <n>' argument 'x' is invalid\. --version must be a positive integer$/,
    ],
    ['an unknown option', ['OrderPlaced', '{}', '--partition', 'x'], undefined, /^error: unknown option '--partition'/],
    [
      'an unknown stage',
      ['OrderPlaced', JSON.stringify(order), '--stage', 'qa'],
      undefined,
      /^error: unknown stage "qa" \(use dev or prod\)$/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, options, expected) => {
    const before = (await streamRecords()).length;
    const r = await run(args, options);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err.trimEnd()).toMatch(expected);
    expect(r.code).toBe(2);
    expect((await streamRecords()).length).toBe(before);
  });

  it('enqueue: an event type, a job the schema rejects', async () => {
    const asJob = await run(['OrderPlaced', '{}'], { command: 'enqueue' });
    expect(asJob.err).toBe('error: OrderPlaced is an event type: publish it with npm run publish\n');
    expect(asJob.code).toBe(2);
    const bad = await run(['send-email', '{"to":"ada@example.com","template":"welcome","orderId":"o-1"}'], { command: 'enqueue' });
    expect(bad.err).toBe(
      'error: invalid send-email: invalid-data: data.template: expected "order-confirmation" | "order-shipped", received "welcome"\n',
    );
    expect(bad.code).toBe(2);
  });
});

describe('no local cloud', () => {
  it('says "no local cloud is running (start it with npm start)" when there is no endpoints file, or its process is gone', async () => {
    const empty = tempDir('qs-shell-none-');
    try {
      const none = await run(['OrderPlaced', JSON.stringify(order)], { stateDir: empty.dir });
      expect(none.err).toMatch(/^error: no local cloud is running \(start it with npm start\): .*endpoints\.json not found\n$/);
      expect(none.code).toBe(1);
      const gone = spawnSync(process.execPath, ['-e', '0']).pid;
      fs.writeFileSync(path.join(empty.dir, 'endpoints.json'), JSON.stringify({ ...cloud.endpoints, pid: gone }));
      const stale = await run(['send-email', '{"to":"ada@example.com","template":"order-shipped","orderId":"o-1"}'], {
        stateDir: empty.dir,
      });
      expect(stale.err).toMatch(
        new RegExp(
          `^error: no local cloud is running \\(start it with npm start\\): .*endpoints\\.json was left by pid ${gone}, which has exited\\n$`,
        ),
      );
      expect(stale.code).toBe(1);
    } finally {
      empty.remove();
    }
  });
});

/** Runs the CLI as its own process (async: the local cloud answering it runs in this process). */
function runProcess(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(path.join(PROJECT_DIR, 'node_modules', '.bin', 'tsx'), ['tools/shell/cli.ts', ...args], {
    cwd: PROJECT_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

describe('as a process (npm run publish / enqueue run tsx tools/shell/cli.ts)', () => {
  it('exits 0 with the per-entry result, and 2 with one line on bad input', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['publish']).toBe('tsx tools/shell/cli.ts publish');
    expect(pkg.scripts['enqueue']).toBe('tsx tools/shell/cli.ts enqueue');
    const ok = await runProcess([
      'enqueue',
      'send-email',
      '{"to":"ada@example.com","template":"order-shipped","orderId":"o-9"}',
      '--state-dir',
      tmp.dir,
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^enqueued 1 of 1 job to .*\n {2}\[0\] send-email v1 id .* jobKey .*: ok, message \S+\n$/);
    expect(ok.status).toBe(0);
    const bad = await runProcess(['publish', 'OrderPlaced', '{"orderId":']);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^error: data is not JSON: [^\n]+\n$/);
    expect(bad.status).toBe(2);
  });
});

describe('the banner: reaching the local cloud from a shell', () => {
  it('prints one complete export line, says which CLIs honour it and what AWS CLI v1 needs, and the send commands', () => {
    const lines = formatBanner(cloud);
    const e = cloud.topology.endpoints;
    expect(lines).toContain(
      `    export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_ENDPOINT_URL_SQS=${e.sqs} AWS_ENDPOINT_URL_KINESIS=${e.kinesis} AWS_ENDPOINT_URL_S3=${e.s3} AWS_ENDPOINT_URL_DYNAMODB=${e.dynamodb}`,
    );
    const text = lines.join('\n');
    expect(text).toContain('from another shell (AWS CLI v2 ≥ 2.13 and the SDKs — JS v3, boto3 ≥ 1.28, Java, Go, … — read all of these):');
    expect(lines).toContain(
      `    aws sqs get-queue-attributes --endpoint-url ${e.sqs} --queue-url ${cloud.roles.jobs!.url} --attribute-names All`,
    );
    expect(text).toContain(
      `AWS CLI v1 reads AWS_DEFAULT_REGION but not AWS_ENDPOINT_URL_SQS: give aws sqs --endpoint-url ${e.sqs} (as above);`,
    );
    expect(text).toContain(
      `before 1.29 it reads no AWS_ENDPOINT_URL_*: give every command --endpoint-url (${e.sqs} sqs and s3, ${e.kinesis} kinesis)`,
    );
    expect(text).toContain('Kinesis answers HTTP/1.1 and HTTP/2: a plain SDK v3 KinesisClient works as it is');
    // this cloud's state directory is not .local: the commands name it
    const where = ` --state-dir ${path.relative(process.cwd(), tmp.dir)}`;
    expect(lines).toContain(`    ${SHELL_EXAMPLES.publish}${where}`);
    expect(lines).toContain(`    ${SHELL_EXAMPLES.enqueue}${where}`);
  });

  it("the banner's example commands work as printed", async () => {
    const printed = formatBanner(cloud)
      .filter((l) => l.startsWith('    npm run '))
      .map((l) => l.trim());
    expect(printed).toHaveLength(2);
    for (const line of printed) {
      const r = await runReadmeLine(line, { cwd: process.cwd() });
      expect(r.err, line).toBe('');
      expect(r.code, line).toBe(0);
    }
  });
});

describe('docs/local-cloud.md, "Talk to it from a shell", walked as written', () => {
  it('exports the same variables the banner prints', () => {
    const section = readmeShellSection();
    const exported = section.match(/^export ([\s\S]*?)\n(?!\s)/m)![1]!.replace(/\\\n/g, ' ');
    const names = [...exported.matchAll(/(\w+)=\S+/g)].map((m) => m[1]);
    // the test's cloud runs no Lambda API; npm start does, and adds its endpoint
    expect(names).toEqual([...Object.keys(cloud.endpoints.env), 'AWS_ENDPOINT_URL_LAMBDA']);
  });

  it('runs every npm run publish / enqueue line of the section', async () => {
    const lines = readmeShellSection()
      .split('\n')
      .filter((l) => /npm run (publish|enqueue) -- /.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    await drainJobs();
    for (const line of lines) {
      const r = await runReadmeLine(line);
      expect(r.err, line).toBe('');
      expect(r.code, line).toBe(0);
    }
    expect((await drainJobs()).map((j) => j.type).sort()).toEqual(['resize-image', 'resize-image', 'send-email']);
  });
});
