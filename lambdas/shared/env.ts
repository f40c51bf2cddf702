/** Environment variables read once at cold start, with errors that say what to fix. */
import { FUNCTION_ENV } from '../../lib/contract';
import { ConfigurationError } from './errors';

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`${name} is not set: the CDK construct passes it through the function's environment`);
  }
  return value;
}

export function requirePositiveIntEnv(name: string, env: NodeJS.ProcessEnv = process.env): number {
  const raw = requireEnv(name, env);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** What the consumers that enqueue jobs need (notifications, payments). */
export interface JobQueueEnv {
  readonly queueUrl: string;
  readonly maxMessageBytes: number;
}

export function readJobQueueEnv(env: NodeJS.ProcessEnv = process.env): JobQueueEnv {
  return {
    queueUrl: requireEnv(FUNCTION_ENV.jobQueueUrl, env),
    maxMessageBytes: requirePositiveIntEnv(FUNCTION_ENV.jobMaxMessageBytes, env),
  };
}

/** Where and how long every function keeps its idempotency records (IdempotencyTable passes all three). */
export interface IdempotencyEnv {
  readonly tableName: string;
  readonly expiresAfterSeconds: number;
  /** Key prefix: the function's stable name, so each consumer and the worker keep their own records. */
  readonly scope: string;
}

export function readIdempotencyEnv(env: NodeJS.ProcessEnv = process.env): IdempotencyEnv {
  return {
    tableName: requireEnv(FUNCTION_ENV.idempotencyTableName, env),
    expiresAfterSeconds: requirePositiveIntEnv(FUNCTION_ENV.idempotencyExpirySeconds, env),
    scope: requireEnv(FUNCTION_ENV.serviceName, env),
  };
}
