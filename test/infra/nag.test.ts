// cdk-nag AwsSolutions on the whole app: every finding is fixed or acknowledged with a reason.
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { defaultStage, type TemplateJson } from './app-fixture';

const AWS_SOLUTIONS = Match.stringLikeRegexp('AwsSolutions-.*');

interface NagSuppression {
  readonly id: string;
  readonly reason: string;
  readonly applies_to?: unknown[];
}

/** Every cdk-nag suppression in a template (resource-level and stack-level metadata). */
function suppressions(template: TemplateJson): Array<NagSuppression & { where: string }> {
  const found: Array<NagSuppression & { where: string }> = [];
  const collect = (where: string, metadata: TemplateJson | undefined) => {
    for (const s of (metadata?.cdk_nag?.rules_to_suppress ?? []) as NagSuppression[]) found.push({ ...s, where });
  };
  collect('stack', template.Metadata);
  for (const [id, resource] of Object.entries(template.Resources ?? {})) collect(id, (resource as TemplateJson).Metadata);
  return found;
}

describe.each(['dev', 'prod'] as const)('%s', (stage) => {
  const synthesized = defaultStage(stage);
  const stacks = [synthesized.stateful, synthesized.compute];

  it.each(stacks.map((s) => [s.stackName, s] as const))('%s has no unsuppressed AwsSolutions errors', (_name, stack) => {
    expect(Annotations.fromStack(stack).findError('*', AWS_SOLUTIONS)).toEqual([]);
  });

  it.each(stacks.map((s) => [s.stackName, s] as const))('%s has no unsuppressed AwsSolutions warnings', (_name, stack) => {
    expect(Annotations.fromStack(stack).findWarning('*', AWS_SOLUTIONS)).toEqual([]);
  });

  it('gives every suppression a specific reason (≥ 20 characters) and scopes wildcard suppressions with appliesTo', () => {
    const all = [...suppressions(synthesized.statefulTemplate.toJSON()), ...suppressions(synthesized.computeTemplate.toJSON())];
    expect(all.length).toBeGreaterThan(0);
    for (const s of all) {
      expect(s.reason.length, `${s.where} ${s.id}`).toBeGreaterThanOrEqual(20);
      if (s.id === 'AwsSolutions-IAM5') expect(s.applies_to?.length, `${s.where} IAM5 without appliesTo`).toBeGreaterThan(0);
    }
  });
});

it('the same checks do report a finding on a non-compliant resource (the aspect and matcher work)', () => {
  const app = new App();
  const stack = new Stack(app, 'NagSelfTest');
  new sqs.Queue(stack, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
  Aspects.of(app).add(new AwsSolutionsChecks());
  expect(Annotations.fromStack(stack).findError('*', AWS_SOLUTIONS).length).toBeGreaterThan(0);
});
