/**
 * The bench's own emulators on 127.0.0.1 with OS-chosen ports (figure 2 measures producers, not the local
 * cloud; figure 3 the handlers' idempotency I/O): the local cloud's starters (local/emulators.ts) at port 0,
 * so the bench measures the same emulator set-up that `npm start` runs.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  startDynalite as startDynaliteServer,
  startFauxqsServer,
  startKinesalite as startKinesaliteServer,
  startKinesisLocal as startKinesisLocalServer,
  type ServerHandle,
} from '../../local/emulators';
import type { LocalCloudError } from '../../local/assembly';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' } as const;

export interface Emulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

// an emulator failing mid-figure: said at once; the figure then fails on its own requests
const onFatal = (error: LocalCloudError): void => console.error(`bench: ${error.message}`);
const onLoopback = (server: ServerHandle): Emulator => ({ endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() });

export const startFauxqs = async (): Promise<Emulator> => onLoopback(await startFauxqsServer(0, onFatal));
export const startKinesalite = async (): Promise<Emulator> => onLoopback(await startKinesaliteServer(0, onFatal));
/** kinesis-local as a child process (it answers ListStreams before this resolves). */
export const startKinesisLocal = async (): Promise<Emulator> => onLoopback(await startKinesisLocalServer(0, undefined, onFatal));

/**
 * dynalite (DynamoDB) in this process with the idempotency table as the IdempotencyTable construct declares it
 * (partition key `id`, on-demand). Figure 3 runs it in the parent so that the handler's child process pays the
 * round trips, as a Lambda pays them to DynamoDB, without serving them on its own event loop.
 */
export async function startDynalite(tableName: string): Promise<Emulator> {
  const emulator = onLoopback(await startDynaliteServer(0, onFatal));
  await createIdempotencyTable(emulator.endpoint, tableName, CREDENTIALS);
  return emulator;
}

/** The idempotency table as the IdempotencyTable construct declares it (dynalite has no UpdateTimeToLive). */
export async function createIdempotencyTable(
  endpoint: string,
  tableName: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: REGION, credentials });
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
}
