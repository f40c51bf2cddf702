import { describe, expect, it } from 'vitest';
import type { CfnTemplate, StackArtifact } from '../../../local/assembly';
import { NO_VALUE, StackResolver, createWorld, referencedIds, type ResolverWorld } from '../../../local/resolver';

function stack(stackName: string, template: CfnTemplate): StackArtifact {
  return {
    artifactId: stackName,
    stackName,
    displayName: stackName,
    assemblyDir: '/tmp',
    templateFile: `${stackName}.template.json`,
    template,
    dependencies: [],
  };
}

const queueFacts = {
  type: 'AWS::SQS::Queue',
  ref: 'http://sqs.us-east-1.localhost:4566/000000000000/jobs',
  attributes: {
    Arn: 'arn:aws:sqs:us-east-1:000000000000:jobs',
    QueueName: 'jobs',
    QueueUrl: 'http://sqs.us-east-1.localhost:4566/000000000000/jobs',
  },
};

function producer(world: ResolverWorld): StackResolver {
  const r = new StackResolver(
    stack('Producer', {
      Parameters: {
        Stage: { Type: 'String', Default: 'dev' },
        Sizes: { Type: 'CommaDelimitedList', Default: 's,m,l' },
        NoDefault: { Type: 'String' },
      },
      Conditions: {
        IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
        IsDevOrTest: { 'Fn::Or': [{ 'Fn::Equals': [{ Ref: 'Stage' }, 'dev'] }, { 'Fn::Equals': [{ Ref: 'Stage' }, 'test'] }] },
        NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
        Both: { 'Fn::And': [{ Condition: 'NotProd' }, { Condition: 'IsDevOrTest' }] },
      },
      Mappings: { Sizes: { dev: { Memory: 256 } } },
      Resources: { Jobs: { Type: 'AWS::SQS::Queue' }, Policy: { Type: 'AWS::IAM::Policy' } },
      Outputs: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a template literal
        JobsArn: { Value: { 'Fn::GetAtt': ['Jobs', 'Arn'] }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}:JobsArn' } } },
        JobsUrl: { Value: { Ref: 'Jobs' } },
      },
    }),
    world,
  );
  r.register('Jobs', queueFacts);
  return r;
}

