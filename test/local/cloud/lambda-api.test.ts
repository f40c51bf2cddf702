import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFunction, startLambdaApi, type LambdaApi } from '../../../local/lambda-api';
import type { FunctionHost, InvokeResult } from '../../../local/lambda/function-host';
import type { LocalFunction } from '../../../local/types';

const fn = (name: string, logicalId: string): LocalFunction => ({
  logicalId,
  name,
  arn: `arn:aws:lambda:us-east-1:000000000000:function:Stack-${logicalId}-abc`,
  handler: 'index.handler',
  codeDir: '/nowhere',
  runtime: 'nodejs24.x',
  timeoutSeconds: 3,
  memoryMb: 128,
  environment: {},
});

const functions = [fn('analytics', 'Analytics1234'), fn('payments', 'Payments5678')];

/** A host that answers from a script instead of a child process: the API is under test, not the runtime. */
function scriptedHost(answer: (event: unknown) => InvokeResult, environment: Record<string, string> = {}): FunctionHost {
  let variables = { ...environment };
  return {
    invoke: async (event: unknown) => answer(event),
    environmentVariables: () => ({ ...variables }),
    replaceEnvironment: (vars: Record<string, string>) => {
      variables = { ...vars };
    },
  } as unknown as FunctionHost;
}

describe('the local Lambda Invoke API', () => {
  let api: LambdaApi;
  let client: LambdaClient;
  const seen: unknown[] = [];

  beforeAll(async () => {
    const hosts = new Map<string, FunctionHost>([
      [
        'analytics',
        scriptedHost(
          (event) => {
            seen.push(event);
            return { status: 'ok', requestId: 'r1', durationMs: 1, result: { batchItemFailures: [] } };
          },
          { LOG_LEVEL: 'INFO', KEEP: 'me' },
        ),
      ],
      [
        'payments',
        scriptedHost(() => ({ status: 'error', requestId: 'r2', durationMs: 1, error: { errorType: 'Error', errorMessage: 'declined' } })),
      ],
    ]);
    api = await startLambdaApi({ port: 0, functions, hosts: () => hosts });
    client = new LambdaClient({ endpoint: api.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  });
  afterAll(async () => {
    client?.destroy();
    await api?.stop();
  });

  it('finds a function by tag name, logical id, physical name or ARN, as the operator tools address it', () => {
    for (const ref of ['analytics', 'Analytics1234', 'Stack-Analytics1234-abc', functions[0]!.arn, `${functions[0]!.arn}:$LATEST`]) {
      expect(findFunction(functions, ref)?.name, ref).toBe('analytics');
    }
    expect(findFunction(functions, 'nope')).toBeUndefined();
  });

  it('listens on loopback only', () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('invokes the function with the event and returns its result through the AWS SDK', async () => {
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'analytics', Payload: Buffer.from(JSON.stringify({ Records: [1, 2] })) }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toEqual({ batchItemFailures: [] });
    expect(seen).toEqual([{ Records: [1, 2] }]);
  });

  it('reports a function error as Lambda does: status 200, FunctionError set, the error as payload', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: functions[1]!.arn, Payload: Buffer.from('{}') }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toMatchObject({ errorMessage: 'declined' });
  });

  it("reads and replaces a function's environment (Get/UpdateFunctionConfiguration): the given set replaces the whole, as on AWS", async () => {
    const before = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'analytics' }));
    expect(before).toMatchObject({
      FunctionName: 'Stack-Analytics1234-abc',
      FunctionArn: functions[0]!.arn,
      Environment: { Variables: { LOG_LEVEL: 'INFO', KEEP: 'me' } },
    });
    const after = await client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'Analytics1234',
        Environment: { Variables: { LOG_LEVEL: 'DEBUG', EMPTY: '' } },
      }),
    );
    expect(after.Environment?.Variables).toEqual({ LOG_LEVEL: 'DEBUG', EMPTY: '' });
    expect((await client.send(new GetFunctionConfigurationCommand({ FunctionName: functions[0]!.arn }))).Environment?.Variables).toEqual({
      LOG_LEVEL: 'DEBUG',
      EMPTY: '',
    });
    // only the environment is emulated: anything else is refused, naming it
    await expect(client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'analytics', Timeout: 9 }))).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining('Timeout'),
    });
    await expect(client.send(new GetFunctionConfigurationCommand({ FunctionName: 'ghost' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('answers an unknown function with ResourceNotFoundException naming it', async () => {
    await expect(client.send(new InvokeCommand({ FunctionName: 'ghost', Payload: Buffer.from('{}') }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: expect.stringContaining('ghost'),
    });
  });
});
