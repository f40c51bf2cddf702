#!/usr/bin/env node
// The only place that reads CDK context and the environment.
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Stage } from '../lib/contract';
import { createQueueAndStream } from '../lib/queue-and-stream';
import { stageConfig } from '../lib/stage-config';

const app = new App();
const stage = String(app.node.tryGetContext('stage') ?? 'dev') as Stage;
const alarmEmail: unknown = app.node.tryGetContext('alarmEmail');
// `-c allowFakeSideEffects=true`: deploy the worker's fakes (no e-mail, no charge) to a stage that refuses them (prod).
const allowFakeSideEffects: unknown = app.node.tryGetContext('allowFakeSideEffects');
if (allowFakeSideEffects !== undefined && !['true', 'false', true, false].includes(allowFakeSideEffects as string | boolean)) {
  throw new Error(`-c allowFakeSideEffects=${String(allowFakeSideEffects)}: use true or false.`);
}

const config = stageConfig(stage, {
  alarmEmail: typeof alarmEmail === 'string' && alarmEmail.length > 0 ? alarmEmail : undefined,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  ...(allowFakeSideEffects !== undefined ? { allowFakeSideEffects: String(allowFakeSideEffects) === 'true' } : {}),
});
createQueueAndStream(app, config);

// Every AwsSolutions finding fails synth unless it is fixed or suppressed with a reason next to its cause.
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
