// Issue #11, point 9: a plain AWS SDK v3 KinesisClient (HTTP/2 by default) talks to the local Kinesis as it is,
// with no HTTP/1.1 request handler to find first. kinesalite speaks HTTP/1.1 only; the local cloud serves it
// on one port for both (local/emulators.ts, http2Front).
import * as http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../lib/contract';
import { startEmulators } from '../../../local/emulators';
import { probePort } from '../../../local/ports';

describe('the local Kinesis endpoint (kinesalite)', () => {
  it('answers a plain SDK v3 KinesisClient (HTTP/2) and an HTTP/1.1 one on the same port, errors included', async () => {
    const em = await startEmulators({ ports: { sqs: 0, kinesis: 0 }, kinesis: 'kinesalite' });
    const common = { endpoint: em.endpoints.kinesis, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 };
    const plain = new KinesisClient(common); // the SDK's default request handler: HTTP/2
    const http1 = new KinesisClient({ ...common, requestHandler: new NodeHttpHandler() });
    try {
      await plain.send(new CreateStreamCommand({ StreamName: 'h2', ShardCount: 1 }));
      const put = await plain.send(new PutRecordCommand({ StreamName: 'h2', PartitionKey: 'k', Data: Buffer.from('over http/2') }));
      const shardId = (await http1.send(new DescribeStreamCommand({ StreamName: 'h2' }))).StreamDescription!.Shards![0]!.ShardId!;
      const iterator = (
        await plain.send(new GetShardIteratorCommand({ StreamName: 'h2', ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))
      ).ShardIterator;
      const records = (await plain.send(new GetRecordsCommand({ ShardIterator: iterator }))).Records ?? [];
      expect(records.map((r) => [r.SequenceNumber, Buffer.from(r.Data!).toString()])).toEqual([[put.SequenceNumber, 'over http/2']]);
      await expect(plain.send(new DescribeStreamCommand({ StreamName: 'missing' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    } finally {
      plain.destroy();
      http1.destroy();
      await em.stop();
    }
    expect(await probePort(em.ports.kinesis, '127.0.0.1')).toBe(true); // closed, HTTP/2 sessions included
  });

  it('stops while an HTTP/2 session is open', async () => {
    const em = await startEmulators({ ports: { sqs: 0, kinesis: 0 }, kinesis: 'kinesalite' });
    const session = http2.connect(em.endpoints.kinesis);
    session.on('error', () => undefined);
    await new Promise<void>((resolve) => session.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    await em.stop();
    await closed;
    expect(await probePort(em.ports.kinesis, '127.0.0.1')).toBe(true);
  });
});
