// dynalite in a process of its own (local/emulator-process.ts): it serves, stops with nothing left, names a port in
// use, and a death after start-up reaches onFatal.
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/contract';
import { startDynalite } from '../../local/emulators';
import { PortInUseError } from '../../local/ports';
import type { LocalCloudError } from '../../local/assembly';
import { alive } from '../support/processes';
import { waitFor } from '../support/wait';

describe('dynalite in its own process', () => {
  it('answers DynamoDB on 127.0.0.1 from another process, and stop() leaves no process', async () => {
    const fatal: LocalCloudError[] = [];
    const ddb = await startDynalite(0, (e) => fatal.push(e));
    expect(ddb.pid).not.toBe(process.pid);
    const client = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: `http://127.0.0.1:${ddb.port}` });
    try {
      await client.send(
        new CreateTableCommand({
          TableName: 'records',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['records']);
    } finally {
      client.destroy();
      await ddb.stop();
    }
    expect(alive(ddb.pid)).toBe(false);
    expect(fatal).toEqual([]);
  });

  it('names the port and its flag when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const error = await startDynalite(port, () => undefined).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PortInUseError);
      expect(String(error)).toContain(`port ${port}`);
      expect(String(error)).toContain('--port-dynamodb');
    } finally {
      blocker.close();
    }
  });

  it('reports a death after start-up to onFatal (the local cloud stops with it)', async () => {
    const fatal: LocalCloudError[] = [];
    const ddb = await startDynalite(0, (e) => fatal.push(e));
    process.kill(ddb.pid, 'SIGKILL');
    await waitFor('the death to be reported', () => fatal.length > 0, { timeoutMs: 2000, intervalMs: 20 });
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.message).toMatch(/dynalite \(DynamoDB\) exited \(SIGKILL\)/);
    await ddb.stop();
  });
});
