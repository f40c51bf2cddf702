/**
 * function-env: read or change a running function's environment variables, found by its
 * `queue-and-stream:name` tag (job-worker, notifications, …), with the Lambda API calls
 * GetFunctionConfiguration and UpdateFunctionConfiguration: the same calls on AWS and on the local cloud's
 * Lambda endpoint, which applies them to the running function (later invocations start fresh execution
 * environments) without a restart, so nothing in the local emulators is lost.
 *
 * UpdateFunctionConfiguration replaces the whole set of variables; this tool reads the current set first and
 * changes only the names given. On a deployed stage the change is drift from the template: the next deploy puts
 * the template's values back, which is what a fix made this way should become.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { findTaggedFunction, unknownConsumer } from './consumer-invoker';
import { OpsError } from './errors';
import { awsError, type OpsEnvironment } from './resolve-stage';

export interface FunctionEnvOptions {
  readonly env: OpsEnvironment;
  readonly lambda: () => Promise<LambdaClient>;
  /** the function's `queue-and-stream:name` tag */
  readonly name: string;
  /** NAME → value to set (an empty string is a value) */
  readonly set?: Readonly<Record<string, string>>;
  /** names to remove */
  readonly unset?: readonly string[];
  /** ms between polls while AWS applies the update (default 1 s) */
  readonly pollIntervalMs?: number;
}

export interface FunctionEnvResult {
  readonly name: string;
  readonly functionName: string;
  readonly environment: string;
  /** the variables after the change (or as they are, when nothing was changed) */
  readonly variables: Record<string, string>;
  /** what changed: name → [before, after] (null = not set) */
  readonly changed: Record<string, [string | null, string | null]>;
}

/** `NAME=value` (value may be empty or hold `=`); anything else is a usage error. */
export function parseAssignment(text: string): [string, string] {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(text);
  if (!m) throw new OpsError(`"${text}" is not NAME=value (a variable name, "=", and its value, possibly empty)`, 2);
  return [m[1]!, m[2]!];
}

export async function functionEnv(o: FunctionEnvOptions): Promise<FunctionEnvResult> {
  const { GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand } = await import('@aws-sdk/client-lambda');
  const lambda = await o.lambda();
  const functionName = await resolve(o, lambda);
  const read = async (): Promise<{ variables: Record<string, string>; status?: string; reason?: string }> => {
    try {
      const out = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
      return {
        variables: { ...(out.Environment?.Variables ?? {}) },
        ...(out.LastUpdateStatus ? { status: out.LastUpdateStatus } : {}),
        ...(out.LastUpdateStatusReason ? { reason: out.LastUpdateStatusReason } : {}),
      };
    } catch (error) {
      throw awsError(error, `reading the configuration of ${o.name} (${functionName})`);
    }
  };
  const before = (await read()).variables;
  const after = { ...before, ...(o.set ?? {}) };
  for (const name of o.unset ?? []) delete after[name];
  const changed: FunctionEnvResult['changed'] = {};
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[name] !== after[name]) changed[name] = [before[name] ?? null, after[name] ?? null];
  }
  if (Object.keys(changed).length === 0) return { name: o.name, functionName, environment: o.env.label, variables: before, changed };
  try {
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: functionName, Environment: { Variables: after } }));
  } catch (error) {
    throw awsError(error, `updating the environment of ${o.name} (${functionName})`);
  }
  // AWS applies the update asynchronously: wait until the function runs with it (locally it already does)
  for (;;) {
    const now = await read();
    if (now.status !== 'InProgress') {
      if (now.status === 'Failed') throw new OpsError(`updating ${o.name} failed: ${now.reason ?? 'no reason given'}`);
      return { name: o.name, functionName, environment: o.env.label, variables: now.variables, changed };
    }
    await new Promise((resolve) => setTimeout(resolve, o.pollIntervalMs ?? 1_000));
  }
}

async function resolve(o: FunctionEnvOptions, lambda: LambdaClient): Promise<string> {
  if (o.env.kind === 'aws') return (await findTaggedFunction(o.env, lambda, o.name, 'function')).functionName;
  const functions = o.env.functions ?? [];
  const fn = functions.find((f) => f.name === o.name);
  if (!fn)
    throw unknownConsumer(
      o.name,
      functions.map((f) => f.name),
      'function',
    );
  return fn.arn ?? fn.functionName ?? fn.name;
}
