// Synth-time guards: a wrong configuration fails `cdk synth` with a message that says what to change.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { FAKE_PORTS } from '../../lambdas/job-worker/wiring';
import { assertNoFakeSideEffects } from '../../lib/compute-stack';
import { EventStream } from '../../lib/event-stream';
import { JobQueue } from '../../lib/job-queue';
import { createQueueAndStream } from '../../lib/queue-and-stream';
import type { Stage } from '../../lib/contract';
import { type ConsumerConfig, stageConfig } from '../../lib/stage-config';
import { cdkJsonContext, REPO_ROOT } from './app-fixture';

// Inline code: the guards do not need bundling.
function inlineFunction(stack: Stack, id: string, timeout: Duration): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    timeout,
  });
}

describe('JobQueue.addWorker', () => {
  function setup(visibilityTimeout: Duration) {
    const stack = new Stack(new App(), 'Guard');
    const jobQueue = new JobQueue(stack, 'JobQueue', { removalPolicy: RemovalPolicy.DESTROY, visibilityTimeout });
    return { stack, jobQueue };
  }

  it('throws when visibility timeout < 6 × function timeout + batching window, naming the minimum to set', () => {
    const { stack, jobQueue } = setup(Duration.seconds(184));
    const fn = inlineFunction(stack, 'Worker', Duration.seconds(30));
    expect(() => jobQueue.addWorker(fn, { maxBatchingWindow: Duration.seconds(5) })).toThrow(
      /visibility timeout 184 s is shorter than 6 × worker timeout \(30 s\) \+ batching window \(5 s\) = 185 s.*Raise the JobQueue visibilityTimeout to at least 185 s/,
    );
  });

  it('accepts a visibility timeout of exactly 6 × function timeout + batching window', () => {
    const { stack, jobQueue } = setup(Duration.seconds(185));
    const fn = inlineFunction(stack, 'Worker', Duration.seconds(30));
    expect(() => jobQueue.addWorker(fn, { maxBatchingWindow: Duration.seconds(5) })).not.toThrow();
  });

  it('counts the default batching window too', () => {
    const { stack, jobQueue } = setup(Duration.seconds(180));
    expect(() => jobQueue.addWorker(inlineFunction(stack, 'Worker', Duration.seconds(30)))).toThrow(/= 185 s/);
  });

  it('uses Lambda’s 3 s default when the function sets no timeout', () => {
    const stack = new Stack(new App(), 'Guard');
    const jobQueue = new JobQueue(stack, 'JobQueue', { removalPolicy: RemovalPolicy.DESTROY, visibilityTimeout: Duration.seconds(22) });
    const fn = new lambda.Function(stack, 'Worker', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    expect(() => jobQueue.addWorker(fn)).toThrow(/6 × worker timeout \(3 s\) \+ batching window \(5 s\) = 23 s/);
  });
});

describe('EventStream.addConsumer', () => {
  function setup() {
    const stack = new Stack(new App(), 'Guard');
    const eventStream = new EventStream(stack, 'EventStream', {
      streamMode: kinesis.StreamMode.PROVISIONED,
      shardCount: 1,
      retentionPeriod: Duration.hours(24),
      removalPolicy: RemovalPolicy.DESTROY,
      failureBucket: new s3.Bucket(stack, 'Failures'),
    });
    return { stack, eventStream };
  }

  it('throws when maxRecordAge is not shorter than the stream retention (records would expire unseen)', () => {
    const { stack, eventStream } = setup();
    const fn = inlineFunction(stack, 'Consumer', Duration.seconds(30));
    expect(() => eventStream.addConsumer('audit', fn, { maxRecordAge: Duration.hours(24) })).toThrow(
      /maxRecordAge 1 day is not shorter than the stream retention 1 day.*Lower maxRecordAge or raise the stream retention/,
    );
  });

  it('never skips a record for its age by default: MaximumRecordAgeInSeconds -1 on the mapping', () => {
    const { stack, eventStream } = setup();
    const consumer = eventStream.addConsumer('audit', inlineFunction(stack, 'Consumer', Duration.seconds(30)));
    expect(consumer.maxRecordAge).toBe('infinite');
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      MaximumRecordAgeInSeconds: -1,
      MaximumRetryAttempts: 3,
    });
  });

  it('still accepts a finite maxRecordAge shorter than the retention', () => {
    const { stack, eventStream } = setup();
    eventStream.addConsumer('audit', inlineFunction(stack, 'Consumer', Duration.seconds(30)), { maxRecordAge: Duration.hours(6) });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumRecordAgeInSeconds: 6 * 3600 });
  });

  it('refuses infinite retries with no record age (a poison record would block its shard until the retention drops it)', () => {
    const { stack, eventStream } = setup();
    expect(() => eventStream.addConsumer('audit', inlineFunction(stack, 'Consumer', Duration.seconds(30)), { retryAttempts: -1 })).toThrow(
      /infinite retries and no maxRecordAge.*Set finite retryAttempts/,
    );
  });

  it('turns on the EventCount metrics of every mapping (the failure-bucket and dropped-record alarms read them)', () => {
    const { stack, eventStream } = setup();
    eventStream.addConsumer('audit', inlineFunction(stack, 'Consumer', Duration.seconds(30)));
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', { MetricsConfig: { Metrics: ['EventCount'] } });
  });

  it('cannot start a mapping AT_TIMESTAMP: no startAt option, and the starting position is refused (replacing a mapping fails)', () => {
    const { stack, eventStream } = setup();
    const fn = inlineFunction(stack, 'Consumer', Duration.seconds(30));
    // @ts-expect-error startAt was retired: a rewind is the rewind tool's job, not a deploy
    eventStream.addConsumer('a', inlineFunction(stack, 'A', Duration.seconds(30)), { startAt: new Date() });
    Template.fromStack(stack).allResourcesProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      StartingPositionTimestamp: Match.absent(),
    });
    const atTimestamp = lambda.StartingPosition.AT_TIMESTAMP as lambda.StartingPosition.TRIM_HORIZON;
    expect(() => eventStream.addConsumer('audit', fn, { startingPosition: atTimestamp })).toThrow(
      /startingPosition AT_TIMESTAMP is not supported.*Use TRIM_HORIZON or LATEST/,
    );
    // @ts-expect-error nor can a stage configure one
    const rewound: ConsumerConfig = { name: 'analytics', enhancedFanOut: false, startAt: new Date() };
    expect(rewound.name).toBe('analytics');
  });

  it('accepts LATEST', () => {
    const { stack, eventStream } = setup();
    eventStream.addConsumer('audit', inlineFunction(stack, 'Consumer', Duration.seconds(30)), {
      startingPosition: lambda.StartingPosition.LATEST,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', { StartingPosition: 'LATEST' });
  });

  it('throws when the same consumer name is subscribed twice (each name is one position)', () => {
    const { stack, eventStream } = setup();
    eventStream.addConsumer('audit', inlineFunction(stack, 'A', Duration.seconds(30)));
    expect(() => eventStream.addConsumer('audit', inlineFunction(stack, 'B', Duration.seconds(30)))).toThrow(
      /consumer "audit" is already subscribed/,
    );
  });
});

