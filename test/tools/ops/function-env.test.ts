// function-env against a scripted Lambda client: what it sends (the whole set, changed by name only), how it waits
// for AWS to apply it, and its one-line errors. The local cloud's side is test/local/cloud/lambda-api.test.ts; the
// walkthroughs run it end to end (test/e2e/ops.e2e.test.ts).
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { functionEnv, parseAssignment } from '../../../tools/ops/function-env';
import type { OpsEnvironment } from '../../../tools/ops/resolve-stage';

const env: OpsEnvironment = {
  kind: 'local',
  label: 'local',
  region: 'us-east-1',
  endpoints: {},
  functions: [{ name: 'job-worker', role: 'worker', arn: 'arn:aws:lambda:us-east-1:000000000000:function:Worker' }],
};

/** A Lambda client that keeps one function's variables and reports `statuses` in turn after an update. */
function scripted(variables: Record<string, string>, statuses: string[] = []) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  let vars = { ...variables };
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      if (command.constructor.name === 'UpdateFunctionConfigurationCommand') {
        vars = { ...((command.input['Environment'] as { Variables: Record<string, string> }).Variables ?? {}) };
        return {};
      }
      return {
        Environment: { Variables: vars },
        LastUpdateStatus: statuses.shift() ?? 'Successful',
        LastUpdateStatusReason: 'bad variable',
      };
    },
  };
  return { sent, lambda: async () => client as unknown as LambdaClient };
}

describe('function-env', () => {
  it('parses NAME=value, with an empty value or "=" inside it, and refuses anything else with one line', () => {
    expect(parseAssignment('FAKE_DECLINED_TOKENS=')).toEqual(['FAKE_DECLINED_TOKENS', '']);
    expect(parseAssignment('URL=http://x/?a=b')).toEqual(['URL', 'http://x/?a=b']);
    expect(() => parseAssignment('no-equals')).toThrow(/"no-equals" is not NAME=value/);
    expect(() => parseAssignment('1X=y')).toThrow(/is not NAME=value/);
  });

  it('sends the whole set with only the named variables changed, and reports what changed (null = not set)', async () => {
    const s = scripted({ KEEP: 'me', LEVEL: 'INFO' });
    const result = await functionEnv({ env, lambda: s.lambda, name: 'job-worker', set: { LEVEL: 'DEBUG', NEW: '' }, unset: ['KEEP'] });
    expect(result.changed).toEqual({ KEEP: ['me', null], LEVEL: ['INFO', 'DEBUG'], NEW: [null, ''] });
    expect(result.variables).toEqual({ LEVEL: 'DEBUG', NEW: '' });
    const update = s.sent.find((c) => c.name === 'UpdateFunctionConfigurationCommand')!;
    expect(update.input).toEqual({
      FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:Worker',
      Environment: { Variables: { LEVEL: 'DEBUG', NEW: '' } },
    });
  });

  it('sends nothing when nothing changes (showing the variables)', async () => {
    const s = scripted({ LEVEL: 'INFO' });
    const result = await functionEnv({ env, lambda: s.lambda, name: 'job-worker', set: { LEVEL: 'INFO' } });
    expect(result.changed).toEqual({});
    expect(s.sent.map((c) => c.name)).toEqual(['GetFunctionConfigurationCommand']);
  });

  it('waits while AWS applies the update, and says so when it failed', async () => {
    const s = scripted({ A: '1' }, ['Successful', 'InProgress', 'InProgress', 'Successful']);
    await functionEnv({ env, lambda: s.lambda, name: 'job-worker', set: { A: '2' }, pollIntervalMs: 1 });
    expect(s.sent.filter((c) => c.name === 'GetFunctionConfigurationCommand')).toHaveLength(4);
    const failing = scripted({ A: '1' }, ['Successful', 'Failed']);
    await expect(functionEnv({ env, lambda: failing.lambda, name: 'job-worker', set: { A: '2' }, pollIntervalMs: 1 })).rejects.toThrow(
      'updating job-worker failed: bad variable',
    );
  });

  it('names the functions it knows when the name is wrong', async () => {
    const s = scripted({});
    await expect(functionEnv({ env, lambda: s.lambda, name: 'nope', set: {} })).rejects.toThrow(
      'no function named "nope" (known: job-worker)',
    );
  });
});
