/**
 * Replay throughput on this machine: N archived events (GZIP NDJSON objects in fauxqs S3) replayed to a
 * kinesalite stream with the real replay code (archive listing, gunzip, parse, PutRecords, checkpoint writes).
 * Usage: npx tsx tools/ops/bench-replay.ts [events=10000] [shards=2] [objects=20] [runs=3]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { newEvent } from '../../lambdas/shared/envelope';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/contract';
import { startEmulators } from '../../local/emulators';
import { hourPrefix } from './archive-reader';
import { runReplay } from './replay';
import { createOpsClients, type OpsEnvironment } from './resolve-stage';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

async function main(): Promise<void> {
  const [events = 10_000, shards = 2, objects = 20, runs = 3] = process.argv.slice(2).map(Number);
  const emulators = await startEmulators({ ports: { sqs: 0, kinesis: 0 }, kinesis: 'kinesalite' });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-bench-'));
  const base: OpsEnvironment = {
    kind: 'local',
    label: 'local',
    region: LOCAL_REGION,
    endpoints: { ...emulators.endpoints },
    credentials: LOCAL_CREDENTIALS,
  };
  const clients = createOpsClients(base);
  try {
    const from = new Date('2026-05-01T10:00:00Z');
    const to = new Date('2026-05-01T12:00:00Z');
    const bucket = 'bench-archive';
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const perObject = Math.ceil(events! / objects!);
    for (let o = 0, n = 0; o < objects!; o++) {
      const at = new Date(from.getTime() + o * ((to.getTime() - from.getTime()) / objects!));
      const lines: string[] = [];
      for (let i = 0; i < perObject && n < events!; i++, n++) {
        const orderId = `order-${Math.floor(n / 2)}`;
        const e =
          n % 2 === 0
            ? newEvent(
                'OrderPlaced',
                {
                  orderId,
                  customerEmail: 'ada@example.com',
                  items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 }],
                  totalCents: 2500,
                  currency: 'EUR',
                },
                { partitionKey: orderId, occurredAt: new Date(at.getTime() + i) },
              )
            : newEvent(
                'OrderShipped',
                { orderId, customerEmail: 'ada@example.com', carrier: 'DHL', trackingNumber: `T${n}` },
                { partitionKey: orderId, occurredAt: new Date(at.getTime() + i) },
              );
        lines.push(`${JSON.stringify(e)}\n`);
      }
      const stamp = at.toISOString().replace(/[T:]/g, '-').slice(0, 19);
      await clients.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `${hourPrefix(at)}archive-1-${stamp}-${o}.gz`, Body: gzipSync(lines.join('')) }),
      );
    }
    const results: number[] = [];
    for (let run = 1; run <= runs!; run++) {
      const stream = `bench-${run}`;
      await clients.kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards! }));
      while (
        (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus !==
        'ACTIVE'
      )
        await new Promise((r) => setTimeout(r, 50));
      const env = { ...base, archiveBucket: bucket, eventStreamName: stream };
      const s = await runReplay({
        env,
        s3: clients.s3,
        kinesis: clients.kinesis,
        from,
        to,
        target: { kind: 'stream' },
        checkpointFile: path.join(tmp, `cp-${run}.json`),
      });
      if (s.sent !== events || s.failed !== 0) throw new Error(`run ${run}: sent ${s.sent}, failed ${s.failed}`);
      results.push(s.recordsPerSecond);
      console.log(`run ${run}: ${s.sent} events in ${(s.elapsedMs / 1000).toFixed(2)} s = ${s.recordsPerSecond} records/s`);
    }
    const sorted = [...results].sort((a, b) => a - b);
    console.log(
      `median ${sorted[Math.floor(sorted.length / 2)]} records/s (${events} events, ${objects} objects, ${shards} shards, kinesalite + fauxqs, node ${process.version}, ${os.cpus().length} CPUs)`,
    );
  } finally {
    clients.destroy();
    await emulators.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
