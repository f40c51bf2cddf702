// Synth-time guards: a wrong configuration fails `cdk synth` with a message that says what to change.
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { EventStream } from '../../lib/event-stream';
import { JobQueue } from '../../lib/job-queue';
import { type Stage, stageConfig } from '../../lib/stage-config';

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

  it('rewinds a consumer with startAt: its mapping reads AT_TIMESTAMP from that instant (epoch seconds)', () => {
    const { stack, eventStream } = setup();
    eventStream.addConsumer('audit', inlineFunction(stack, 'Consumer', Duration.seconds(30)), { startAt: new Date('2026-11-20T08:30:00Z') });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'AT_TIMESTAMP',
      StartingPositionTimestamp: Date.parse('2026-11-20T08:30:00Z') / 1000,
    });
  });

  it('refuses startAt combined with another starting position', () => {
    const { stack, eventStream } = setup();
    const fn = inlineFunction(stack, 'Consumer', Duration.seconds(30));
    expect(() => eventStream.addConsumer('audit', fn, { startAt: new Date(), startingPosition: lambda.StartingPosition.LATEST })).toThrow(
      /startAt means AT_TIMESTAMP/,
    );
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
