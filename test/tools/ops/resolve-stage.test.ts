import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stackName } from '../../../lib/contract';
import { resolveEnvironment } from '../../../tools/ops/resolve-stage';
import { tempDir } from '../../support/temp';

const tmp = tempDir();
afterAll(() => tmp.remove());

describe('stage / endpoint resolution', () => {
  it('reads the local cloud from .local/endpoints.json by default', async () => {
    fs.mkdirSync(path.join(tmp.dir, '.local'));
    fs.writeFileSync(
      path.join(tmp.dir, '.local', 'endpoints.json'),
      JSON.stringify({
        region: 'us-east-1',
        endpoints: { sqs: 'http://127.0.0.1:1', kinesis: 'http://127.0.0.1:2', s3: 'http://127.0.0.1:1', lambda: 'http://127.0.0.1:3' },
        queues: { jobs: { url: 'http://q/jobs', arn: 'arn:jobs' }, jobsDlq: { url: 'http://q/dlq', arn: 'arn:dlq' } },
        streams: { events: { name: 'events', arn: 'arn:events' } },
        buckets: { archive: { name: 'archive' }, failures: { name: 'failures' } },
        resources: { functions: [{ logicalId: 'N', name: 'notifications', role: 'consumer' }] },
        env: { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
      }),
    );
    const env = await resolveEnvironment({ projectDir: tmp.dir });
    expect(env).toMatchObject({
      kind: 'local',
      jobQueueUrl: 'http://q/jobs',
      jobDlqUrl: 'http://q/dlq',
      jobDlqArn: 'arn:dlq',
      eventStreamName: 'events',
      archiveBucket: 'archive',
      failureBucket: 'failures',
      endpoints: { lambda: 'http://127.0.0.1:3' },
      functions: [{ name: 'notifications' }],
    });
  });

  it('says no local cloud is running when the endpoints file was left by a process that has exited (a SIGKILLed npm start)', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    fs.mkdirSync(path.join(tmp.dir, 'killed', '.local'), { recursive: true });
    fs.writeFileSync(
      path.join(tmp.dir, 'killed', '.local', 'endpoints.json'),
      JSON.stringify({ pid: dead, region: 'us-east-1', endpoints: { sqs: 'http://127.0.0.1:1' } }),
    );
    await expect(resolveEnvironment({ projectDir: path.join(tmp.dir, 'killed') })).rejects.toThrow(
      new RegExp(`no local cloud is running: .* was left by pid ${dead}, which has exited`),
    );
  });

  it('without a local cloud and without --stage, says how to get one', async () => {
    await expect(resolveEnvironment({ projectDir: path.join(tmp.dir, 'nowhere') })).rejects.toThrow(
      /no local cloud: .* not found \(start it with `npm start`, or pass --stage dev\|prod\)/,
    );
  });

  it('--stage reads the stateful stack outputs (CloudFormation injected: no AWS in tests)', async () => {
    const asked: string[] = [];
    const outputs = {
      JobQueueUrl: 'https://sqs/jobs',
      JobQueueArn: 'arn:q',
      JobDlqUrl: 'https://sqs/dlq',
      EventStreamName: 's',
      EventStreamArn: 'arn:s',
      ArchiveBucketName: 'a',
      FailureBucketName: 'f',
    };
    const env = await resolveEnvironment({
      stage: 'Prod',
      describeStackOutputs: async (name) => {
        asked.push(name);
        return outputs;
      },
    });
    expect(asked).toEqual(['QueueAndStream-Prod-Stateful']);
    expect(env).toMatchObject({
      kind: 'aws',
      label: 'prod',
      jobQueueArn: 'arn:q',
      archiveBucket: 'a',
      computeStackName: 'QueueAndStream-Prod-Compute',
      endpoints: {},
    });
    await expect(
      resolveEnvironment({
        stage: 'dev',
        describeStackOutputs: async () => ({ ...outputs, FailureBucketName: undefined as unknown as string }),
      }),
    ).rejects.toThrow(/has no output FailureBucketName/);
    await expect(resolveEnvironment({ stage: 'staging' })).rejects.toThrow(/unknown stage "staging"/);
    await expect(resolveEnvironment({ stage: 'dev', local: true })).rejects.toThrow(/not both/);
    expect(stackName('dev', 'Compute')).toBe('QueueAndStream-Dev-Compute');
  });
});
