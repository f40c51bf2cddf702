// The contract (lib/contract.ts) against what the template carries: the names the tooling reads are the names
// the constructs write, and the module stays free of dependencies (lambdas/ bundle it).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { consumerNames } from '../../lambdas/consumers';
import { FUNCTION_ENV, FUNCTION_ROLES, FUNCTION_TAGS, STAGES, STATEFUL_OUTPUTS, stackName } from '../../lib/contract';
import { defaultStage, REPO_ROOT } from './app-fixture';

const dev = defaultStage('dev');

interface FunctionProps {
  Tags?: { Key: string; Value: string }[];
  Environment?: { Variables?: Record<string, unknown> };
}
const functions = Object.values(dev.computeTemplate.findResources('AWS::Lambda::Function')).map((r) => r['Properties'] as FunctionProps);
const tag = (fn: FunctionProps, key: string): string | undefined => fn.Tags?.find((t) => t.Key === key)?.Value;
const tagged = functions.filter((fn) => tag(fn, FUNCTION_TAGS.name) !== undefined);

describe('lib/contract.ts', () => {
  it('imports nothing (esbuild bundles it into every function)', () => {
    const source = readFileSync(path.join(REPO_ROOT, 'lib', 'contract.ts'), 'utf8');
    expect(source).not.toMatch(/^\s*import\b|\brequire\(/m);
  });

  it('names the stacks of every stage', () => {
    expect([dev.stateful.stackName, dev.compute.stackName]).toEqual([stackName('dev', 'Stateful'), stackName('dev', 'Compute')]);
    expect(STAGES.map((s) => stackName(s, 'Compute'))).toEqual(['QueueAndStream-Dev-Compute', 'QueueAndStream-Prod-Compute']);
  });

  it('lists exactly the outputs of the stateful stack (besides the exports the compute stack imports)', () => {
    const outputs = Object.keys(dev.statefulTemplate.findOutputs('*')).filter((key) => !key.startsWith('ExportsOutput'));
    expect(outputs.sort()).toEqual(Object.values(STATEFUL_OUTPUTS).sort());
  });

  it('tags every function with its name and a role, the name also its service name', () => {
    const byName = Object.fromEntries(tagged.map((fn) => [tag(fn, FUNCTION_TAGS.name), tag(fn, FUNCTION_TAGS.role)]));
    expect(byName).toEqual({ 'job-worker': 'worker', ...Object.fromEntries(consumerNames.map((n) => [n, 'consumer'])) });
    for (const fn of tagged) {
      expect(FUNCTION_ROLES).toContain(tag(fn, FUNCTION_TAGS.role));
      expect(fn.Environment?.Variables?.[FUNCTION_ENV.serviceName]).toBe(tag(fn, FUNCTION_TAGS.name));
    }
  });

  it('names environment variables the constructs set', () => {
    const set = new Set(tagged.flatMap((fn) => Object.keys(fn.Environment?.Variables ?? {})));
    for (const name of Object.values(FUNCTION_ENV)) expect(set, name).toContain(name);
  });
});
