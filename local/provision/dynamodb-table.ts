// AWS::DynamoDB::Table → a dynalite table (no TTL and no streams locally: both are said in the notes).
import { CreateTableCommand, DescribeTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { LocalCloudError } from '../assembly';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../lib/contract';
import type { ResourceFacts } from '../resolver';
import type { LocalTable } from '../types';
import type { ProvisionContext, ResourceInput } from './context';
import { bool, physicalName } from './values';

/** CloudFormation's index shape without the settings the API (and dynalite) does not take here. */
function index<T extends Record<string, unknown>>(i: T): T {
  const { ContributorInsightsSpecification: _c, OnDemandThroughput: _o, WarmThroughput: _w, ...rest } = i;
  return rest as T;
}

export async function provisionTable({ stack, logicalId, p }: ResourceInput, ctx: ProvisionContext): Promise<ResourceFacts> {
  const where = `table ${stack.stackName}/${logicalId}`;
  const client = ctx.clients.dynamodb;
  if (!client) throw new LocalCloudError(`${where}: no DynamoDB emulator is running (start the emulators with a dynamodb port)`);
  const name = (p('TableName') as string | undefined) ?? physicalName(stack.stackName, logicalId, 255, /[^A-Za-z0-9_.-]/g);
  const billingMode = (p('BillingMode') as CreateTableCommandInput['BillingMode'] | undefined) ?? 'PROVISIONED';
  const gsis = p('GlobalSecondaryIndexes') as Record<string, unknown>[] | undefined;
  const lsis = p('LocalSecondaryIndexes') as Record<string, unknown>[] | undefined;
  const input = {
    TableName: name,
    KeySchema: p('KeySchema'),
    AttributeDefinitions: p('AttributeDefinitions'),
    BillingMode: billingMode,
    ...(billingMode === 'PROVISIONED'
      ? { ProvisionedThroughput: p('ProvisionedThroughput') ?? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } }
      : {}),
    ...(gsis?.length ? { GlobalSecondaryIndexes: gsis.map(index) } : {}),
    ...(lsis?.length ? { LocalSecondaryIndexes: lsis.map(index) } : {}),
  } as CreateTableCommandInput;
  if (!Array.isArray(input.KeySchema) || !Array.isArray(input.AttributeDefinitions)) {
    throw new LocalCloudError(`${where}: KeySchema and AttributeDefinitions are required`);
  }
  try {
    await client.send(new CreateTableCommand(input));
  } catch (err) {
    // a table kept from an earlier run (--persist) is taken over with its items
    if (!(ctx.options.reuseExisting && (err as { name?: string }).name === 'ResourceInUseException')) {
      throw new LocalCloudError(`${where}: CreateTable failed: ${(err as Error).message}`);
    }
  }
  for (let i = 0; ; i++) {
    const status = (await client.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus;
    if (status === 'ACTIVE') break;
    if (i > 200) throw new LocalCloudError(`${where}: table ${name} did not become ACTIVE`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const ttl = p('TimeToLiveSpecification') as { AttributeName?: string; Enabled?: unknown } | undefined;
  const ttlAttribute = ttl && bool(ttl.Enabled, false) ? ttl.AttributeName : undefined;
  if (ttlAttribute) {
    ctx.notes.push(
      `table ${name}: TimeToLiveSpecification (${ttlAttribute}) not applied: dynalite has no UpdateTimeToLive, so expired items stay ${ctx.options.reuseExisting ? 'on disk with --persist (delete .local/state to drop them)' : 'until the local cloud stops'}`,
    );
  }
  if (p('StreamSpecification') !== undefined) ctx.notes.push(`table ${name}: StreamSpecification not emulated (no DynamoDB stream)`);
  const arn = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:table/${name}`;
  const table: LocalTable = { logicalId, name, arn, ...(ttlAttribute ? { timeToLiveAttribute: ttlAttribute } : {}) };
  ctx.tables.push(table);
  return { type: 'AWS::DynamoDB::Table', ref: name, attributes: { Arn: arn } };
}
