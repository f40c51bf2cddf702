/**
 * Where the operator tools point: the local cloud (`.local/endpoints.json`) or a deployed stage (the stateful
 * stack's outputs, credentials from the standard AWS chain). Everything after this module is the same code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createKinesisClient, createS3Client, createSqsClient } from '../../lambdas/shared/aws-clients';
import {
  LOCAL_ACCOUNT_ID,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  STATEFUL_OUTPUTS,
  STAGES,
  type Stage,
  type StatefulOutput,
  stackName,
} from '../../lib/contract';
import { processAlive } from '../../local/instance';
import { messageOf, OpsError } from './errors';

/** A function as the local cloud lists it in endpoints.json (`name` = the `queue-and-stream:name` tag). */
export interface LocalFunctionRef {
  readonly logicalId?: string;
  readonly name: string;
  readonly role?: string;
  readonly arn?: string;
  readonly functionName?: string;
  /** its event source mappings, as the local cloud lists them */
  readonly mappings?: readonly { readonly source: 'sqs' | 'kinesis'; readonly batchSize: number }[];
}

export interface OpsEnvironment {
  readonly kind: 'local' | 'aws';
  /** 'local', 'dev' or 'prod': printed in summaries, part of the checkpoint hash */
  readonly label: string;
  /** undefined on AWS without AWS_REGION: the SDK's own chain decides */
  readonly region: string | undefined;
  /** explicit endpoints (local only); on AWS the SDK resolves them (AWS_ENDPOINT_URL_* still apply) */
  readonly endpoints: { readonly sqs?: string; readonly kinesis?: string; readonly s3?: string; readonly lambda?: string };
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly jobQueueUrl?: string;
  readonly jobQueueArn?: string;
  readonly jobDlqUrl?: string;
  readonly jobDlqArn?: string;
  readonly eventStreamName?: string;
  readonly eventStreamArn?: string;
  readonly archiveBucket?: string;
  readonly failureBucket?: string;
  /** AWS: the compute stack whose functions carry the `queue-and-stream:name` tag */
  readonly computeStackName?: string;
  /** local: functions listed in endpoints.json */
  readonly functions?: readonly LocalFunctionRef[];
}

/**
 * The event source a re-delivered Kinesis record names (eventSourceArn, awsRegion), as Lambda would: the stage's
 * stream ARN, else one built the way the local cloud's emulators answer (the contract's region and account).
 */
export function streamEventSource(env: OpsEnvironment, streamName: string): { eventSourceArn: string; region: string } {
  const region = env.region ?? LOCAL_REGION;
  return { eventSourceArn: env.eventStreamArn ?? `arn:aws:kinesis:${region}:${LOCAL_ACCOUNT_ID}:stream/${streamName}`, region };
}

export interface ResolveOptions {
  readonly local?: boolean;
  readonly stage?: string;
  /** project root (default: cwd); `.local/endpoints.json` is looked up there */
  readonly projectDir?: string;
  readonly endpointsFile?: string;
  /** injected in tests; on AWS the CloudFormation client is created lazily */
  readonly describeStackOutputs?: (stackName: string) => Promise<Record<string, string>>;
}

const defaultEndpointsFile = (projectDir = process.cwd()): string => path.join(projectDir, '.local', 'endpoints.json');

/** `--stage` wins; otherwise the local cloud (its endpoints file must exist). */
export async function resolveEnvironment(options: ResolveOptions = {}): Promise<OpsEnvironment> {
  if (options.local && options.stage !== undefined) throw new OpsError('choose one of --local and --stage, not both', 2);
  if (options.stage !== undefined) return resolveStage(parseStage(options.stage), options);
  const file = options.endpointsFile ?? defaultEndpointsFile(options.projectDir);
  if (!fs.existsSync(file)) {
    throw new OpsError(`no local cloud: ${file} not found (start it with \`npm start\`, or pass --stage dev|prod)`);
  }
  // A file left by a local cloud that was killed (SIGKILL is the one exit that cannot remove it): say so,
  // instead of failing later with ECONNREFUSED.
  const { pid } = (JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: unknown } | null) ?? {};
  if (typeof pid === 'number' && !processAlive(pid)) {
    throw new OpsError(
      `no local cloud is running: ${file} was left by pid ${pid}, which has exited (start it with \`npm start\`, or pass --stage dev|prod)`,
    );
  }
  return readEndpointsFile(file);
}

function parseStage(value: string): Stage {
  const stage = value.toLowerCase();
  if (!(STAGES as readonly string[]).includes(stage)) throw new OpsError(`unknown stage "${value}" (use ${STAGES.join(' or ')})`, 2);
  return stage as Stage;
}

export function readEndpointsFile(file: string): OpsEnvironment {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new OpsError(`cannot read ${file}: ${messageOf(error)}`);
  }
  const f = raw as {
    region?: string;
    endpoints?: { sqs?: string; kinesis?: string; s3?: string; lambda?: string };
    queues?: Record<string, { url?: string; arn?: string } | undefined>;
    streams?: Record<string, { name?: string; arn?: string } | undefined>;
    buckets?: Record<string, { name?: string } | undefined>;
    resources?: { functions?: LocalFunctionRef[] };
    env?: Record<string, string>;
  };
  if (typeof f !== 'object' || f === null || typeof f.endpoints !== 'object')
    throw new OpsError(`${file} is not a local cloud endpoints file (no "endpoints")`);
  const env = f.env ?? {};
  return {
    kind: 'local',
    label: 'local',
    region: f.region ?? env['AWS_REGION'] ?? LOCAL_REGION,
    endpoints: { ...f.endpoints },
    credentials: {
      accessKeyId: env['AWS_ACCESS_KEY_ID'] ?? LOCAL_CREDENTIALS.accessKeyId,
      secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? LOCAL_CREDENTIALS.secretAccessKey,
    },
    ...defined({
      jobQueueUrl: f.queues?.['jobs']?.url,
      jobQueueArn: f.queues?.['jobs']?.arn,
      jobDlqUrl: f.queues?.['jobsDlq']?.url,
      jobDlqArn: f.queues?.['jobsDlq']?.arn,
      eventStreamName: f.streams?.['events']?.name,
      eventStreamArn: f.streams?.['events']?.arn,
      archiveBucket: f.buckets?.['archive']?.name,
      failureBucket: f.buckets?.['failures']?.name,
    }),
    functions: f.resources?.functions ?? [],
  };
}

