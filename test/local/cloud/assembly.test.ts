import { describe, expect, it } from 'vitest';
import { LocalCloudError, loadAssembly } from '../../../local/assembly';
import { analyzeAssembly } from '../../../local/provision/analyze';
import { fixture, unknownTypeAssembly } from './helpers';
import { tempDir } from '../../support/temp';

describe('loadAssembly', () => {
  it('reads every stack of a CDK-synthesized assembly, producers before their consumers', () => {
    const a = loadAssembly(fixture('two-stacks-weak'));
    expect(a.stacks.map((s) => s.stackName)).toEqual(['Fix-Dev-Stateful', 'Fix-Dev-Compute']);
    expect(a.stacks[1].dependencies).toEqual(['Fix-Dev-Stateful']);
    expect(Object.keys(a.stacks[0].template.Resources ?? {})).toContain('JobQueueEE3AD499');
  });

  it('follows nested (Stage) assemblies and orders stacks listed out of order', () => {
    const a = loadAssembly(fixture('nested'));
    expect(a.stacks.map((s) => s.stackName)).toEqual(['Stage-Producer', 'Stage-Consumer']);
    expect(a.stacks[0].assemblyDir).toMatch(/nested[/\\]assembly-Stage$/);
  });

  it('names the directory when there is no manifest', () => {
    expect(() => loadAssembly(fixture('kitchen-sink/asset.worker'))).toThrow(/no manifest\.json in .*asset\.worker/);
  });

  it('reports a stack dependency cycle by naming the stacks', () => {
    expect(() => loadAssembly(fixture('cycle'))).toThrow(/stack dependency cycle A → B → A/);
  });

  it('reports a missing asset folder naming the function and the path', () => {
    const a = loadAssembly(fixture('missing-asset'));
    expect(() => analyzeAssembly(a)).toThrow(LocalCloudError);
    expect(() => analyzeAssembly(a)).toThrow(/function Missing\/Fn: asset folder .*asset\.gone does not exist/);
  });
});

describe('analyzeAssembly', () => {
  it('fails on an unknown resource type, naming the type and the logical id', () => {
    const tmp = tempDir();
    try {
      expect(() => analyzeAssembly(loadAssembly(unknownTypeAssembly(tmp.dir)))).toThrow(
        /AWS::AppSync::GraphQLApi Unknown\/Api.*--allow-unsupported/,
      );
    } finally {
      tmp.remove();
    }
  });

  it('downgrades unknown types with allowUnsupported', () => {
    const tmp = tempDir();
    try {
      const r = analyzeAssembly(loadAssembly(unknownTypeAssembly(tmp.dir)), { allowUnsupported: true });
      expect(r.unsupported).toEqual([expect.objectContaining({ type: 'AWS::AppSync::GraphQLApi', logicalId: 'Api' })]);
    } finally {
      tmp.remove();
    }
  });

  it('excludes CDK custom-resource provider functions (by ServiceToken user and by __entrypoint__ handler)', () => {
    const ks = analyzeAssembly(loadAssembly(fixture('kitchen-sink')));
    expect(ks.excludedFunctions.map((f) => f.logicalId).sort()).toEqual(['AutoDeleteProvider', 'EntrypointProvider']);
    const real = analyzeAssembly(loadAssembly(fixture('two-stacks-weak')));
    expect(real.excludedFunctions.map((f) => f.logicalId)).toEqual(['CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F']);
  });

  it('lists types with no local effect instead of failing on them', () => {
    const types = new Set(analyzeAssembly(loadAssembly(fixture('two-stacks-weak'))).notEmulated.map((n) => n.type));
    expect([...types].sort()).toEqual(
      [
        'AWS::CDK::Metadata',
        'AWS::IAM::Policy',
        'AWS::IAM::Role',
        'AWS::Logs::LogGroup',
        'AWS::S3::BucketPolicy',
        'AWS::SQS::QueuePolicy',
        'Custom::S3AutoDeleteObjects',
      ].sort(),
    );
  });
});
