import * as path from 'node:path';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LogLevel, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { HOUSE_FUNCTION_DEFAULTS as D, SOURCE_MAPS_NODE_OPTIONS } from './house-function-defaults';
import { FUNCTION_ENV } from './contract';

/** Root of the per-function folders (`lambdas/<name>/handler.ts`). */
export const LAMBDAS_DIR = path.resolve(__dirname, '..', 'lambdas');

export interface HouseFunctionProps {
  /**
   * Folder under lambdas/ whose handler.ts the function runs. Its POWERTOOLS_SERVICE_NAME is the name it is
   * wired under (JobQueue.addWorker, EventStream.addConsumer), together with its tags.
   */
  readonly name: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly environment?: Readonly<Record<string, string>>;
  /** @default HOUSE_FUNCTION_DEFAULTS.timeout */
  readonly timeout?: Duration;
  /** @default HOUSE_FUNCTION_DEFAULTS.memorySize */
  readonly memorySize?: number;
}

/**
 * A NodejsFunction with the house defaults, its own log group and its own role. The three live under one
 * construct named `id` (`<id>/LogGroup`, `<id>/Role`, `<id>/Function`): the construct paths, and so the logical
 * IDs, of the deployed stacks.
 */
export class HouseFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    const home = new Construct(scope, id);
    const logGroup = new logs.LogGroup(home, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Own role: log writes are granted on this log group only, instead of the AWSLambdaBasicExecutionRole managed policy.
    const role = new iam.Role(home, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    super(home, 'Function', {
      entry: path.join(LAMBDAS_DIR, props.name, 'handler.ts'),
      handler: 'handler',
      role,
      logGroup,
      runtime: D.runtime.value, // latest Node.js LTS on Lambda
      architecture: D.architecture.value, // Graviton: cheaper per GB-second
      memorySize: props.memorySize ?? D.memorySize.value, // I/O-bound handlers
      timeout: props.timeout ?? D.timeout.value, // sets the job queue's visibility floor (6 × timeout + window)
      tracing: D.tracing.value, // X-Ray across producer → queue/stream → handler
      environment: {
        [FUNCTION_ENV.metricsNamespace]: D.metricsNamespace.value,
        [FUNCTION_ENV.logLevel]: D.logLevel.value,
        ...(D.sourceMap.value ? { NODE_OPTIONS: SOURCE_MAPS_NODE_OPTIONS } : {}), // map minified stack traces back to TypeScript
        ...props.environment,
      },
      bundling: {
        minify: D.minify.value, // smaller bundle, faster cold start
        sourceMap: D.sourceMap.value, // paired with NODE_OPTIONS above
        sourcesContent: D.sourcesContent.value, // line mappings without a copy of every source: a smaller map to parse
        externalModules: [...D.externalModules.value], // SDK v3 comes with the runtime
        forceDockerBundling: false, // local esbuild only: synth works offline without Docker
        logLevel: LogLevel.WARNING, // esbuild prints problems, not bundle sizes
      },
    });
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          appliesTo: ['Resource::*'],
          reason:
            'Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions (X-Ray docs).',
        },
      ],
      true,
    );
  }
}
