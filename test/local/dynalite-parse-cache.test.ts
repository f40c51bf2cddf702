// The parse cache (local/dynalite-parse-cache.js) changes no answer: the same requests to a patched dynalite (the
// local cloud's, in its own process) and to an unpatched one (in this process) get the same responses, errors included.
import type * as http from 'node:http';
import type * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/contract';
import { startDynalite } from '../../local/emulators';

type Send = (command: unknown) => Promise<unknown>;

/** A response without what differs between two servers by time (request ids, creation dates). */
async function outcome(send: Send, command: unknown): Promise<unknown> {
  try {
    const out = (await send(command)) as Record<string, unknown>;
    const { $metadata: _m, ...rest } = out;
    return JSON.parse(JSON.stringify(rest, (k, v) => (k === 'CreationDateTime' || k === 'TableId' ? '<time>' : v)));
  } catch (error) {
    const e = error as { name: string; message: string; Item?: unknown };
    return { error: e.name, message: e.message, ...(e.Item ? { item: e.Item } : {}) };
  }
}

const TABLE = 'idempotency';
const n = (x: number): AttributeValue => ({ N: String(x) });
const s = (x: string): AttributeValue => ({ S: x });

/** Powertools' conditional PutItem of an in-progress record (DynamoDBPersistenceLayer._putRecord), at a given time. */
function claim(id: string, nowMs: number): PutItemCommand {
  return new PutItemCommand({
    TableName: TABLE,
    Item: { id: s(id), expiration: n(Math.floor(nowMs / 1000) + 3600), status: s('INPROGRESS'), in_progress_expiration: n(nowMs + 30_000) },
    ExpressionAttributeNames: {
      '#id': 'id',
      '#expiry': 'expiration',
      '#in_progress_expiry': 'in_progress_expiration',
      '#status': 'status',
    },
    ExpressionAttributeValues: { ':now': n(nowMs / 1000), ':now_in_millis': n(nowMs), ':inprogress': s('INPROGRESS') },
    ConditionExpression:
      'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
}

/** Powertools' UpdateItem of the completed record (DynamoDBPersistenceLayer._updateRecord). */
function complete(id: string, expiry: number, data: string): UpdateItemCommand {
  return new UpdateItemCommand({
    TableName: TABLE,
    Key: { id: s(id) },
    UpdateExpression: 'SET #response_data = :response_data, #expiry = :expiry, #status = :status',
    ExpressionAttributeNames: { '#response_data': 'data', '#expiry': 'expiration', '#status': 'status' },
    ExpressionAttributeValues: { ':response_data': s(data), ':expiry': n(expiry), ':status': s('COMPLETED') },
  });
}

function requests(): unknown[] {
  const t = 1_767_225_600_000;
  return [
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
    // the idempotency flow, the same expressions with new values each time
    ...[0, 1, 2, 3].flatMap((i) => [claim(`job-${i}`, t + i), complete(`job-${i}`, 100 + i, `{"ok":${i}}`)]),
    claim('job-1', t + 10), // completed, not expired: the condition fails, with the old item
    claim('job-9', t + 11),
    claim('job-9', t + 12), // in progress, not expired: fails
    claim('job-9', t + 60_000), // in progress, expired: succeeds
    claim('job-2', t + 200_000 * 1000), // completed, expired: succeeds
    new GetItemCommand({
      TableName: TABLE,
      Key: { id: s('job-0') },
      ProjectionExpression: '#d, #s',
      ExpressionAttributeNames: { '#d': 'data', '#s': 'status' },
    }),
    // a value of another type: the parser's type checks run again for the new key
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { id: s('job-0') },
      UpdateExpression: 'SET #response_data = :response_data, #expiry = :expiry, #status = :status',
      ExpressionAttributeNames: { '#response_data': 'data', '#expiry': 'expiration', '#status': 'status' },
      ExpressionAttributeValues: { ':response_data': n(1), ':expiry': s('x'), ':status': s('COMPLETED') },
    }),
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { id: s('job-0') },
      UpdateExpression: 'ADD #c :one',
      ExpressionAttributeNames: { '#c': 'count' },
      ExpressionAttributeValues: { ':one': n(1) },
    }),
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { id: s('job-0') },
      UpdateExpression: 'ADD #c :one',
      ExpressionAttributeNames: { '#c': 'count' },
      ExpressionAttributeValues: { ':one': s('one') },
    }),
    // a name used by the update expression and the condition alike, then by the condition alone: "unused" as the parser says it
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { id: s('job-3') },
      UpdateExpression: 'SET #status = :status',
      ConditionExpression: '#status = :status',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': s('COMPLETED') },
    }),
    new UpdateItemCommand({
      TableName: TABLE,
      Key: { id: s('job-3') },
      UpdateExpression: 'SET #other = :status',
      ConditionExpression: '#status = :status',
      ExpressionAttributeNames: { '#status': 'status', '#other': 'other' },
      ExpressionAttributeValues: { ':status': s('COMPLETED') },
    }),
    // errors: unused name, undefined value, a syntax error, a reserved word, a function on the wrong type, BETWEEN (not cached)
    new PutItemCommand({
      TableName: TABLE,
      Item: { id: s('e1') },
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': 'id', '#x': 'x' },
    }),
    new PutItemCommand({
      TableName: TABLE,
      Item: { id: s('e2') },
      ConditionExpression: '#id = :missing',
      ExpressionAttributeNames: { '#id': 'id' },
      ExpressionAttributeValues: { ':v': s('a') },
    }),
    new PutItemCommand({
      TableName: TABLE,
      Item: { id: s('e3') },
      ConditionExpression: 'attribute_not_exists(#id) AND',
      ExpressionAttributeNames: { '#id': 'id' },
    }),
    new PutItemCommand({ TableName: TABLE, Item: { id: s('e4') }, ConditionExpression: 'attribute_not_exists(status)' }),
    new PutItemCommand({
      TableName: TABLE,
      Item: { id: s('e5') },
      ConditionExpression: 'begins_with(#id, :v)',
      ExpressionAttributeNames: { '#id': 'id' },
      ExpressionAttributeValues: { ':v': n(1) },
    }),
    new PutItemCommand({
      TableName: TABLE,
      Item: { id: s('e6') },
      ConditionExpression: 'begins_with(#id, :v)',
      ExpressionAttributeNames: { '#id': 'id' },
      ExpressionAttributeValues: { ':v': s('e') },
    }),
    new PutItemCommand({
      TableName: TABLE,
      Item: { id: s('e7') },
      ConditionExpression: '#e BETWEEN :a AND :b',
      ExpressionAttributeNames: { '#e': 'expiration' },
      ExpressionAttributeValues: { ':a': n(5), ':b': n(1) },
    }),
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: '#id = :id',
      ExpressionAttributeNames: { '#id': 'id' },
      ExpressionAttributeValues: { ':id': s('job-1') },
    }),
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: '#id = :id',
      ExpressionAttributeNames: { '#id': 'id' },
      ExpressionAttributeValues: { ':id': s('job-2') },
    }),
    new DeleteItemCommand({
      TableName: TABLE,
      Key: { id: s('job-0') },
      ConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': s('COMPLETED') },
    }),
    new GetItemCommand({ TableName: TABLE, Key: { id: s('job-0') } }),
  ];
}

