// .local/endpoints.json: what a running local cloud tells every other process (the operator tools, the shell,
// tests): endpoints, the template's resources by role and by logical id, and the environment to export.
import { LOCAL_CREDENTIALS } from '../lib/contract';
import type { KinesisEngine, RunningEmulators } from './emulators';
import type { ProvisionResult } from './provision';

export interface EndpointsFile {
  region: string;
  accountId: string;
  endpoints: {
    sqs: string;
    kinesis: string;
    s3: string;
    dynamodb?: string;
    lambda?: string /** the local console's page */;
    console?: string;
  };
  queues: Record<string, { name: string; url: string; arn: string }>;
  streams: Record<string, { name: string; arn: string }>;
  buckets: Record<string, { name: string; arn: string }>;
  /** `idempotency`: the table the functions keep their idempotency records in */
  tables: Record<string, { name: string; arn: string }>;
  /** every resource by logical id */
  resources: {
    queues: { logicalId: string; name: string; url: string; arn: string }[];
    streams: { logicalId: string; name: string; arn: string; shardCount: number }[];
    buckets: { logicalId: string; name: string }[];
    tables: { logicalId: string; name: string; arn: string }[];
    functions: {
      logicalId: string;
      name: string;
      arn: string;
      role?: string;
      handler: string;
      runtime: string;
      /** its event source mappings: what the operator tools need to imitate one (batch size) */
      mappings: { logicalId: string; source: 'sqs' | 'kinesis'; batchSize: number }[];
    }[];
  };
  /** environment that points any AWS SDK / CLI at the local cloud */
  env: Record<string, string>;
  kinesisEngine: KinesisEngine;
  timeScale: number;
  pid: number;
  startedAt: string;
}

export function endpointsFile(
  result: ProvisionResult,
  emulators: RunningEmulators,
  timeScale: number,
  lambdaApi?: string,
  consoleUrl?: string,
): EndpointsFile {
  const { topology, roles } = result;
  const q = (x: { name: string; url: string; arn: string }) => ({ name: x.name, url: x.url, arn: x.arn });
  const queues: EndpointsFile['queues'] = {};
  if (roles.jobs) queues.jobs = q(roles.jobs);
  if (roles.jobsDlq) queues.jobsDlq = q(roles.jobsDlq);
  const streams: EndpointsFile['streams'] = {};
  if (roles.events) streams.events = { name: roles.events.name, arn: roles.events.arn };
  const buckets: EndpointsFile['buckets'] = {};
  if (roles.archive) buckets.archive = { name: roles.archive.name, arn: roles.archive.arn };
  if (roles.failures) buckets.failures = { name: roles.failures.name, arn: roles.failures.arn };
  const tables: EndpointsFile['tables'] = {};
  if (roles.idempotency) tables.idempotency = { name: roles.idempotency.name, arn: roles.idempotency.arn };
  const e = topology.endpoints;
  return {
    region: e.region,
    accountId: e.accountId,
    endpoints: {
      sqs: e.sqs,
      kinesis: e.kinesis,
      s3: e.s3,
      ...(e.dynamodb ? { dynamodb: e.dynamodb } : {}),
      ...(lambdaApi ? { lambda: lambdaApi } : {}),
      ...(consoleUrl ? { console: consoleUrl } : {}),
    },
    queues,
    streams,
    buckets,
    tables,
    resources: {
      queues: topology.queues.map((x) => ({ logicalId: x.logicalId, ...q(x) })),
      streams: topology.streams.map((s) => ({ logicalId: s.logicalId, name: s.name, arn: s.arn, shardCount: s.shardCount })),
      buckets: topology.buckets.map((b) => ({ logicalId: b.logicalId, name: b.name })),
      tables: result.tables.map((t) => ({ logicalId: t.logicalId, name: t.name, arn: t.arn })),
      functions: topology.functions.map((f) => ({
        logicalId: f.logicalId,
        name: f.name,
        arn: f.arn,
        ...(f.role ? { role: f.role } : {}),
        handler: f.handler,
        runtime: f.runtime,
        mappings: [
          ...topology.sqsMappings
            .filter((m) => m.functionLogicalId === f.logicalId)
            .map((m) => ({ logicalId: m.logicalId, source: 'sqs' as const, batchSize: m.batchSize })),
          ...topology.kinesisMappings
            .filter((m) => m.functionLogicalId === f.logicalId)
            .map((m) => ({ logicalId: m.logicalId, source: 'kinesis' as const, batchSize: m.batchSize })),
        ],
      })),
    },
    env: {
      AWS_REGION: e.region,
      // AWS CLI v1 and boto3 read AWS_DEFAULT_REGION only
      AWS_DEFAULT_REGION: e.region,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: e.sqs,
      AWS_ENDPOINT_URL_KINESIS: e.kinesis,
      AWS_ENDPOINT_URL_S3: e.s3,
      ...(e.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: e.dynamodb } : {}),
      ...(lambdaApi ? { AWS_ENDPOINT_URL_LAMBDA: lambdaApi } : {}),
    },
    kinesisEngine: emulators.kinesis.engine,
    timeScale,
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
}
