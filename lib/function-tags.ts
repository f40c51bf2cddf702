import { Tags } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { FUNCTION_TAGS, type FunctionRole } from './contract';

/** The two tags tooling (local cloud, replay) uses to find a function from the template alone. */
export function tagFunction(fn: lambda.Function, role: FunctionRole, name: string): void {
  const onlyTheFunction = { includeResourceTypes: ['AWS::Lambda::Function'] };
  Tags.of(fn).add(FUNCTION_TAGS.role, role, onlyTheFunction);
  Tags.of(fn).add(FUNCTION_TAGS.name, name, onlyTheFunction);
}
