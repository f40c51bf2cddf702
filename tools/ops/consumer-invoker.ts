/**
 * Delivering to ONE consumer: direct synchronous invocation of its Lambda function with a Kinesis-shaped
 * event, the way its event source mapping would invoke it. Nothing touches the stream, so the other
 * consumers never see these records.
 *
 * The consumer is found by its `queue-and-stream:name` tag:
 * - AWS: the compute stack's AWS::Lambda::Function resources (CloudFormation ListStackResources), each
 *   function's tags (Lambda GetFunction); its batch size from its Kinesis event source mapping.
 * - local: the functions listed in `.local/endpoints.json` (`name` is that tag); Invoke goes to
 *   `endpoints.lambda`, the local cloud's Lambda Invoke endpoint — the same API call as on AWS.
 */
import type { GetFunctionCommandOutput, InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import type { KinesisStreamEvent } from 'aws-lambda';
import { isRetryableRequestError } from '../../lambdas/shared/producers/delivery';
import { FUNCTION_TAGS } from '../../lib/contract';
import { messageOf, OpsError } from './errors';
import { awsError, type OpsEnvironment } from './resolve-stage';

/** The template's event source mapping default (lib/event-stream-defaults.ts), used when it cannot be read. */
const DEFAULT_CONSUMER_BATCH_SIZE = 100;

export interface ConsumerTarget {
  /** the consumer's name (tag), e.g. `notifications` */
  readonly name: string;
  /** what Invoke is called with (function name or ARN) */
  readonly functionName: string;
  readonly functionArn?: string;
  readonly batchSize: number;
}

export type InvokeOutcome =
  /** the function returned; `batchItemFailures` = itemIdentifiers it reported (partial batch response) */
  | { readonly kind: 'returned'; readonly batchItemFailures: readonly (string | null)[] }
  /** the function threw, timed out, or the invoke failed transiently: the whole batch failed */
  | { readonly kind: 'failed'; readonly message: string };

export interface ConsumerInvoker {
  resolve(name: string, options?: { batchSize?: number }): Promise<ConsumerTarget>;
  invoke(target: ConsumerTarget, event: KinesisStreamEvent): Promise<InvokeOutcome>;
}

/** Lambda Invoke against AWS or the local cloud's endpoint; only consumer resolution differs. */
export class LambdaConsumerInvoker implements ConsumerInvoker {
  constructor(
    private readonly env: OpsEnvironment,
    private readonly lambda: () => Promise<LambdaClient>,
  ) {}

  async resolve(name: string, options: { batchSize?: number } = {}): Promise<ConsumerTarget> {
    const found = this.env.kind === 'local' ? this.resolveLocal(name) : await this.resolveAws(name);
    const batchSize = options.batchSize ?? (await this.batchSizeOf(found.functionName)) ?? DEFAULT_CONSUMER_BATCH_SIZE;
    return { name, ...found, batchSize };
  }

  async invoke(target: ConsumerTarget, event: KinesisStreamEvent): Promise<InvokeOutcome> {
    const { InvokeCommand } = await import('@aws-sdk/client-lambda');
    const client = await this.lambda();
    let out: InvokeCommandOutput;
    try {
      out = await client.send(
        new InvokeCommand({
          FunctionName: target.functionName,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(event)),
        }),
      );
    } catch (error) {
      // no such function, access denied, payload too large: retrying will not help
      if (!isRetryableRequestError(error)) throw awsError(error, `invoking ${target.name} (${target.functionName})`);
      return { kind: 'failed', message: `invoke failed: ${messageOf(error)}` };
    }
    const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    if (out.FunctionError) {
      let detail = text;
      try {
        const e = JSON.parse(text) as { errorType?: string; errorMessage?: string };
        detail = [e.errorType, e.errorMessage].filter(Boolean).join(': ') || text;
      } catch {
        // not JSON: keep the raw text
      }
      return { kind: 'failed', message: `function error (${out.FunctionError}): ${detail.slice(0, 300)}` };
    }
    if (text.trim() === '' || text.trim() === 'null') return { kind: 'returned', batchItemFailures: [] };
    let response: unknown;
    try {
      response = JSON.parse(text);
    } catch {
      return { kind: 'failed', message: `function returned a response that is not JSON: ${text.slice(0, 120)}` };
    }
    const failures = (response as { batchItemFailures?: unknown } | null)?.batchItemFailures;
    if (failures === undefined || failures === null) return { kind: 'returned', batchItemFailures: [] };
    if (!Array.isArray(failures))
      return { kind: 'failed', message: 'batchItemFailures is not an array (Lambda treats the whole batch as failed)' };
    return {
      kind: 'returned',
      batchItemFailures: failures.map((f: unknown) => {
        const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
        return typeof id === 'string' && id !== '' ? id : null;
      }),
    };
  }

  private resolveLocal(name: string): Omit<ConsumerTarget, 'name' | 'batchSize'> {
    const functions = this.env.functions ?? [];
    const fn = functions.find((f) => f.name === name);
    if (!fn)
      throw unknownConsumer(
        name,
        functions.filter((f) => f.role === undefined || f.role === 'consumer').map((f) => f.name),
      );
    if (fn.role !== undefined && fn.role !== 'consumer') throw new OpsError(`"${name}" is a ${fn.role}, not a stream consumer`, 2);
    return { functionName: fn.arn ?? fn.functionName ?? fn.name, ...(fn.arn ? { functionArn: fn.arn } : {}) };
  }

  private async resolveAws(name: string): Promise<Omit<ConsumerTarget, 'name' | 'batchSize'>> {
    return findTaggedFunction(this.env, await this.lambda(), name);
  }

  /** The BatchSize of the function's mapping on the events stream (undefined when it cannot be read). */
  private async batchSizeOf(functionName: string): Promise<number | undefined> {
    if (this.env.kind === 'local') {
      const fn = (this.env.functions ?? []).find(
        (f) => f.arn === functionName || f.functionName === functionName || f.name === functionName,
      );
      return fn?.mappings?.find((m) => m.source === 'kinesis')?.batchSize;
    }
    const { ListEventSourceMappingsCommand } = await import('@aws-sdk/client-lambda');
    const lambda = await this.lambda();
    try {
      const out = await lambda.send(
        new ListEventSourceMappingsCommand({
          FunctionName: functionName,
          ...(this.env.eventStreamArn ? { EventSourceArn: this.env.eventStreamArn } : {}),
        }),
      );
      return out.EventSourceMappings?.[0]?.BatchSize;
    } catch (error) {
      throw awsError(error, `reading the event source mapping of ${functionName}`);
    }
  }
}

