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

/** One variable of a group read together: its name, and whether it must be a positive integer. */
interface EnvVariable<T extends string | number> {
  readonly name: string;
  readonly read: (name: string, env: NodeJS.ProcessEnv) => T;
}
const text = (name: string): EnvVariable<string> => ({ name, read: requireEnv });
const positiveInt = (name: string): EnvVariable<number> => ({ name, read: requirePositiveIntEnv });

/** The values a group of variables reads to: each key its variable's type. */
type GroupValues<G> = { readonly [K in keyof G]: G[K] extends EnvVariable<infer T> ? T : never };

/** Reads every variable of a group, so that a function reading its settings states only which variables they are. */
function readGroup<G extends Record<string, EnvVariable<string | number>>>(group: G, env: NodeJS.ProcessEnv): GroupValues<G> {
  return Object.fromEntries(Object.entries(group).map(([key, v]) => [key, v.read(v.name, env)])) as GroupValues<G>;
}

/** What the consumers that enqueue jobs need (notifications, payments): the queue and its message size limit. */
const JOB_QUEUE_ENV = {
  queueUrl: text(FUNCTION_ENV.jobQueueUrl),
  maxMessageBytes: positiveInt(FUNCTION_ENV.jobMaxMessageBytes),
};
export type JobQueueEnv = ReturnType<typeof readJobQueueEnv>;
export const readJobQueueEnv = (env: NodeJS.ProcessEnv = process.env) => readGroup(JOB_QUEUE_ENV, env);

/**
 * Where and how long every function keeps its idempotency records (IdempotencyTable passes all three); the
 * scope is the key prefix: the function's stable name, so each consumer and the worker keep their own records.
 */
const IDEMPOTENCY_ENV = {
  tableName: text(FUNCTION_ENV.idempotencyTableName),
  expiresAfterSeconds: positiveInt(FUNCTION_ENV.idempotencyExpirySeconds),
  scope: text(FUNCTION_ENV.serviceName),
};
export type IdempotencyEnv = ReturnType<typeof readIdempotencyEnv>;
export const readIdempotencyEnv = (env: NodeJS.ProcessEnv = process.env) => readGroup(IDEMPOTENCY_ENV, env);
