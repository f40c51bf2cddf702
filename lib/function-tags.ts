import { Tags } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

export const ROLE_TAG = 'queue-and-stream:role';
export const NAME_TAG = 'queue-and-stream:name';

/** The two tags tooling (local cloud, replay) uses to find a function from the template alone. */
export function tagFunction(fn: lambda.Function, role: 'worker' | 'consumer', name: string): void {
  const onlyTheFunction = { includeResourceTypes: ['AWS::Lambda::Function'] };
  Tags.of(fn).add(ROLE_TAG, role, onlyTheFunction);
  Tags.of(fn).add(NAME_TAG, name, onlyTheFunction);
}