describe('stageConfig', () => {
  it('rejects an unknown stage with the accepted values', () => {
    expect(() => stageConfig('staging' as Stage)).toThrow(/Unknown stage "staging": use one of dev, prod/);
  });

  it('applies overrides on top of the stage defaults', () => {
    const config = stageConfig('prod', { alarmEmail: 'oncall@example.com' });
    expect(config.alarmEmail).toBe('oncall@example.com');
    expect(config.terminationProtection).toBe(true);
    expect(config.removalPolicy).toBe(RemovalPolicy.RETAIN);
  });
});

describe('fake side effects', () => {
  it('refuses a prod stage while the worker runs fakes, naming the ports and the two ways out', () => {
    expect(FAKE_PORTS.length).toBeGreaterThan(0); // the template ships fakes
    expect(() => createQueueAndStream(new App({ context: cdkJsonContext() }), stageConfig('prod'))).toThrow(
      /Stage prod: the job worker's email, images, payments port\(s\) are fakes.*lambdas\/job-worker\/wiring\.ts.*-c allowFakeSideEffects=true/,
    );
  });

  it('lets dev run the fakes, prod run them on purpose, and any stage run real ports', () => {
    expect(() => assertNoFakeSideEffects(stageConfig('dev'), FAKE_PORTS)).not.toThrow();
    expect(() => assertNoFakeSideEffects(stageConfig('prod', { allowFakeSideEffects: true }), FAKE_PORTS)).not.toThrow();
    expect(() => assertNoFakeSideEffects(stageConfig('prod'), [])).not.toThrow();
    expect(() => assertNoFakeSideEffects(stageConfig('dev', { allowFakeSideEffects: false }), ['payments'])).toThrow(
      /payments port\(s\) are fakes/,
    );
  });

  // bin/app.ts is the only place reading context: run it as the CDK CLI does (context in CDK_CONTEXT_JSON),
  // bundling skipped, so only the guard is under test.
  function synthApp(context: Record<string, unknown>): { status: number | null; stderr: string } {
    const outdir = mkdtempSync(path.join(tmpdir(), 'queue-and-stream-guard-'));
    try {
      const r = spawnSync(
        process.execPath,
        [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(REPO_ROOT, 'bin', 'app.ts')],
        {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          env: {
            ...process.env,
            CDK_OUTDIR: outdir,
            CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...context, 'aws:cdk:bundling-stacks': [] }),
          },
        },
      );
      return { status: r.status, stderr: r.stderr };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  it('`cdk synth -c stage=prod` fails; with -c allowFakeSideEffects=true it synthesizes', () => {
    const refused = synthApp({ stage: 'prod' });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/Stage prod: the job worker's .* are fakes/);
    const allowed = synthApp({ stage: 'prod', allowFakeSideEffects: 'true' });
    expect(allowed.stderr).not.toMatch(/are fakes/);
    expect(allowed.status).toBe(0);
  }, 120_000);
});
