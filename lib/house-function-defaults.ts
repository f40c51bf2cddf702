import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type Documented, megabytes } from './documented';

/** NODE_OPTIONS of a function with source maps: Node.js applies them to stack traces. */
export const SOURCE_MAPS_NODE_OPTIONS = '--enable-source-maps';

export const HOUSE_FUNCTION_DEFAULTS = {
  runtime: {
    value: lambda.Runtime.NODEJS_24_X,
    show: (runtime: lambda.Runtime) => runtime.name,
    why: 'latest Node.js LTS runtime on Lambda: longest support window, ships AWS SDK v3',
  },
  architecture: {
    value: lambda.Architecture.ARM_64,
    show: (architecture: lambda.Architecture) => architecture.name,
    why: 'Graviton: about 20 % cheaper per GB-second than x86 for the same Node.js code',
  },
  memorySize: {
    value: 256,
    show: megabytes,
    why: 'handlers are I/O-bound (SQS, Kinesis, S3 calls); more memory buys CPU they do not use',
  },
  timeout: {
    value: Duration.seconds(30),
    why: 'ample for a batch of small jobs or events; short enough that a hung batch is retried soon (sets the queue visibility floor)',
  },
  tracing: {
    value: lambda.Tracing.ACTIVE,
    why: 'X-Ray traces follow a job or event through producer, queue/stream and handler',
  },
  minify: { value: true, why: 'smaller bundle, faster cold start' },
  sourceMap: {
    value: true,
    show: (sourceMap: boolean) => (sourceMap ? `true, with NODE_OPTIONS=${SOURCE_MAPS_NODE_OPTIONS}` : 'false'),
    why: 'stack traces in logs point at the TypeScript source despite minification',
  },
  sourcesContent: {
    value: false,
    why: 'the source map keeps its line mappings but no copy of the sources: 946 → 189 KB, ≈ 4 ms less to parse at every cold start (BENCHMARKS.md, figure 1)',
  },
  externalModules: {
    value: ['@aws-sdk/*'],
    why: 'the Node.js 24 runtime ships SDK v3; everything else (Powertools, zod, @smithy) is bundled at tested versions',
  },
  logGroup: {
    kind: 'prose',
    value: 'one per function, retention from stage',
    why: 'retention and removal are explicit instead of a never-expiring /aws/lambda group created on first invoke',
  },
  metricsNamespace: {
    value: 'QueueAndStream',
    why: 'one CloudWatch namespace (POWERTOOLS_METRICS_NAMESPACE) for all business metrics of the app',
  },
  logLevel: { value: 'INFO', why: 'POWERTOOLS_LOG_LEVEL: decisions and failures, not per-record chatter' },
} as const satisfies Record<string, Documented<unknown>>;
