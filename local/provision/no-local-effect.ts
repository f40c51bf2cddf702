// Types that only matter on AWS (permissions, logs, alarms, encryption, notifications): accepted, listed, not
// created. They (and skipped resources) still answer Ref / Fn::GetAtt with stand-in names and ARNs.
import type { StackArtifact } from '../assembly';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../lib/contract';
import type { ResourceFacts } from '../resolver';
import { physicalName } from './values';

const NO_LOCAL_EFFECT_TYPES = new Set([
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::TopicInlinePolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::SQS::QueueInlinePolicy',
  'AWS::S3::BucketPolicy',
  'AWS::Lambda::Permission',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::Lambda::Version',
  'AWS::CDK::Metadata',
  'AWS::CloudFormation::CustomResource',
  'AWS::CloudFormation::WaitConditionHandle',
  'AWS::SSM::Parameter',
  // the archive's query catalog (lib/archive-query.ts): locally `npm run query` reads the archive with DuckDB
  'AWS::Glue::Database',
  'AWS::Glue::Table',
  'AWS::Athena::WorkGroup',
  'AWS::Athena::NamedQuery',
]);
const NO_LOCAL_EFFECT_PREFIXES = ['AWS::IAM::', 'AWS::KMS::', 'AWS::Logs::', 'AWS::CloudWatch::', 'Custom::'];

export function hasNoLocalEffect(type: string): boolean {
  return NO_LOCAL_EFFECT_TYPES.has(type) || NO_LOCAL_EFFECT_PREFIXES.some((p) => type.startsWith(p));
}

/** What a resource that is not created locally answers to Ref / Fn::GetAtt. */
export function standInFacts(stack: StackArtifact, logicalId: string, type: string): ResourceFacts {
  const [, service = 'local', kind = 'resource'] = type.split('::');
  const name = physicalName(stack.stackName, logicalId, 128, /[^A-Za-z0-9_.-]/g);
  const svc = service.toLowerCase();
  const arn =
    svc === 'iam'
      ? `arn:aws:iam::${LOCAL_ACCOUNT_ID}:${kind.toLowerCase()}/${name}`
      : `arn:aws:${svc}:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${kind.toLowerCase()}/${name}`;
  // SNS topics answer Ref with their ARN; most others with a name
  return {
    type,
    ref: type === 'AWS::SNS::Topic' ? arn : name,
    attributes: { Arn: arn, TopicArn: arn, TopicName: name, RoleId: name, Id: name },
  };
}
