import { type CfnResource, Stack } from 'aws-cdk-lib';
import type { NagPackSuppressionAppliesTo } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** The logical ID cdk-nag prints in findings such as `Resource::<LogicalId.Arn>/*`. */
export function logicalIdOf(construct: IConstruct): string {
  const cfn = construct.node.defaultChild as CfnResource | undefined;
  if (!cfn) throw new Error(`${construct.node.path} has no CloudFormation resource in this app; cannot name it in a nag suppression.`);
  return Stack.of(cfn).resolve(cfn.logicalId) as string;
}

/**
 * `appliesTo` for the object wildcard `<bucket ARN>/*` of exactly this bucket. In its own stack cdk-nag prints
 * the ARN as `<Id.Arn>`; in another stack it arrives through Fn::ImportValue (strong references, see
 * ComputeStack), which cdk-nag prints as the export name `<stack>:ExportsOutputFnGetAtt<Id>Arn<hash>`. Both
 * spellings are matched, nothing else.
 */
export function objectsOfBucket(bucket: IConstruct): NagPackSuppressionAppliesTo[] {
  const id = logicalIdOf(bucket);
  return [`Resource::<${id}.Arn>/*`, { regex: `/^Resource::[\\w-]+:ExportsOutputFnGetAtt${id}Arn[0-9A-F]+\\/\\*$/` }];
}
