import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { objectsOfBucket } from './nag-helpers';

/**
 * S3 on-failure destination for a stream event source mapping with the two permissions Lambda documents
 * (s3:PutObject, s3:ListBucket). aws-cdk-lib's S3OnFailureDestination grants read, write and delete instead.
 */
export class S3FailureDestination implements lambda.IEventSourceDlq {
  constructor(private readonly bucket: s3.IBucket) {}

  bind(_mapping: lambda.IEventSourceMapping, fn: lambda.IFunction): lambda.DlqDestinationConfig {
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:PutObject'], resourceArns: [this.bucket.arnForObjects('*')] });
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
    if (fn.role) {
      NagSuppressions.addResourceSuppressions(
        fn.role,
        [
          {
            id: 'AwsSolutions-IAM5',
            appliesTo: objectsOfBucket(this.bucket),
            reason:
              'Lambda writes one object per discarded batch under keys it generates, so s3:PutObject must cover every key of the failure bucket (and only that bucket).',
          },
        ],
        true,
      );
    }
    return { destination: this.bucket.bucketArn };
  }
}
