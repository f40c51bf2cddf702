// One synthesized app per stage and test file: NodejsFunction bundling (esbuild) runs once per function.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Aspects } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createQueueAndStream, type QueueAndStreamStacks } from '../../lib/queue-and-stream';
import type { ConsumerManifestEntry } from '../../lambdas/consumers';
import type { Stage } from '../../lib/contract';
import { type StageOverrides, stageConfig } from '../../lib/stage-config';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** A piece of a synthesized template: untyped JSON that tests read by property path. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON has no static shape; tests walk it by path
export type TemplateJson = Record<string, any>;

/** The feature flags from cdk.json, so tests synthesize exactly what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

export interface SynthesizedStage extends QueueAndStreamStacks {
  readonly app: App;
  readonly statefulTemplate: Template;
  readonly computeTemplate: Template;
}

/**
 * Builds the app like bin/app.ts (same flags, same cdk-nag aspect) for one stage; `manifests` replaces
 * consumers' manifest entries (lambdas/consumers.ts) as a fork would edit them. Prod is built as
 * `-c allowFakeSideEffects=true` builds it (the template's worker runs fakes) unless an override says otherwise.
 */
export function synthStage(
  stage: Stage,
  overrides: StageOverrides = {},
  manifests: Readonly<Record<string, ConsumerManifestEntry>> = {},
): SynthesizedStage {
  // The CLI also sets asset metadata (aws:asset:path), which the local cloud reads.
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:enable-asset-metadata': true } });
  const config = stageConfig(stage, { allowFakeSideEffects: true, ...overrides });
  const consumers = config.consumers.map((c) => (manifests[c.name] ? { ...c, manifest: manifests[c.name] } : c));
  const stacks = createQueueAndStream(app, { ...config, consumers });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return {
    app,
    ...stacks,
    statefulTemplate: Template.fromStack(stacks.stateful),
    computeTemplate: Template.fromStack(stacks.compute),
  };
}

const cache = new Map<Stage, SynthesizedStage>();
/** Default configuration of a stage, synthesized at most once per test file. */
export function defaultStage(stage: Stage): SynthesizedStage {
  let s = cache.get(stage);
  if (!s) {
    s = synthStage(stage);
    cache.set(stage, s);
  }
  return s;
}

/** Logical ID of the one resource of `type` whose logical ID starts with `prefix`. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, found ${JSON.stringify(ids)}`);
  return ids[0] as string;
}
