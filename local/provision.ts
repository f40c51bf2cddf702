// Creates what the templates declare on the emulators and derives the LocalTopology the lambda half runs.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, type QueueAttributeName } from '@aws-sdk/client-sqs';
import {
  CreateStreamCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  RegisterStreamConsumerCommand,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateTableCommand, DescribeTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { LocalCloudError, assetDir, requireAssetDir, type CfnResource, type CloudAssembly, type StackArtifact } from './assembly';
import { StackResolver, createWorld, referencedIds, type ResolverWorld, type ResourceFacts } from './resolver';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../lib/contract';
import { createLocalClients, type LocalClients } from './clients';
import type { KinesisCapabilities } from './emulators';
import type {
  FilterCriteria,
  LocalBucket,
  LocalDeliveryStream,
  LocalEndpoints,
  LocalFunction,
  LocalKinesisMapping,
  LocalQueue,
  LocalSqsMapping,
  LocalStream,
  LocalTable,
  LocalTopology,
  OnFailureDestination,
} from './types';

/** AWS's initial write capacity of an on-demand stream is 4 shards (4 MB/s); emulators without ON_DEMAND get that. */
export const ON_DEMAND_SHARDS = 4;

export const EMULATED_TYPES = [
  'AWS::SQS::Queue',
  'AWS::Kinesis::Stream',
  'AWS::Kinesis::StreamConsumer',
  'AWS::S3::Bucket',
  'AWS::Lambda::Function',
  'AWS::Lambda::EventSourceMapping',
  'AWS::KinesisFirehose::DeliveryStream',
  'AWS::DynamoDB::Table',
] as const;

/** Types that only matter on AWS (permissions, logs, alarms, encryption, notifications): accepted, listed, skipped. */
const NO_LOCAL_EFFECT_TYPES = new Set([
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::TopicInlinePolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::SQS::QueueInlinePolicy',
  'AWS::S3::BucketPolicy',
  'AWS::Lambda::Permission',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::Lambda::Version',
  'AWS::CDK::Metadata',
  'AWS::CloudFormation::CustomResource',
  'AWS::CloudFormation::WaitConditionHandle',
  'AWS::SSM::Parameter',
  // the archive's query catalog (lib/archive-query.ts): locally `npm run query` reads the archive with DuckDB
  'AWS::Glue::Database',
  'AWS::Glue::Table',
  'AWS::Athena::WorkGroup',
  'AWS::Athena::NamedQuery',
]);
const NO_LOCAL_EFFECT_PREFIXES = ['AWS::IAM::', 'AWS::KMS::', 'AWS::Logs::', 'AWS::CloudWatch::', 'Custom::'];

export function hasNoLocalEffect(type: string): boolean {
  return NO_LOCAL_EFFECT_TYPES.has(type) || NO_LOCAL_EFFECT_PREFIXES.some((p) => type.startsWith(p));
}

export interface ResourceNote {
  stackName: string;
  logicalId: string;
  type: string;
}

export interface LocalStreamConsumer {
  logicalId: string;
  name: string;
  arn: string;
  stream: LocalStream;
  /** false when the emulator has no enhanced fan-out: the consumer's mappings read with GetRecords */
  registered: boolean;
}

/** Which template resources play the project's well-known parts (derived from the mappings, never from names). */
export interface TopologyRoles {
  jobs?: LocalQueue;
  jobsDlq?: LocalQueue;
  events?: LocalStream;
  archive?: LocalBucket;
  failures?: LocalBucket;
  /** the table the functions' IDEMPOTENCY_TABLE_NAME names */
  idempotency?: LocalTable;
}

export interface AssemblyAnalysis {
  /** accepted, no local effect */
  notEmulated: ResourceNote[];
  /** CDK custom-resource provider functions (CDK internals with no event source) */
  excludedFunctions: ResourceNote[];
  /** unknown types / non-Node runtimes, downgraded to warnings by --allow-unsupported */
  unsupported: (ResourceNote & { reason: string })[];
}

export interface ProvisionResult extends AssemblyAnalysis {
  topology: LocalTopology;
  consumers: LocalStreamConsumer[];
  /** DynamoDB tables (the lambda half needs only their endpoint, in topology.endpoints) */
  tables: LocalTable[];
  roles: TopologyRoles;
  /** start-up notes: substitutions the emulators forced (ON_DEMAND → 4 shards, no EFO, clamped retention) */
  notes: string[];
  warnings: string[];
  /** resolved stack outputs, stackName → outputName → value (unresolvable ones omitted) */
  outputs: Record<string, Record<string, unknown>>;
}

export interface ProvisionOptions {
  assembly: CloudAssembly;
  /** `dynamodb` is required only by an assembly that declares a table */
  endpoints: { sqs: string; s3: string; kinesis: string; dynamodb?: string };
  kinesis: KinesisCapabilities;
  allowUnsupported?: boolean;
  /** where inline (Code.ZipFile) function code is written; default <assembly>/../.local */
  stateDir?: string;
  /**
   * The emulators kept their state from an earlier run (--persist): a stream or table that already exists is the
   * one the template declares, taken over with its records and items instead of being an error.
   */
  reuseExisting?: boolean;
}

const props = (r: CfnResource): Record<string, unknown> => r.Properties ?? {};

function tagsOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const t of value) if (t && typeof t === 'object' && 'Key' in t) out[String(t.Key)] = String((t as { Value?: unknown }).Value ?? '');
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out[k] = String(v);
  }
  return out;
}

