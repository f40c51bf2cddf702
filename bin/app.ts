#!/usr/bin/env node
// The only place that reads CDK context and the environment.
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createQueueAndStream } from '../lib/queue-and-stream';
import { type Stage, stageConfig } from '../lib/stage-config';

const app = new App();
const stage = String(app.node.tryGetContext('stage') ?? 'dev') as Stage;
const alarmEmail: unknown = app.node.tryGetContext('alarmEmail');

const config = stageConfig(stage, {
  alarmEmail: typeof alarmEmail === 'string' && alarmEmail.length > 0 ? alarmEmail : undefined,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
createQueueAndStream(app, config);

// Every AwsSolutions finding fails synth unless it is fixed or suppressed with a reason next to its cause.
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
