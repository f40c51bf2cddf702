// The environment a function's execution environment sees locally: the template's variables, what Lambda adds
// (reserved variables a template cannot override), and what points the SDK at the local emulators.
import * as path from 'node:path';
import { LOCAL_CREDENTIALS } from '../../lib/contract';
import type { LocalEndpoints, LocalFunction } from '../types';
import { projectRoot } from './log-sink';

/** The runtime's bootstrap (Lambda's runtime interface, locally): what every execution environment runs. */
export const BOOTSTRAP = path.join(__dirname, 'bootstrap.js');

/** The environment a local execution environment sees: template env + what Lambda and the local cloud add. */
export function lambdaEnvironment(
  fn: LocalFunction,
  endpoints: LocalEndpoints,
  extra: Record<string, string> = {},
): Record<string, string> {
  const nodeModules = path.join(projectRoot(), 'node_modules');
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: 'UTC',
    ...fn.environment,
    // reserved by Lambda: a template cannot override these
    AWS_REGION: endpoints.region,
    AWS_DEFAULT_REGION: endpoints.region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // Lambda always hands out a session token; the emulators never check it
    AWS_SESSION_TOKEN: LOCAL_CREDENTIALS.accessKeyId,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    LAMBDA_TASK_ROOT: fn.codeDir,
    LAMBDA_RUNTIME_DIR: path.dirname(BOOTSTRAP),
    _HANDLER: fn.handler,
    // Lambda's runtime ships @aws-sdk/*; bundles leave it external, so resolve it from the project
    NODE_PATH: nodeModules,
    // the SDK's real switch for its "Node < 22" notice (@aws-sdk/core emitWarningIfUnsupportedVersion)
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    ...(endpoints.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb } : {}),
    ...extra,
  };
}