function num(value: unknown, fallback: number, at: string): number {
  if (value === undefined || value === null) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new LocalCloudError(`expected a number at ${at}, got ${JSON.stringify(value)}`);
  return n;
}

function bool(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  return value === true || value === 'true';
}

/** Generated physical names: stable across runs, valid for the service. */
function physicalName(stackName: string, logicalId: string, maxLength: number, allowed: RegExp): string {
  const raw = `${stackName}-${logicalId}`.replace(allowed, '-');
  if (raw.length <= maxLength) return raw;
  const hash = crypto.createHash('sha1').update(raw).digest('hex').slice(0, 8);
  return `${raw.slice(0, maxLength - 9)}-${hash}`;
}

/** A valid S3 bucket name (3-63 chars, lower case, digits, hyphens) derived from stack + logical id. */
export function stableBucketName(stackName: string, logicalId: string): string {
  let name = `${stackName}-${logicalId}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
  if (name.length > 63) {
    const hash = crypto.createHash('sha1').update(name).digest('hex').slice(0, 8);
    name = `${name.slice(0, 54).replace(/-+$/, '')}-${hash}`;
  }
  return name.length >= 3 ? name : `${name}-bucket`;
}

/** Custom-resource provider functions: ServiceToken targets of Custom:: resources, their framework's user handlers, __entrypoint__ handlers. */
export function providerFunctionIds(template: StackArtifact['template']): Set<string> {
  const resources = template.Resources ?? {};
  const isFn = (id: string): boolean => resources[id]?.Type === 'AWS::Lambda::Function';
  const ids = new Set<string>();
  for (const r of Object.values(resources)) {
    if (r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource') {
      for (const id of referencedIds(props(r).ServiceToken)) if (isFn(id)) ids.add(id);
    }
  }
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::Lambda::Function' && String(props(r).Handler ?? '').startsWith('__entrypoint__')) ids.add(id);
  }
  // the provider framework's onEvent function names the user handler in its environment
  let grew = true;
  while (grew) {
    grew = false;
    for (const id of [...ids]) {
      for (const ref of referencedIds((props(resources[id]).Environment as Record<string, unknown> | undefined)?.Variables)) {
        if (isFn(ref) && !ids.has(ref)) {
          ids.add(ref);
          grew = true;
        }
      }
    }
  }
  return ids;
}

function isNodeRuntime(runtime: unknown): boolean {
  return typeof runtime === 'string' && runtime.startsWith('nodejs');
}

/**
 * Checks every resource type before anything starts: unknown types (and functions the local Lambda service
 * cannot run) are errors naming the type and logical id unless allowUnsupported; asset folders must exist.
 */
export function analyzeAssembly(assembly: CloudAssembly, options: { allowUnsupported?: boolean } = {}): AssemblyAnalysis {
  const analysis: AssemblyAnalysis = { notEmulated: [], excludedFunctions: [], unsupported: [] };
  for (const stack of assembly.stacks) {
    const providers = providerFunctionIds(stack.template);
    for (const [logicalId, r] of Object.entries(stack.template.Resources ?? {})) {
      const note = { stackName: stack.stackName, logicalId, type: r.Type };
      if (r.Type === 'AWS::Lambda::Function') {
        if (providers.has(logicalId)) {
          analysis.excludedFunctions.push(note);
          continue;
        }
        if (!isNodeRuntime(props(r).Runtime)) {
          analysis.unsupported.push({ ...note, reason: `runtime ${String(props(r).Runtime ?? '(none)')} (the local Lambda service runs Node.js only)` });
          continue;
        }
        requireAssetDir(stack, logicalId, r);
        const code = props(r).Code as Record<string, unknown> | undefined;
        if (assetDir(stack, r) === undefined && typeof code?.ZipFile !== 'string') {
          throw new LocalCloudError(
            `function ${stack.stackName}/${logicalId}: no local code (no aws:asset:path metadata and no inline ZipFile; synthesize with the CDK CLI)`,
          );
        }
        continue;
      }
      if ((EMULATED_TYPES as readonly string[]).includes(r.Type)) continue;
      if (hasNoLocalEffect(r.Type)) analysis.notEmulated.push(note);
      else analysis.unsupported.push({ ...note, reason: 'resource type not supported by the local cloud' });
    }
  }
  if (analysis.unsupported.length > 0 && !options.allowUnsupported) {
    const u = analysis.unsupported[0];
    const more = analysis.unsupported.length > 1 ? ` (and ${analysis.unsupported.length - 1} more)` : '';
    throw new LocalCloudError(`unsupported: ${u.type} ${u.stackName}/${u.logicalId}: ${u.reason}${more}; --allow-unsupported skips it with a warning`);
  }
  return analysis;
}

/** Orders a stack's resources so each comes after what it references (Ref, GetAtt, Sub, DependsOn). */
export function orderResources(stack: StackArtifact): string[] {
  const resources = stack.template.Resources ?? {};
  const deps = new Map<string, string[]>();
  for (const [id, r] of Object.entries(resources)) {
    const refs = referencedIds(r.Properties ?? {});
    for (const d of [r.DependsOn ?? []].flat()) refs.add(d);
    deps.set(id, [...refs].filter((x) => x in resources && x !== id));
  }
  const out: string[] = [];
  const state = new Map<string, number>();
  const visit = (id: string, trail: string[]): void => {
    if (state.get(id) === 2) return;
    if (state.get(id) === 1) throw new LocalCloudError(`stack ${stack.stackName}: circular reference ${[...trail, id].join(' → ')}`);
    state.set(id, 1);
    for (const d of deps.get(id) ?? []) visit(d, [...trail, id]);
    state.set(id, 2);
    out.push(id);
  };
  for (const id of Object.keys(resources)) visit(id, []);
  return out;
}

function fakeFacts(stack: StackArtifact, logicalId: string, type: string): ResourceFacts {
  const [, service = 'local', kind = 'resource'] = type.split('::');
  const name = physicalName(stack.stackName, logicalId, 128, /[^A-Za-z0-9_.-]/g);
  const svc = service.toLowerCase();
  const arn =
    svc === 'iam' ? `arn:aws:iam::${LOCAL_ACCOUNT_ID}:${kind.toLowerCase()}/${name}` : `arn:aws:${svc}:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${kind.toLowerCase()}/${name}`;
  // SNS topics answer Ref with their ARN; most others with a name
  return { type, ref: type === 'AWS::SNS::Topic' ? arn : name, attributes: { Arn: arn, TopicArn: arn, TopicName: name, RoleId: name, Id: name } };
}

async function waitStreamActive(clients: LocalClients, streamName: string): Promise<{ arn: string; shards: number; retention: number }> {
  for (let i = 0; ; i++) {
    const s = (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary;
    if (s?.StreamStatus === 'ACTIVE') return { arn: s.StreamARN ?? '', shards: s.OpenShardCount ?? 0, retention: s.RetentionPeriodHours ?? 24 };
    if (i > 200) throw new LocalCloudError(`Kinesis stream ${streamName} did not become ACTIVE`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Unescapes a Firehose Delimiter parameter ("\\n" in the template means a newline). */
function unescapeDelimiter(s: string): string {
  return s.replace(/\\(n|r|t|\\)/g, (_m, c: string) => ({ n: '\n', r: '\r', t: '\t', '\\': '\\' })[c] ?? c);
}

class Provisioner {
  readonly world: ResolverWorld = createWorld(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  readonly queues: LocalQueue[] = [];
  readonly streams: LocalStream[] = [];
  readonly buckets: LocalBucket[] = [];
  readonly functions: LocalFunction[] = [];
  readonly sqsMappings: LocalSqsMapping[] = [];
  readonly kinesisMappings: LocalKinesisMapping[] = [];
  readonly deliveryStreams: LocalDeliveryStream[] = [];
  readonly consumers: LocalStreamConsumer[] = [];
  readonly tables: LocalTable[] = [];
  readonly notes: string[] = [];
  readonly warnings: string[] = [];
  private readonly skipped = new Set<string>();

  constructor(
    readonly options: ProvisionOptions,
    readonly clients: LocalClients,
    readonly analysis: AssemblyAnalysis,
  ) {
    for (const n of [...analysis.excludedFunctions, ...analysis.unsupported]) this.skipped.add(`${n.stackName}/${n.logicalId}`);
  }

  async run(): Promise<void> {
    for (const stack of this.options.assembly.stacks) {
      const resolver = new StackResolver(stack, this.world);
      for (const logicalId of orderResources(stack)) {
        const r = stack.template.Resources![logicalId];
        const at = `${stack.stackName}/${logicalId}`;
        if (!resolver.enabled(r.Condition, at)) continue;
        if (this.skipped.has(at)) {
          resolver.register(logicalId, fakeFacts(stack, logicalId, r.Type));
          const u = this.analysis.unsupported.find((x) => `${x.stackName}/${x.logicalId}` === at);
          if (u) this.warnings.push(`not run locally: ${u.type} ${at}: ${u.reason}`);
          continue;
        }
        resolver.register(logicalId, await this.create(stack, resolver, logicalId, r, `${at}.Properties`));
      }
      resolver.publishOutputs();
    }
  }

  private async create(stack: StackArtifact, res: StackResolver, logicalId: string, r: CfnResource, at: string): Promise<ResourceFacts> {
    const p = (key: string): unknown => res.resolve(props(r)[key], `${at}.${key}`);
    switch (r.Type) {
      case 'AWS::SQS::Queue':
        return this.createQueue(stack, logicalId, p);
      case 'AWS::Kinesis::Stream':
        return this.createStream(stack, logicalId, p);
      case 'AWS::Kinesis::StreamConsumer':
        return this.createConsumer(stack, logicalId, p);
      case 'AWS::S3::Bucket':
        return this.createBucket(stack, logicalId, p);
      case 'AWS::Lambda::Function':
        return this.createFunction(stack, logicalId, r, p);
      case 'AWS::Lambda::EventSourceMapping':
        return this.createMapping(stack, logicalId, p, at);
      case 'AWS::KinesisFirehose::DeliveryStream':
        return this.createDeliveryStream(stack, logicalId, p, at);
      case 'AWS::DynamoDB::Table':
        return this.createTable(stack, logicalId, p);
      default:
        return fakeFacts(stack, logicalId, r.Type);
    }
  }

  private async createQueue(stack: StackArtifact, logicalId: string, p: (k: string) => unknown): Promise<ResourceFacts> {
    const fifo = bool(p('FifoQueue'), false);
    const name =
      (p('QueueName') as string | undefined) ??
      physicalName(stack.stackName, logicalId, fifo ? 75 : 80, /[^A-Za-z0-9_-]/g) + (fifo ? '.fifo' : '');
    const attributes: Record<string, string> = {};
    for (const key of [
      'VisibilityTimeout',
      'MessageRetentionPeriod',
      'MaximumMessageSize',
      'ReceiveMessageWaitTimeSeconds',
      'DelaySeconds',
      'ContentBasedDeduplication',
      'DeduplicationScope',
      'FifoThroughputLimit',
    ]) {
      const v = p(key);
      if (v !== undefined) attributes[key] = String(v);
    }
    if (fifo) attributes.FifoQueue = 'true';
    const redrive = p('RedrivePolicy') as { deadLetterTargetArn?: string; maxReceiveCount?: unknown } | string | undefined;
    let redrivePolicy: LocalQueue['redrivePolicy'];
    if (redrive !== undefined) {
      const rp = typeof redrive === 'string' ? (JSON.parse(redrive) as { deadLetterTargetArn?: string; maxReceiveCount?: unknown }) : redrive;
      const dlq = this.queues.find((q) => q.arn === rp.deadLetterTargetArn);
      // fauxqs accepts a redrive policy to a missing queue and then never dead-letters: refuse it here
      if (!dlq) throw new LocalCloudError(`queue ${stack.stackName}/${logicalId}: RedrivePolicy deadLetterTargetArn ${rp.deadLetterTargetArn} is not a queue in the assembly`);
      redrivePolicy = { deadLetterTargetArn: dlq.arn, maxReceiveCount: num(rp.maxReceiveCount, 10, `${logicalId}.RedrivePolicy.maxReceiveCount`) };
      attributes.RedrivePolicy = JSON.stringify(redrivePolicy);
    }
    const redriveAllow = p('RedriveAllowPolicy');
    if (redriveAllow !== undefined) attributes.RedriveAllowPolicy = typeof redriveAllow === 'string' ? redriveAllow : JSON.stringify(redriveAllow);
    const { QueueUrl } = await this.clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes as Record<QueueAttributeName, string> }));
    const got = (await this.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes ?? {};
    const queue: LocalQueue = {
      logicalId,
      name,
      url: QueueUrl!,
      arn: got.QueueArn!,
      visibilityTimeoutSeconds: Number(got.VisibilityTimeout ?? 30),
      messageRetentionSeconds: Number(got.MessageRetentionPeriod ?? 345600),
      maximumMessageSize: Number(got.MaximumMessageSize ?? 1048576),
      ...(redrivePolicy ? { redrivePolicy } : {}),
    };
    this.queues.push(queue);
    return { type: 'AWS::SQS::Queue', ref: queue.url, attributes: { Arn: queue.arn, QueueName: name, QueueUrl: queue.url } };
  }

  private async createStream(stack: StackArtifact, logicalId: string, p: (k: string) => unknown): Promise<ResourceFacts> {
    const caps = this.options.kinesis;
    const name = (p('Name') as string | undefined) ?? physicalName(stack.stackName, logicalId, 128, /[^A-Za-z0-9_.-]/g);
    const modeDetails = p('StreamModeDetails') as { StreamMode?: string } | undefined;
    const mode: LocalStream['mode'] = modeDetails?.StreamMode === 'ON_DEMAND' ? 'ON_DEMAND' : 'PROVISIONED';
    const requested = num(p('ShardCount'), 1, `${logicalId}.ShardCount`);
    // a stream kept from an earlier run (--persist) is taken over as it is
    const reuse = (err: unknown): void => {
      if (!(this.options.reuseExisting && (err as { name?: string }).name === 'ResourceInUseException')) throw err;
    };
    if (mode === 'ON_DEMAND' && caps.onDemand) {
      await this.clients.kinesis.send(new CreateStreamCommand({ StreamName: name, StreamModeDetails: { StreamMode: 'ON_DEMAND' } })).catch(reuse);
    } else {
      if (mode === 'ON_DEMAND') {
        this.notes.push(`stream ${name}: ON_DEMAND → ${ON_DEMAND_SHARDS} provisioned shards (${caps.engine} has no on-demand mode; 4 is AWS's initial on-demand capacity)`);
      }
      await this.clients.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: mode === 'ON_DEMAND' ? ON_DEMAND_SHARDS : requested })).catch(reuse);
    }
    let info = await waitStreamActive(this.clients, name);
    const wantedRetention = num(p('RetentionPeriodHours'), 24, `${logicalId}.RetentionPeriodHours`);
    if (wantedRetention > info.retention) {
      const hours = Math.min(wantedRetention, caps.maxRetentionHours);
      if (hours < wantedRetention) this.notes.push(`stream ${name}: retention ${wantedRetention} h → ${hours} h (${caps.engine}'s maximum)`);
      if (hours > info.retention) {
        await this.clients.kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: hours }));
        info = await waitStreamActive(this.clients, name);
      }
    }
    const stream: LocalStream = { logicalId, name, arn: info.arn, shardCount: info.shards, retentionHours: info.retention, mode };
    this.streams.push(stream);
    return { type: 'AWS::Kinesis::Stream', ref: name, attributes: { Arn: info.arn } };
  }

  private async createTable(stack: StackArtifact, logicalId: string, p: (k: string) => unknown): Promise<ResourceFacts> {
    const where = `table ${stack.stackName}/${logicalId}`;
    const client = this.clients.dynamodb;
    if (!client) throw new LocalCloudError(`${where}: no DynamoDB emulator is running (start the emulators with a dynamodb port)`);
    const name = (p('TableName') as string | undefined) ?? physicalName(stack.stackName, logicalId, 255, /[^A-Za-z0-9_.-]/g);
    const billingMode = (p('BillingMode') as CreateTableCommandInput['BillingMode'] | undefined) ?? 'PROVISIONED';
    // CloudFormation's index shape plus settings the API (and dynalite) does not take here
    const index = <T extends Record<string, unknown>>(i: T): T => {
      const { ContributorInsightsSpecification: _c, OnDemandThroughput: _o, WarmThroughput: _w, ...rest } = i;
      return rest as T;
    };
    const gsis = p('GlobalSecondaryIndexes') as Record<string, unknown>[] | undefined;
    const lsis = p('LocalSecondaryIndexes') as Record<string, unknown>[] | undefined;
    const input = {
      TableName: name,
      KeySchema: p('KeySchema'),
      AttributeDefinitions: p('AttributeDefinitions'),
      BillingMode: billingMode,
      ...(billingMode === 'PROVISIONED' ? { ProvisionedThroughput: p('ProvisionedThroughput') ?? { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } } : {}),
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
      if (!(this.options.reuseExisting && (err as { name?: string }).name === 'ResourceInUseException')) {
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
      this.notes.push(`table ${name}: TimeToLiveSpecification (${ttlAttribute}) not applied: dynalite has no UpdateTimeToLive, so expired items stay ${this.options.reuseExisting ? 'on disk with --persist (delete .local/state to drop them)' : 'until the local cloud stops'}`);
    }
    if (p('StreamSpecification') !== undefined) this.notes.push(`table ${name}: StreamSpecification not emulated (no DynamoDB stream)`);
    const arn = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:table/${name}`;
    const table: LocalTable = { logicalId, name, arn, ...(ttlAttribute ? { timeToLiveAttribute: ttlAttribute } : {}) };
    this.tables.push(table);
    return { type: 'AWS::DynamoDB::Table', ref: name, attributes: { Arn: arn } };
  }

  private async createConsumer(stack: StackArtifact, logicalId: string, p: (k: string) => unknown): Promise<ResourceFacts> {
    const streamArn = String(p('StreamARN'));
    const name = String(p('ConsumerName'));
    const stream = this.streams.find((s) => s.arn === streamArn);
    if (!stream) throw new LocalCloudError(`stream consumer ${stack.stackName}/${logicalId}: StreamARN ${streamArn} is not a stream in the assembly`);
    let arn: string;
    let registered = false;
    if (this.options.kinesis.enhancedFanOut) {
      const out = await this.clients.kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }));
      arn = out.Consumer!.ConsumerARN!;
      for (let i = 0; i < 200; i++) {
        const d = await this.clients.kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn }));
        if (d.ConsumerDescription?.ConsumerStatus === 'ACTIVE') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      registered = true;
    } else {
      arn = `${streamArn}/consumer/${name}:0`;
      this.notes.push(`stream consumer ${name}: ${this.options.kinesis.engine} has no enhanced fan-out; its mappings read with GetRecords (use --kinesis kinesis-local for EFO)`);
    }
    this.consumers.push({ logicalId, name, arn, stream, registered });
    return { type: 'AWS::Kinesis::StreamConsumer', ref: arn, attributes: { ConsumerARN: arn, ConsumerName: name, StreamARN: streamArn, ConsumerStatus: 'ACTIVE' } };
  }

  private async createBucket(stack: StackArtifact, logicalId: string, p: (k: string) => unknown): Promise<ResourceFacts> {
    const name = (p('BucketName') as string | undefined) ?? stableBucketName(stack.stackName, logicalId);
    await this.clients.s3.send(new CreateBucketCommand({ Bucket: name }));
    const bucket: LocalBucket = { logicalId, name, arn: `arn:aws:s3:::${name}` };
    this.buckets.push(bucket);
    return {
      type: 'AWS::S3::Bucket',
      ref: name,
      attributes: {
        Arn: bucket.arn,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${LOCAL_REGION}.amazonaws.com`,
        DualStackDomainName: `${name}.s3.dualstack.${LOCAL_REGION}.amazonaws.com`,
        WebsiteURL: `http://${name}.s3-website-${LOCAL_REGION}.amazonaws.com`,
      },
    };
  }

  private async createFunction(stack: StackArtifact, logicalId: string, r: CfnResource, p: (k: string) => unknown): Promise<ResourceFacts> {
    const physical = (p('FunctionName') as string | undefined) ?? physicalName(stack.stackName, logicalId, 64, /[^A-Za-z0-9_-]/g);
    const arn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${physical}`;
    const handler = String(p('Handler') ?? '');
    if (!handler) throw new LocalCloudError(`function ${stack.stackName}/${logicalId}: no Handler`);
    let codeDir = requireAssetDir(stack, logicalId, r);
    if (codeDir === undefined) {
      // inline code (Code.ZipFile): write it where the lambda half can load it
      const code = (p('Code') as { ZipFile?: string } | undefined)?.ZipFile;
      if (typeof code !== 'string') throw new LocalCloudError(`function ${stack.stackName}/${logicalId}: no local code (no aws:asset:path metadata and no inline ZipFile)`);
      codeDir = path.resolve(this.options.stateDir ?? path.join(this.options.assembly.dir, '..', '.local'), 'inline-code', `${stack.stackName}-${logicalId}`);
      fs.mkdirSync(codeDir, { recursive: true });
      fs.writeFileSync(path.join(codeDir, `${handler.split('.')[0]}.js`), code);
    }
    const env = ((p('Environment') as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
    const tags = tagsOf(p('Tags'));
    const fn: LocalFunction = {
      logicalId,
      name: tags['queue-and-stream:name'] ?? logicalId,
      ...(tags['queue-and-stream:role'] ? { role: tags['queue-and-stream:role'] } : {}),
      arn,
      handler,
      codeDir,
      runtime: String(p('Runtime')),
      timeoutSeconds: num(p('Timeout'), 3, `${logicalId}.Timeout`),
      memoryMb: num(p('MemorySize'), 128, `${logicalId}.MemorySize`),
      environment: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
    };
    this.functions.push(fn);
    this.functionIds.set(physical, fn);
    this.functionIds.set(arn, fn);
    return { type: 'AWS::Lambda::Function', ref: physical, attributes: { Arn: arn } };
  }

  private readonly functionIds = new Map<string, LocalFunction>();

  private findFunction(nameOrArn: string): LocalFunction | undefined {
    const direct = this.functionIds.get(nameOrArn);
    if (direct) return direct;
    // qualified ARN (alias/version) or partial ARN
    const m = /function:([^:]+)/.exec(nameOrArn);
    return m ? this.functionIds.get(m[1]) : undefined;
  }

  private async createMapping(stack: StackArtifact, logicalId: string, p: (k: string) => unknown, at: string): Promise<ResourceFacts> {
    const facts: ResourceFacts = { type: 'AWS::Lambda::EventSourceMapping', ref: `${stack.stackName}-${logicalId}`, attributes: { Id: `${stack.stackName}-${logicalId}` } };
    const target = String(p('FunctionName'));
    const fn = this.findFunction(target);
    if (!fn) {
      // a mapping for a function we skipped (unsupported runtime with --allow-unsupported) is skipped with it
      this.warnings.push(`event source mapping ${stack.stackName}/${logicalId}: function ${target} is not run locally; mapping skipped`);
      return facts;
    }
    const source = String(p('EventSourceArn'));
    const enabled = bool(p('Enabled'), true);
    const responseTypes = (p('FunctionResponseTypes') as string[] | undefined) ?? [];
    const reportBatchItemFailures = responseTypes.includes('ReportBatchItemFailures');
    const filterCriteria = p('FilterCriteria') as FilterCriteria | undefined;
    const batchingWindow = p('MaximumBatchingWindowInSeconds');
    const queue = this.queues.find((q) => q.arn === source);
    if (queue) {
      const maxConcurrency = (p('ScalingConfig') as { MaximumConcurrency?: unknown } | undefined)?.MaximumConcurrency;
      this.sqsMappings.push({
        logicalId,
        functionLogicalId: fn.logicalId,
        queue,
        batchSize: num(p('BatchSize'), 10, `${at}.BatchSize`),
        maximumBatchingWindowSeconds: num(batchingWindow, 0, `${at}.MaximumBatchingWindowInSeconds`),
        reportBatchItemFailures,
        ...(maxConcurrency !== undefined ? { maximumConcurrency: num(maxConcurrency, 0, `${at}.ScalingConfig.MaximumConcurrency`) } : {}),
        enabled,
        ...(filterCriteria?.Filters?.length ? { filterCriteria } : {}),
      });
      return facts;
    }
    const consumer = this.consumers.find((c) => c.arn === source);
    const stream = consumer?.stream ?? this.streams.find((s) => s.arn === source);
    if (!stream) throw new LocalCloudError(`event source mapping ${stack.stackName}/${logicalId}: EventSourceArn ${source} is not a queue, stream or stream consumer in the assembly`);
    const startingPosition = (p('StartingPosition') as LocalKinesisMapping['startingPosition'] | undefined) ?? 'LATEST';
    if (!['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(startingPosition)) {
      throw new LocalCloudError(`event source mapping ${stack.stackName}/${logicalId}: StartingPosition ${startingPosition} is not TRIM_HORIZON, LATEST or AT_TIMESTAMP`);
    }
    const ts = p('StartingPositionTimestamp');
    const tumbling = p('TumblingWindowInSeconds');
    const onFailureArn = (p('DestinationConfig') as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure?.Destination;
    this.kinesisMappings.push({
      logicalId,
      functionLogicalId: fn.logicalId,
      stream,
      ...(consumer ? { streamConsumerName: consumer.name } : {}),
      batchSize: num(p('BatchSize'), 100, `${at}.BatchSize`),
      maximumBatchingWindowSeconds: num(batchingWindow, 0, `${at}.MaximumBatchingWindowInSeconds`),
      startingPosition,
      ...(ts !== undefined ? { startingPositionTimestamp: num(ts, 0, `${at}.StartingPositionTimestamp`) } : {}),
      bisectBatchOnFunctionError: bool(p('BisectBatchOnFunctionError'), false),
      maximumRetryAttempts: num(p('MaximumRetryAttempts'), -1, `${at}.MaximumRetryAttempts`),
      maximumRecordAgeInSeconds: num(p('MaximumRecordAgeInSeconds'), -1, `${at}.MaximumRecordAgeInSeconds`),
      parallelizationFactor: num(p('ParallelizationFactor'), 1, `${at}.ParallelizationFactor`),
      reportBatchItemFailures,
      ...(tumbling !== undefined ? { tumblingWindowInSeconds: num(tumbling, 0, `${at}.TumblingWindowInSeconds`) } : {}),
      ...(onFailureArn ? { onFailure: this.destination(onFailureArn, `${stack.stackName}/${logicalId}`) } : {}),
      ...(filterCriteria?.Filters?.length ? { filterCriteria } : {}),
      enabled,
    });
    return facts;
  }

  private destination(arn: string, at: string): OnFailureDestination {
    if (arn.startsWith('arn:aws:s3:::')) {
      const bucket = this.buckets.find((b) => b.arn === arn);
      if (!bucket) throw new LocalCloudError(`${at}: on-failure destination ${arn} is not a bucket in the assembly`);
      return { kind: 's3', arn, bucketName: bucket.name };
    }
    if (arn.includes(':sqs:')) {
      const queue = this.queues.find((q) => q.arn === arn);
      if (!queue) throw new LocalCloudError(`${at}: on-failure destination ${arn} is not a queue in the assembly`);
      return { kind: 'sqs', arn, queueUrl: queue.url };
    }
    if (arn.includes(':sns:')) return { kind: 'sns', arn };
    throw new LocalCloudError(`${at}: on-failure destination ${arn} is not an S3 bucket, SQS queue or SNS topic`);
  }

  private async createDeliveryStream(stack: StackArtifact, logicalId: string, p: (k: string) => unknown, at: string): Promise<ResourceFacts> {
    const name = (p('DeliveryStreamName') as string | undefined) ?? physicalName(stack.stackName, logicalId, 64, /[^A-Za-z0-9_.-]/g);
    const arn = `arn:aws:firehose:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:deliverystream/${name}`;
    const source = p('KinesisStreamSourceConfiguration') as { KinesisStreamARN?: string } | undefined;
    const where = `delivery stream ${stack.stackName}/${logicalId}`;
    if (!source?.KinesisStreamARN) throw new LocalCloudError(`${where}: only KinesisStreamAsSource delivery streams are emulated`);
    const sourceStream = this.streams.find((s) => s.arn === source.KinesisStreamARN);
    if (!sourceStream) throw new LocalCloudError(`${where}: KinesisStreamARN ${source.KinesisStreamARN} is not a stream in the assembly`);
    type S3Dest = {
      BucketARN?: string;
      Prefix?: string;
      ErrorOutputPrefix?: string;
      BufferingHints?: { IntervalInSeconds?: unknown; SizeInMBs?: unknown };
      CompressionFormat?: string;
      ProcessingConfiguration?: { Enabled?: unknown; Processors?: { Type?: string; Parameters?: { ParameterName?: string; ParameterValue?: string }[] }[] };
    };
    const dest = (p('ExtendedS3DestinationConfiguration') ?? p('S3DestinationConfiguration')) as S3Dest | undefined;
    if (!dest?.BucketARN) throw new LocalCloudError(`${where}: only S3 destinations are emulated`);
    const bucket = this.buckets.find((b) => b.arn === dest.BucketARN);
    if (!bucket) throw new LocalCloudError(`${where}: BucketARN ${dest.BucketARN} is not a bucket in the assembly`);
    let appendDelimiter = false;
    let delimiter = '\n';
    if (bool(dest.ProcessingConfiguration?.Enabled, false)) {
      for (const proc of dest.ProcessingConfiguration?.Processors ?? []) {
        if (proc.Type === 'AppendDelimiterToRecord') {
          appendDelimiter = true;
          const d = proc.Parameters?.find((x) => x.ParameterName === 'Delimiter')?.ParameterValue;
          if (d !== undefined) delimiter = unescapeDelimiter(d);
        } else {
          this.notes.push(`${where}: processor ${proc.Type} is not emulated`);
        }
      }
    }
    this.deliveryStreams.push({
      logicalId,
      name,
      sourceStream,
      bucket,
      prefix: dest.Prefix ?? '',
      errorOutputPrefix: dest.ErrorOutputPrefix ?? '',
      // Firehose's defaults for S3 destinations: 300 s / 5 MiB
      bufferingIntervalSeconds: num(dest.BufferingHints?.IntervalInSeconds, 300, `${at}.BufferingHints.IntervalInSeconds`),
      bufferingSizeMiB: num(dest.BufferingHints?.SizeInMBs, 5, `${at}.BufferingHints.SizeInMBs`),
      compression: (dest.CompressionFormat ?? 'UNCOMPRESSED') as LocalDeliveryStream['compression'],
      appendDelimiter,
      delimiter,
    });
    return { type: 'AWS::KinesisFirehose::DeliveryStream', ref: name, attributes: { Arn: arn } };
  }

  outputs(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [stack, outputs] of this.world.outputs) {
      out[stack] = {};
      for (const [name, thunk] of outputs) {
        try {
          out[stack][name] = thunk();
        } catch {
          // an output may reference something with no local value (e.g. a dashboard URL): leave it out
        }
      }
    }
    return out;
  }
}

/** Derives the project's well-known parts from the mappings (and the functions' environment): the worker's queue, its DLQ, the consumers' stream, ... */
export function identifyRoles(topology: LocalTopology, tables: readonly LocalTable[] = []): TopologyRoles {
  const roles: TopologyRoles = {};
  const fnRole = (id: string): string | undefined => topology.functions.find((f) => f.logicalId === id)?.role;
  const sqs = topology.sqsMappings.find((m) => fnRole(m.functionLogicalId) === 'worker') ?? topology.sqsMappings[0];
  if (sqs) {
    roles.jobs = sqs.queue;
    const dlqArn = sqs.queue.redrivePolicy?.deadLetterTargetArn;
    roles.jobsDlq = topology.queues.find((q) => q.arn === dlqArn);
  }
  const counts = new Map<LocalStream, number>();
  for (const m of topology.kinesisMappings) counts.set(m.stream, (counts.get(m.stream) ?? 0) + 1);
  roles.events = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? topology.deliveryStreams[0]?.sourceStream;
  roles.archive = topology.deliveryStreams.find((d) => d.sourceStream === roles.events)?.bucket ?? topology.deliveryStreams[0]?.bucket;
  const s3Failure = topology.kinesisMappings.map((m) => m.onFailure).find((d): d is Extract<OnFailureDestination, { kind: 's3' }> => d?.kind === 's3');
  roles.failures = s3Failure ? topology.buckets.find((b) => b.name === s3Failure.bucketName) : undefined;
  const idempotencyTableName = topology.functions.map((f) => f.environment.IDEMPOTENCY_TABLE_NAME).find((n) => n !== undefined);
  roles.idempotency = tables.find((t) => t.name === idempotencyTableName);
  for (const k of Object.keys(roles) as (keyof TopologyRoles)[]) if (roles[k] === undefined) delete roles[k];
  return roles;
}

/** Creates queues, streams, consumers and buckets in dependency order and returns the topology for the lambda half. */
export async function provision(options: ProvisionOptions): Promise<ProvisionResult> {
  const analysis = analyzeAssembly(options.assembly, { allowUnsupported: options.allowUnsupported });
  const clients = createLocalClients(options.endpoints);
  try {
    const p = new Provisioner(options, clients, analysis);
    await p.run();
    const endpoints: LocalEndpoints = { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID, ...options.endpoints };
    const topology: LocalTopology = {
      endpoints,
      queues: p.queues,
      streams: p.streams,
      buckets: p.buckets,
      functions: p.functions,
      sqsMappings: p.sqsMappings,
      kinesisMappings: p.kinesisMappings,
      deliveryStreams: p.deliveryStreams,
    };
    return {
      ...analysis,
      topology,
      consumers: p.consumers,
      tables: p.tables,
      roles: identifyRoles(topology, p.tables),
      notes: p.notes,
      warnings: p.warnings,
      outputs: p.outputs(),
    };
  } catch (err) {
    if (err instanceof LocalCloudError) throw err;
    throw new LocalCloudError(`provisioning failed: ${(err as Error).message}`);
  } finally {
    clients.destroy();
  }
}
