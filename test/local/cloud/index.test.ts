import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createLocalClients } from '../../../local/clients';
import { archiveCopyDir, startLocalCloud } from '../../../local/index';
import type { InvocationReport } from '../../../local/types';
import { startFixtureCloud, unknownTypeAssembly } from './helpers';
import { tempDir } from '../../support/temp';
import { eventually, waitFor } from '../../support/wait';

describe('startLocalCloud', () => {
  it('writes .local/endpoints.json with the well-known keys and every resource, and removes it on stop', async () => {
    const tmp = tempDir();
    const cloud = await startFixtureCloud(tmp.dir, { startLambda: false });
    try {
      const file = path.join(tmp.dir, 'endpoints.json');
      expect(cloud.endpointsFile).toBe(file);
      const e = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect(e.region).toBe('us-east-1');
      expect(e.endpoints).toEqual({
        sqs: cloud.emulators.endpoints.sqs,
        kinesis: cloud.emulators.endpoints.kinesis,
        s3: cloud.emulators.endpoints.s3,
        dynamodb: cloud.emulators.endpoints.dynamodb,
      });
      // every port was 0, so DynamoDB took a free one too instead of the fixed 4568
      expect(cloud.emulators.endpoints.dynamodb).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(e.queues.jobs.url).toMatch(/JobQueueEE3AD499$/);
      expect(e.queues.jobsDlq.url).toMatch(/JobDlq229B5977$/);
      expect(e.streams.events.name).toBe('Fix-Dev-Stateful-EventStream271A91DB');
      expect(e.buckets.archive.name).toBe('fix-dev-stateful-archivebucket9decbf5d');
      expect(e.buckets.failures.name).toBe('fix-dev-stateful-failurebucket1db25638');
      expect(e.resources.functions.map((f: { name: string }) => f.name)).toEqual(['job-worker', 'notifications', 'payments']);
      expect(e.env.AWS_ENDPOINT_URL_KINESIS).toBe(cloud.emulators.endpoints.kinesis);
      expect(e.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(cloud.emulators.endpoints.dynamodb);
      expect(e.tables).toEqual({});
    } finally {
      await cloud.stop();
    }
    expect(fs.existsSync(path.join(tmp.dir, 'endpoints.json'))).toBe(false);
    tmp.remove();
  });

  it('fails on an unknown resource type before starting any emulator', async () => {
    const tmp = tempDir();
    try {
      await expect(
        startLocalCloud({
          assemblyDir: unknownTypeAssembly(fs.mkdtempSync(path.join(tmp.dir, 'asm-'))),
          stateDir: tmp.dir,
          ports: { sqs: 0, kinesis: 0 },
          quiet: true,
        }),
      ).rejects.toThrow(/AWS::AppSync::GraphQLApi Unknown\/Api/);
      expect(fs.existsSync(path.join(tmp.dir, 'endpoints.json'))).toBe(false);
    } finally {
      tmp.remove();
    }
  });

  it('hands the topology to the Lambda service: a job sent to the worker queue is reported as one invocation', async () => {
    const tmp = tempDir();
    const reports: InvocationReport[] = [];
    const cloud = await startFixtureCloud(tmp.dir, { timeScale: 0.01, onInvocation: (r) => reports.push(r) });
    const clients = createLocalClients(cloud.topology.endpoints);
    try {
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: cloud.roles.jobs!.url, MessageBody: '{"hello":"world"}' }));
      await waitFor('the worker to report the message', () => reports.some((r) => r.source === 'sqs'), {
        timeoutMs: 20_000,
        intervalMs: 50,
      });
      const sqs = reports.filter((r) => r.source === 'sqs');
      expect(sqs).toHaveLength(1);
      expect(sqs[0]).toMatchObject({ functionName: 'job-worker', outcome: 'ok' });
      expect(cloud.stats().functions['job-worker'].invocations).toBe(1);
    } finally {
      clients.destroy();
      await cloud.stop();
      tmp.remove();
    }
  });
});

describe('--keep-archive', () => {
  it('puts the archive back after a restart with keepArchive, and forgets it after a restart without', async () => {
    const tmp = tempDir();
    const start = (keepArchive: boolean) => startFixtureCloud(tmp.dir, { timeScale: 0.01, keepArchive });
    const keys = async (cloud: Awaited<ReturnType<typeof start>>): Promise<string[]> => {
      const clients = createLocalClients(cloud.topology.endpoints);
      try {
        const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: cloud.roles.archive!.name }));
        return (listed.Contents ?? []).map((o) => o.Key!).sort();
      } finally {
        clients.destroy();
      }
    };
    try {
      // first run: one record reaches the archive, and a copy of its object lands under the state dir
      let cloud = await start(true);
      const clients = createLocalClients(cloud.topology.endpoints);
      try {
        await clients.kinesis.send(
          new PutRecordCommand({ StreamName: cloud.roles.events!.name, PartitionKey: 'k', Data: Buffer.from('{"kept":true}') }),
        );
        const flushedKeys = async (): Promise<string[]> => {
          await cloud.firehose!.flush();
          return keys(cloud);
        };
        await eventually('the record in the archive', flushedKeys, (k) => k.length > 0, { timeoutMs: 20_000, intervalMs: 100 });
      } finally {
        clients.destroy();
      }
      const written = await keys(cloud);
      expect(written).toHaveLength(1);
      await cloud.stop();
      expect(fs.existsSync(path.join(archiveCopyDir(tmp.dir), cloud.roles.archive!.name, written[0]!))).toBe(true);

      // restarted with keepArchive: the same object is back, although the S3 emulator started empty
      cloud = await start(true);
      expect(await keys(cloud)).toEqual(written);
      await cloud.stop();

      // restarted without it: the copy is deleted and the archive starts empty
      cloud = await start(false);
      expect(await keys(cloud)).toEqual([]);
      await cloud.stop();
      expect(fs.existsSync(archiveCopyDir(tmp.dir))).toBe(false);
    } finally {
      tmp.remove();
    }
  });
});

describe('function environment', () => {
  it('points every function at the DynamoDB emulator (AWS_ENDPOINT_URL_DYNAMODB) beside SQS, Kinesis and S3', async () => {
    const { lambdaEnvironment } = await import('../../../local/lambda/environment');
    const fn = {
      logicalId: 'Fn',
      name: 'job-worker',
      arn: 'arn',
      handler: 'index.handler',
      codeDir: '/tmp',
      runtime: 'nodejs24.x',
      timeoutSeconds: 30,
      memoryMb: 256,
      environment: { IDEMPOTENCY_TABLE_NAME: 't' },
    };
    const endpoints = {
      region: 'us-east-1',
      accountId: '000000000000',
      sqs: 'http://127.0.0.1:1',
      kinesis: 'http://127.0.0.1:2',
      s3: 'http://127.0.0.1:1',
      dynamodb: 'http://127.0.0.1:3',
    };
    expect(lambdaEnvironment(fn, endpoints)).toMatchObject({
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:3',
      IDEMPOTENCY_TABLE_NAME: 't',
    });
    const { dynamodb: _none, ...withoutDynamo } = endpoints;
    expect(lambdaEnvironment(fn, withoutDynamo)).not.toHaveProperty('AWS_ENDPOINT_URL_DYNAMODB');
  });
});
