import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { loadAssembly } from '../../../local/assembly';
import { createLocalClients } from '../../../local/clients';
import { startEmulators } from '../../../local/emulators';
import { PortInUseError } from '../../../local/ports';
import { provision } from '../../../local/provision';
import { fixture } from './helpers';
import { alive, portIsFree } from '../../support/processes';
import { tempDir } from '../../support/temp';
import { waitFor } from '../../support/wait';

function occupy(host?: string): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, host, () =>
      resolve({ port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) }),
    );
  });
}

describe('startEmulators', () => {
  it('listens on 127.0.0.1 only and stops cleanly', async () => {
    const em = await startEmulators({ ports: { sqs: 0, kinesis: 0 }, kinesis: 'kinesalite' });
    try {
      expect(em.endpoints.sqs).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(em.endpoints.s3).toBe(em.endpoints.sqs);
      expect(em.endpoints.kinesis).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(em.kinesis).toMatchObject({ engine: 'kinesalite', onDemand: false, enhancedFanOut: false });
    } finally {
      await em.stop();
    }
    // after stop the ports are free again
    expect(await portIsFree(em.ports.sqs), `port ${em.ports.sqs} free after stop`).toBe(true);
  });

  it('reports an SQS/S3 port in use naming the port and the flag', async () => {
    const busy = await occupy('127.0.0.1');
    try {
      const err = await startEmulators({ ports: { sqs: busy.port, kinesis: 0 }, kinesis: 'kinesalite' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toBe(
        `port ${busy.port} (SQS + S3, fauxqs) is already in use: stop what uses it or choose another port with --port-sqs <port>`,
      );
    } finally {
      await busy.close();
    }
  });

  it('serves DynamoDB (dynalite) on 127.0.0.1, on any free port unless one is given', async () => {
    const em = await startEmulators({ ports: { sqs: 0, kinesis: 0 }, kinesis: 'kinesalite' });
    const clients = createLocalClients(em.endpoints);
    try {
      expect(em.endpoints.dynamodb).toBe(`http://127.0.0.1:${em.ports.dynamodb}`);
      await expect(clients.dynamodb!.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
    } finally {
      clients.destroy();
      await em.stop();
    }
  });

  it('reports a DynamoDB port in use naming the port and --port-dynamodb, and stops the emulators it already started', async () => {
    const busy = await occupy('127.0.0.1');
    const sqsProbe = await occupy('127.0.0.1');
    const sqsPort = sqsProbe.port;
    await sqsProbe.close();
    try {
      const err = await startEmulators({ ports: { sqs: sqsPort, kinesis: 0, dynamodb: busy.port }, kinesis: 'kinesalite' }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toBe(
        `port ${busy.port} (DynamoDB, dynalite) is already in use: stop what uses it or choose another port with --port-dynamodb <port>`,
      );
      expect(await portIsFree(sqsPort), `fauxqs's port ${sqsPort} free again`).toBe(true);
    } finally {
      await busy.close();
    }
  });

  it('reports a Kinesis port in use and stops the emulator it already started', async () => {
    const busy = await occupy('127.0.0.1');
    const sqsProbe = await occupy('127.0.0.1');
    const sqsPort = sqsProbe.port;
    await sqsProbe.close();
    try {
      await expect(startEmulators({ ports: { sqs: sqsPort, kinesis: busy.port }, kinesis: 'kinesalite' })).rejects.toThrow(
        new RegExp(`port ${busy.port} \\(Kinesis\\) is already in use.*--port-kinesis`),
      );
      // fauxqs, started first, was stopped: its port is free
      expect(await portIsFree(sqsPort), `fauxqs's port ${sqsPort} free again`).toBe(true);
    } finally {
      await busy.close();
    }
  });

  it('kinesis-local: ON_DEMAND streams and enhanced fan-out consumers, and no process left after stop', async () => {
    const em = await startEmulators({ ports: { sqs: 0, kinesis: 0 }, kinesis: 'kinesis-local' });
    const [pid] = em.childPids;
    const tmp = tempDir();
    try {
      expect(alive(pid)).toBe(true);
      const r = await provision({
        assembly: loadAssembly(fixture('kitchen-sink')),
        endpoints: em.endpoints,
        kinesis: em.kinesis,
        stateDir: tmp.dir,
      });
      expect(r.topology.streams[0]).toMatchObject({ mode: 'ON_DEMAND', retentionHours: 48 });
      expect(r.consumers[0]).toMatchObject({ name: 'fast-reader', registered: true });
      expect(r.consumers[0].arn).toMatch(/consumer\/fast-reader:/);
      const clients = createLocalClients(em.endpoints);
      await clients.kinesis.send(new CreateStreamCommand({ StreamName: 'extra', ShardCount: 1 }));
      const s = await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'extra' }));
      expect(s.StreamDescriptionSummary?.OpenShardCount).toBe(1);
      clients.destroy();
    } finally {
      await em.stop();
      tmp.remove();
    }
    expect(alive(pid)).toBe(false);
  });

  it('kinesis-local dying is reported once, naming it', async () => {
    let fatal: Error | undefined;
    const em = await startEmulators({ ports: { sqs: 0, kinesis: 0 }, kinesis: 'kinesis-local', onFatal: (e) => (fatal = e) });
    try {
      process.kill(em.childPids[0], 'SIGKILL');
      await waitFor('the death to be reported', () => fatal, { timeoutMs: 5000, intervalMs: 50 });
      expect(fatal?.message).toMatch(/^kinesis-local exited unexpectedly \(SIGKILL\)$/);
    } finally {
      await em.stop();
    }
  });
});
