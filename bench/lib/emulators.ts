/**
 * The bench's own emulators on 127.0.0.1 with OS-chosen ports (figure 2 measures producers, not the local
 * cloud): fauxqs for SQS, kinesalite in-process, kinesis-local as a child process.
 */
import { spawn } from 'node:child_process';
import type * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' } as const;

export interface Emulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startFauxqs(): Promise<Emulator> {
  const { buildApp } = (await import('fauxqs')) as typeof import('fauxqs');
  const app = buildApp({ logger: false, host: 'localhost', defaultRegion: REGION });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as net.AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => app.close() };
}

export async function startKinesalite(): Promise<Emulator> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kinesalite = require('kinesalite') as (opts: Record<string, unknown>) => http.Server;
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * kinesis-local (kinesis-mock) as a child: it crashes without KINESIS_MOCK_CERT_PATH; CREATE_STREAM_DURATION=0ms
 * makes streams ACTIVE at once; KINESIS_MOCK_PLAIN_PORT is its plain-HTTP port. `ready` polls until it answers.
 */
export async function startKinesisLocal(ready: (endpoint: string) => Promise<boolean>, timeoutMs = 30_000): Promise<Emulator> {
  const plain = await freePort();
  const tls = await freePort();
  const pkgDir = path.dirname(require.resolve('kinesis-local/package.json'));
  // The wrapper exits when our stdin closes, so the emulator cannot outlive the bench.
  const wrapper = `process.stdin.on('end',()=>process.exit(0));process.stdin.resume();require(${JSON.stringify(path.join(pkgDir, 'main.js'))});`;
  const child = spawn(process.execPath, ['-e', wrapper], {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: {
      ...process.env,
      KINESIS_MOCK_CERT_PATH: path.join(pkgDir, 'server.json'),
      KINESIS_MOCK_PLAIN_PORT: String(plain),
      KINESIS_MOCK_TLS_PORT: String(tls),
      CREATE_STREAM_DURATION: '0ms',
      DELETE_STREAM_DURATION: '0ms',
      AWS_REGION: REGION,
      LOG_LEVEL: 'ERROR',
      SHOULD_PERSIST_DATA: 'false',
    },
  });
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };
  const endpoint = `http://127.0.0.1:${plain}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kinesis-local exited during start-up: ${tail.trim().slice(-300)}`);
    if (await ready(endpoint).catch(() => false)) return { endpoint, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`kinesis-local did not answer within ${timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * dynalite (DynamoDB) in this process with the idempotency table as the IdempotencyTable construct declares it
 * (partition key `id`, on-demand). Figure 3 runs it in the parent so that the handler's child process pays the
 * round trips, as a Lambda pays them to DynamoDB, without serving them on its own event loop.
 */
export async function startDynalite(tableName: string): Promise<Emulator> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (opts: Record<string, unknown>) => http.Server;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const { CreateTableCommand, DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({ endpoint, region: REGION, credentials: CREDENTIALS });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
