import { describe, expect, it } from 'vitest';
import { FUNCTION_ENV, FUNCTION_TAGS } from '../../../lib/contract';
import { loadAssembly } from '../../../local/assembly';
import { functionIdentity, projectView, stacksOfStage } from '../../../local/project';
import { fixture } from './helpers';

describe('projectView', () => {
  it('finds the mapped handlers with their name and role tags, and leaves CDK-internal functions out', () => {
    const v = projectView(loadAssembly(fixture('kitchen-sink')).stacks);
    expect(v.handlers.map((h) => [h.name, h.role])).toEqual([
      ['job-worker', 'worker'],
      ['Consumer', undefined],
      ['fanout', 'consumer'],
    ]);
    expect(v.ofType('AWS::Lambda::Function').length).toBeGreaterThan(v.handlers.length);
  });

  it('classifies each event source mapping by what it reads: a queue, a stream, or a stream consumer (EFO)', () => {
    const v = projectView(loadAssembly(fixture('kitchen-sink')).stacks);
    expect(v.mappings.map((m) => [m.logicalId, m.kind, m.fn?.name, m.source?.logicalId])).toEqual([
      ['WorkerMapping', 'sqs', 'job-worker', 'Jobs'],
      ['ConsumerMapping', 'kinesis', 'Consumer', 'Events'],
      ['FanoutMapping', 'kinesis-consumer', 'fanout', 'EfoConsumer'],
    ]);
  });

  it.each(['two-stacks-weak', 'two-stacks-strong'])('follows cross-stack references (%s) to the resource in the other stack', (name) => {
    const v = projectView(loadAssembly(fixture(name)).stacks);
    const worker = v.mappings.find((m) => m.kind === 'sqs');
    expect(worker?.fn?.stack.artifactId).toBe('Fix-Dev-Compute');
    expect([worker?.source?.stack.artifactId, worker?.source?.logicalId]).toEqual(['Fix-Dev-Stateful', 'JobQueueEE3AD499']);
    const notifications = v.handlers.find((h) => h.name === 'notifications');
    expect(notifications && v.named(notifications, FUNCTION_ENV.jobQueueUrl)?.logicalId).toBe('JobQueueEE3AD499');
  });

  it('selects the stacks of a stage by their name, and all stacks when none is named for it', () => {
    const { stacks } = loadAssembly(fixture('two-stacks-weak'));
    expect(stacksOfStage(stacks, 'Dev').map((s) => s.artifactId)).toEqual(['Fix-Dev-Stateful', 'Fix-Dev-Compute']);
    expect(stacksOfStage(stacks.slice(0, 1), 'Prod').map((s) => s.artifactId)).toEqual(['Fix-Dev-Stateful']);
  });
});

describe('functionIdentity', () => {
  it('reads the name and role tags from a tag list or a tag map, else names the function by its logical id', () => {
    expect(
      functionIdentity('Fn', [
        { Key: FUNCTION_TAGS.name, Value: 'payments' },
        { Key: FUNCTION_TAGS.role, Value: 'consumer' },
      ]),
    ).toEqual({
      name: 'payments',
      role: 'consumer',
    });
    expect(functionIdentity('Fn', { [FUNCTION_TAGS.name]: 'job-worker' })).toEqual({ name: 'job-worker' });
    expect(functionIdentity('Fn', undefined)).toEqual({ name: 'Fn' });
  });
});