/**
 * AWS: the function of the compute stack whose `queue-and-stream:name` tag is `name` (CloudFormation
 * ListStackResources, then Lambda GetFunction for each function's tags), whatever its role.
 */
export async function findTaggedFunction(
  env: OpsEnvironment,
  lambda: LambdaClient,
  name: string,
  what = 'consumer',
): Promise<{ functionName: string; functionArn?: string }> {
  const { CloudFormationClient, ListStackResourcesCommand } = await import('@aws-sdk/client-cloudformation');
  const { GetFunctionCommand } = await import('@aws-sdk/client-lambda');
  const stack = env.computeStackName!;
  const cfn = new CloudFormationClient(env.region ? { region: env.region } : {});
  const physicalIds: string[] = [];
  try {
    let token: string | undefined;
    do {
      const out = await cfn.send(new ListStackResourcesCommand({ StackName: stack, ...(token ? { NextToken: token } : {}) }));
      for (const r of out.StackResourceSummaries ?? []) {
        if (r.ResourceType === 'AWS::Lambda::Function' && r.PhysicalResourceId) physicalIds.push(r.PhysicalResourceId);
      }
      token = out.NextToken;
    } while (token);
  } catch (error) {
    throw awsError(error, `listing the functions of stack ${stack}`);
  } finally {
    cfn.destroy();
  }
  const seen: string[] = [];
  for (const id of physicalIds) {
    let out: GetFunctionCommandOutput;
    try {
      out = await lambda.send(new GetFunctionCommand({ FunctionName: id }));
    } catch (error) {
      throw awsError(error, `reading function ${id}`);
    }
    const tag = out.Tags?.[FUNCTION_TAGS.name];
    if (tag === undefined) continue;
    seen.push(tag);
    if (tag === name)
      return {
        functionName: out.Configuration?.FunctionName ?? id,
        ...(out.Configuration?.FunctionArn ? { functionArn: out.Configuration.FunctionArn } : {}),
      };
  }
  throw unknownConsumer(name, seen, what);
}

export function unknownConsumer(name: string, known: readonly string[], what = 'consumer'): OpsError {
  return new OpsError(`no ${what} named "${name}" (known: ${known.length > 0 ? known.join(', ') : 'none found'})`, 2);
}
