/**
 * The idempotency table on a real DynamoDB emulator: dynalite in-process on 127.0.0.1 (any free port), table
 * created as the IdempotencyTable construct declares it (partition key `id`; dynalite has no UpdateTimeToLive).
 * `useIdempotencyStore()` starts it before the file's tests and points AWS_ENDPOINT_URL_DYNAMODB at it; the SDK
 * reads that variable on a client's first request, so handlers imported before still reach it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { createIdempotencyTable } from '../../bench/lib/emulators';
import { startDynalite } from '../../local/emulators';

export interface StoredRecord {
  readonly id: string;
  readonly status: 'INPROGRESS' | 'COMPLETED' | string;
  readonly expiration: number;
  readonly in_progress_expiration?: number;
  readonly data?: unknown;
}

export interface IdempotencyStore {
  readonly endpoint: string;
  readonly tableName: string;
  readonly client: DynamoDBClient;
  records(): Promise<StoredRecord[]>;
  record(key: string): Promise<StoredRecord | undefined>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

export async function startIdempotencyStore(tableName: string): Promise<IdempotencyStore> {
  const server = await startDynalite(0, (error) => console.error(`idempotency store: ${error.message}`));
  const endpoint = `http://127.0.0.1:${server.port}`;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  await createIdempotencyTable(endpoint, tableName, credentials);
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  const documents = DynamoDBDocumentClient.from(client);
  const records = async (): Promise<StoredRecord[]> =>
    ((await documents.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? []) as StoredRecord[];
  return {
    endpoint,
    tableName,
    client,
    records,
    record: async (key) =>
      (await documents.send(new GetCommand({ TableName: tableName, Key: { id: key }, ConsistentRead: true }))).Item as
        | StoredRecord
        | undefined,
    clear: async () => {
      for (const r of await records()) await documents.send(new DeleteCommand({ TableName: tableName, Key: { id: r.id } }));
    },
    stop: async () => {
      client.destroy();
      await server.stop();
    },
  };
}

/** Starts the store for this test file (table IDEMPOTENCY_TABLE_NAME) and returns an accessor for the tests. */
export function useIdempotencyStore(): () => IdempotencyStore {
  let store: IdempotencyStore | undefined;
  beforeAll(async () => {
    store = await startIdempotencyStore(process.env['IDEMPOTENCY_TABLE_NAME'] ?? 'idempotency');
    process.env['AWS_ENDPOINT_URL_DYNAMODB'] = store.endpoint;
  });
  afterAll(() => store?.stop());
  return () => {
    if (!store) throw new Error('the idempotency store starts in beforeAll');
    return store;
  };
}