describe('StackResolver', () => {
  const world = createWorld('us-east-1', '000000000000');
  const r = producer(world);
  r.publishOutputs();
  const at = 'Producer/X.Properties';

  it('resolves Ref to parameters (defaults), pseudo parameters and resources', () => {
    expect(r.resolve({ Ref: 'Stage' }, at)).toBe('dev');
    expect(r.resolve({ Ref: 'Sizes' }, at)).toEqual(['s', 'm', 'l']);
    expect(r.resolve({ Ref: 'Jobs' }, at)).toBe(queueFacts.ref);
    expect(
      r.resolve(
        ['AWS::Region', 'AWS::AccountId', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::StackName'].map((p) => ({ Ref: p })),
        at,
      ),
    ).toEqual(['us-east-1', '000000000000', 'aws', 'amazonaws.com', 'Producer']);
  });

  it('resolves Fn::GetAtt in both forms', () => {
    expect(r.resolve({ 'Fn::GetAtt': ['Jobs', 'QueueName'] }, at)).toBe('jobs');
    expect(r.resolve({ 'Fn::GetAtt': 'Jobs.Arn' }, at)).toBe(queueFacts.attributes.Arn);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a template literal
  it('resolves Fn::Sub: string form, variables map, GetAtt-style and literal ${!…}', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a template literal
    expect(r.resolve({ 'Fn::Sub': '${AWS::StackName}-${Stage}-${Jobs.QueueName}-${!NotAVar}' }, at)).toBe('Producer-dev-jobs-${NotAVar}');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a template literal
    expect(r.resolve({ 'Fn::Sub': ['${Q} in ${AWS::Region}', { Q: { 'Fn::GetAtt': ['Jobs', 'Arn'] } }] }, at)).toBe(
      `${queueFacts.attributes.Arn} in us-east-1`,
    );
  });

  it('resolves Fn::Join, Fn::Select, Fn::Split and Fn::FindInMap', () => {
    expect(r.resolve({ 'Fn::Join': ['/', [{ Ref: 'Stage' }, 'x', { 'Fn::Select': [2, { Ref: 'Sizes' }] }]] }, at)).toBe('dev/x/l');
    expect(r.resolve({ 'Fn::Select': ['1', { 'Fn::Split': [':', { 'Fn::GetAtt': ['Jobs', 'Arn'] }] }] }, at)).toBe('aws');
    expect(r.resolve({ 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'Memory'] }, at)).toBe(256);
  });

  it('evaluates conditions (Equals, Or, And, Not, Condition) and Fn::If, dropping AWS::NoValue', () => {
    expect(r.condition('IsProd', at)).toBe(false);
    expect(r.condition('Both', at)).toBe(true);
    expect(r.resolve({ 'Fn::If': ['NotProd', 'a', 'b'] }, at)).toBe('a');
    expect(r.resolve({ keep: 1, drop: { 'Fn::If': ['IsProd', 'x', { Ref: 'AWS::NoValue' }] } }, at)).toEqual({ keep: 1 });
    expect(r.resolve({ Ref: 'AWS::NoValue' }, at)).toBe(NO_VALUE);
  });

  it('resolves Fn::ImportValue and Fn::GetStackOutput across stacks', () => {
    const consumer = new StackResolver(stack('Consumer', { Resources: {} }), world);
    expect(consumer.resolve({ 'Fn::ImportValue': 'Producer:JobsArn' }, 'Consumer/Fn.Properties')).toBe(queueFacts.attributes.Arn);
    expect(
      consumer.resolve(
        { 'Fn::GetStackOutput': { StackName: 'Producer', OutputName: 'JobsUrl', Region: { Ref: 'AWS::Region' } } },
        'Consumer/Fn',
      ),
    ).toBe(queueFacts.ref);
    expect(() => consumer.resolve({ 'Fn::ImportValue': 'Nope:Export' }, 'Consumer/Fn.Properties.Env')).toThrow(
      'Fn::ImportValue Nope:Export at Consumer/Fn.Properties.Env: no stack in the assembly exports it',
    );
  });

  it('names an unsupported intrinsic and the resource path', () => {
    expect(() => r.resolve({ A: [{ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] }] }, 'Producer/Vpc.Properties')).toThrow(
      /unsupported intrinsic Fn::Cidr at Producer\/Vpc\.Properties\.A\[0\]/,
    );
  });

  it('names what cannot be resolved: unknown attribute, resource with no local value, parameter without default', () => {
    expect(() => r.resolve({ 'Fn::GetAtt': ['Jobs', 'Nope'] }, at)).toThrow(
      'Fn::GetAtt Jobs.Nope (AWS::SQS::Queue) at Producer/X.Properties: attribute not supported locally',
    );
    expect(() => r.resolve({ Ref: 'Policy' }, at)).toThrow(
      /Ref Policy \(AWS::IAM::Policy\) at Producer\/X\.Properties: the resource is not available locally/,
    );
    expect(() => r.resolve({ Ref: 'NoDefault' }, at)).toThrow(/parameter NoDefault of stack Producer has no default/);
  });
});

describe('referencedIds', () => {
  it('collects Ref, GetAtt and Fn::Sub references but not pseudo parameters or Sub variables', () => {
    const ids = referencedIds({
      a: { Ref: 'A' },
      b: { 'Fn::GetAtt': ['B', 'Arn'] },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a template literal
      c: { 'Fn::Sub': ['${C.Arn}-${V}-${AWS::Region}-${!D}', { V: { Ref: 'E' } }] },
      d: { Ref: 'AWS::StackName' },
    });
    expect([...ids].sort()).toEqual(['A', 'B', 'C', 'E']);
  });
});