describe('dynalite parse cache', () => {
  let plain: http.Server;
  let patched: Awaited<ReturnType<typeof startDynalite>>;
  let a: DynamoDBClient;
  let b: DynamoDBClient;

  beforeAll(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dynalite = require('dynalite') as (o: Record<string, unknown>) => http.Server;
    plain = dynalite({ createTableMs: 0 });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    patched = await startDynalite(0, () => undefined);
    const client = (port: number): DynamoDBClient =>
      new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    a = client((plain.address() as net.AddressInfo).port);
    b = client(patched.port);
  });

  afterAll(async () => {
    a?.destroy();
    b?.destroy();
    await patched?.stop();
    await new Promise((r) => plain?.close(r));
  });

  it('gives every request the same response as dynalite without it, errors included', async () => {
    const list = requests();
    const plainOut: unknown[] = [];
    const patchedOut: unknown[] = [];
    for (const command of list) {
      plainOut.push(await outcome((c) => a.send(c as never), command));
      patchedOut.push(await outcome((c) => b.send(c as never), command));
    }
    expect(patchedOut).toEqual(plainOut);
    // the sequence exercises both outcomes: successes and each kind of failure
    const errors = plainOut.filter((o) => (o as { error?: string }).error).map((o) => (o as { error: string }).error);
    expect(errors).toContain('ConditionalCheckFailedException');
    expect(errors).toContain('ValidationException');
    expect(plainOut.length - errors.length).toBeGreaterThan(10);
  });
});