async function resolveStage(stage: Stage, options: ResolveOptions): Promise<OpsEnvironment> {
  const name = stackName(stage, 'Stateful');
  const outputs = await (options.describeStackOutputs ?? describeStackOutputs)(name);
  const need = (key: StatefulOutput): string => {
    const value = outputs[key];
    if (value === undefined)
      throw new OpsError(`stack ${name} has no output ${key} (deployed from an older version? run \`npm run deploy\`)`);
    return value;
  };
  return {
    kind: 'aws',
    label: stage,
    region: process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'],
    endpoints: {},
    jobQueueUrl: need(STATEFUL_OUTPUTS.jobQueueUrl),
    jobQueueArn: need(STATEFUL_OUTPUTS.jobQueueArn),
    jobDlqUrl: need(STATEFUL_OUTPUTS.jobDlqUrl),
    eventStreamName: need(STATEFUL_OUTPUTS.eventStreamName),
    eventStreamArn: need(STATEFUL_OUTPUTS.eventStreamArn),
    archiveBucket: need(STATEFUL_OUTPUTS.archiveBucketName),
    failureBucket: need(STATEFUL_OUTPUTS.failureBucketName),
    computeStackName: stackName(stage, 'Compute'),
  };
}

/** DescribeStacks → { OutputKey: OutputValue }; the SDK package is loaded only on this path. */
export async function describeStackOutputs(name: string): Promise<Record<string, string>> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient({});
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: name }));
    const stack = out.Stacks?.[0];
    if (stack === undefined) throw new OpsError(`stack ${name} not found`);
    return Object.fromEntries(
      (stack.Outputs ?? []).flatMap((o) => (o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [])),
    );
  } catch (error) {
    throw awsError(error, `reading the outputs of stack ${name}`);
  } finally {
    client.destroy();
  }
}

/** Turns the SDK errors an operator meets (no credentials, no stack, access denied) into one readable line. */
export function awsError(error: unknown, doing: string): Error {
  if (error instanceof OpsError) return error;
  const e = error as { name?: string; message?: string };
  if (e.name === 'CredentialsProviderError')
    return new OpsError(`${doing}: no AWS credentials found (set AWS_PROFILE or run \`aws sso login\`)`);
  if (e.name === 'ValidationError' && /does not exist/.test(e.message ?? ''))
    return new OpsError(`${doing}: ${e.message} (wrong region? AWS_REGION=${process.env['AWS_REGION'] ?? 'unset'})`);
  if (e.name === 'AccessDenied' || e.name === 'AccessDeniedException') return new OpsError(`${doing}: access denied: ${e.message ?? ''}`);
  return new OpsError(`${doing}: ${e.name ?? 'Error'}: ${e.message ?? String(error)}`);
}

export interface OpsClients {
  readonly sqs: SQSClient;
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  lambda(): Promise<LambdaClient>;
  destroy(): void;
}

/** The template's client factory with the environment's endpoints; the Lambda client is built on first use. */
export function createOpsClients(env: OpsEnvironment): OpsClients {
  const common = { ...(env.region ? { region: env.region } : {}), ...(env.credentials ? { credentials: env.credentials } : {}) };
  const made: { destroy(): void }[] = [];
  const track = <C extends { destroy(): void }>(client: C): C => {
    made.push(client);
    return client;
  };
  const sqs = track(createSqsClient({ ...common, ...(env.endpoints.sqs ? { endpoint: env.endpoints.sqs } : {}) }));
  const kinesis = track(createKinesisClient({ ...common, ...(env.endpoints.kinesis ? { endpoint: env.endpoints.kinesis } : {}) }));
  const s3 = track(createS3Client({ ...common, ...(env.endpoints.s3 ? { endpoint: env.endpoints.s3, forcePathStyle: true } : {}) }));
  let lambda: LambdaClient | undefined;
  return {
    sqs,
    kinesis,
    s3,
    async lambda() {
      if (lambda) return lambda;
      if (env.kind === 'local' && !env.endpoints.lambda) {
        throw new OpsError(
          'the local cloud has no Lambda endpoint (endpoints.lambda missing in .local/endpoints.json): update and restart it',
        );
      }
      const { LambdaClient } = await import('@aws-sdk/client-lambda');
      lambda = track(
        new LambdaClient({
          ...common,
          ...(env.endpoints.lambda ? { endpoint: env.endpoints.lambda } : {}),
          // plain HTTP/1.1 keeps the local endpoint simple; long consumer runs need no socket timeout here
          requestHandler: new NodeHttpHandler(),
        }),
      );
      return lambda;
    },
    destroy: () => {
      for (const c of made) c.destroy();
    },
  };
}

/** Names a missing resource in the error instead of failing later with `undefined`. */
export function need<T>(value: T | undefined, what: string, env: OpsEnvironment): T {
  if (value === undefined || value === '') {
    throw new OpsError(
      `${env.label === 'local' ? 'the local cloud' : `stage ${env.label}`} has no ${what} (is the stack deployed / the local cloud started from this template?)`,
    );
  }
  return value;
}

function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
