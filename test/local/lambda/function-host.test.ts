import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaEnvironment } from '../../../local/lambda/environment';
import { FunctionHost, FunctionInitError } from '../../../local/lambda/function-host';
import { createLogSink } from '../../../local/lambda/log-sink';
import { FIXTURES, fixtureFunction } from './harness';
import { alive } from '../../support/processes';
import { waitFor } from '../../support/wait';

const endpoints = {
  region: 'eu-west-1',
  accountId: '000000000000',
  sqs: 'http://127.0.0.1:4566',
  kinesis: 'http://127.0.0.1:4567',
  s3: 'http://127.0.0.1:4566',
};
const hosts: FunctionHost[] = [];
function host(...args: Parameters<typeof fixtureFunction>): FunctionHost {
  const h = new FunctionHost({ fn: fixtureFunction(...args), endpoints, logSink: createLogSink(), maxConcurrency: 2 });
  hosts.push(h);
  return h;
}

afterEach(async () => {
  const pids = hosts.flatMap((h) => h.pids());
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
  for (const pid of pids) expect(alive(pid)).toBe(false);
});

type EnvResult = {
  calls: number;
  pid: number;
  env: Record<string, string | undefined>;
  sdkResolves: boolean;
  context: Record<string, unknown>;
};

describe('function host', () => {
  it('gives each function its template environment, the local endpoints and a Lambda context, not the parent environment', async () => {
    process.env.PARENT_SECRET = 'leak';
    const h = host('env-fn', 'env', {
      environment: { FROM_TEMPLATE: 'yes', NODE_OPTIONS: '--enable-source-maps' },
      timeoutSeconds: 7,
      memoryMb: 256,
    });
    await h.init();
    const r = await h.invoke({});
    delete process.env.PARENT_SECRET;
    expect(r.status).toBe('ok');
    const out = (r as { result: EnvResult }).result;
    expect(out.env).toMatchObject({
      AWS_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'env-fn',
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      LAMBDA_TASK_ROOT: path.join(FIXTURES, 'env'),
      _HANDLER: 'index.handler',
      FROM_TEMPLATE: 'yes',
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(out.env.PARENT_SECRET).toBeUndefined();
    expect(out.sdkResolves).toBe(true); // @aws-sdk/* resolves as Lambda's runtime provides it
    expect(out.context).toMatchObject({
      functionName: 'env-fn',
      awsRequestId: r.requestId,
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/env-fn',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(out.context.remaining).toBeGreaterThan(5000);
    expect(out.context.remaining).toBeLessThanOrEqual(7000);
    expect(lambdaEnvironment(fixtureFunction('x', 'env'), endpoints).AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
  });

  it('keeps module state per execution environment and runs concurrent invocations in separate processes', async () => {
    const h = host('pool', 'env');
    const [a, b] = await Promise.all([h.invoke({ sleepMs: 300 }), h.invoke({ sleepMs: 300 })]);
    const ra = (a as { result: EnvResult }).result;
    const rb = (b as { result: EnvResult }).result;
    expect(ra.pid).not.toBe(rb.pid);
    const again = (await h.invoke({})) as { result: EnvResult };
    expect([ra.pid, rb.pid]).toContain(again.result.pid);
    expect(again.result.calls).toBe(2); // warm environment: module state survived
    expect(h.pids()).toHaveLength(2);
  });

  it('fails a timed-out invocation, kills its environment and replaces it (timeouts are real time)', async () => {
    const h = host('slow', 'env', { timeoutSeconds: 1 });
    const first = (await h.invoke({})) as { result: EnvResult };
    const r = await h.invoke({ sleepMs: 5000 });
    expect(r.status).toBe('timeout');
    expect(r.status !== 'ok' && r.error.errorMessage).toMatch(/Task timed out after 1.00 seconds/);
    await waitFor('timed-out process to die', () => !alive(first.result.pid), { timeoutMs: 5000 });
    const next = (await h.invoke({})) as { status: string; result: EnvResult };
    expect(next.status).toBe('ok');
    expect(next.result.pid).not.toBe(first.result.pid);
    expect(next.result.calls).toBe(1); // a fresh environment
  });

  it('reports a handler error as an invocation error and keeps the environment', async () => {
    const h = host('thrower', 'scripted');
    const r = await h.invoke({ Records: [{ eventSource: 'aws:sqs', messageId: 'm', body: JSON.stringify({ id: 'a', action: 'throw' }) }] });
    expect(r.status).toBe('error');
    expect(r.status !== 'ok' && r.error).toMatchObject({ errorType: 'Error', errorMessage: 'scripted failure' });
    expect(h.pids()).toHaveLength(1);
  });

  it('reports process.exit in a handler as a crash and starts a fresh environment next time', async () => {
    const h = host('crasher', 'scripted');
    const ok = await h.invoke({ Records: [] });
    const before = h.pids()[0]!;
    expect(ok.status).toBe('ok');
    const r = await h.invoke({ Records: [{ eventSource: 'aws:sqs', messageId: 'm', body: JSON.stringify({ id: 'a', action: 'exit' }) }] });
    expect(r.status).toBe('crash');
    expect(r.status !== 'ok' && r.error.errorMessage).toMatch(/exit status 3/);
    expect(alive(before)).toBe(false);
    expect((await h.invoke({ Records: [] })).status).toBe('ok');
    expect(h.pids()).not.toContain(before);
  });

  it('fails init loudly, naming the function and the file, when the handler throws at import', async () => {
    const h = host('broken', 'import-error');
    const err = await h.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FunctionInitError);
    expect((err as Error).message).toContain('broken');
    expect((err as Error).message).toContain(path.join(FIXTURES, 'import-error', 'index.js'));
    expect((err as Error).message).toContain('boom at import');
  });

  it('captures stdout per function in the log sink, prefixed with the request id, not on the terminal', async () => {
    const sink = createLogSink();
    const h = new FunctionHost({ fn: fixtureFunction('talker', 'scripted'), endpoints, logSink: sink });
    hosts.push(h);
    const r = await h.invoke({ Records: [] });
    await waitFor('log line', () => sink.recent('talker').some((l) => l.line.includes('got 0 records')), { timeoutMs: 5000 });
    const line = sink.recent('talker').find((l) => l.line.includes('got 0 records'))!;
    expect(line.line).toContain(r.requestId);
    expect(line.stream).toBe('stdout');
  });

  it.each(['SIGKILL', 'SIGTERM'] as const)('leaves no orphan processes when the parent process gets %s', async (sig) => {
    // node itself (not the tsx CLI wrapper, which would be a different process) is the parent we kill
    const parent = spawn(process.execPath, ['--import', 'tsx', path.join(FIXTURES, 'orphan', 'parent.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let out = '';
    parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const pids = await waitFor(
      'child pids',
      () =>
        out
          .match(/PIDS ([\d,]+)/)?.[1]
          ?.split(',')
          .map(Number),
      { timeoutMs: 30_000 },
    );
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(alive(pid)).toBe(true);
    parent.kill(sig);
    for (const pid of pids) await waitFor(`child ${pid} to exit`, () => !alive(pid), { timeoutMs: 10_000 });
  });
});
