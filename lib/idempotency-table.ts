import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { IDEMPOTENCY_TABLE_DEFAULTS as D } from './idempotency-table-defaults';
import { FUNCTION_ENV } from './contract';

export interface IdempotencyTableProps {
  readonly removalPolicy: RemovalPolicy;
  /** DynamoDB refuses DeleteTable (stack deletion, replacement) while on. @default false */
  readonly deletionProtection?: boolean;
  /** How long a processed envelope id is remembered. @default IDEMPOTENCY_TABLE_DEFAULTS.recordExpiry */
  readonly recordExpiry?: Duration;
}

/** The item calls of @aws-lambda-powertools/idempotency's DynamoDBPersistenceLayer (read in its 2.x source). */
export const IDEMPOTENCY_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;

/** The DynamoDB table in which the worker and every consumer record the envelope ids they processed (Powertools idempotency). */
export class IdempotencyTable extends Construct {
  readonly table: dynamodb.Table;
  readonly recordExpiry: Duration;

  constructor(scope: Construct, id: string, props: IdempotencyTableProps) {
    super(scope, id);
    this.recordExpiry = props.recordExpiry ?? D.recordExpiry.value;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: D.partitionKey.value,
      billingMode: D.billingMode.value,
      timeToLiveAttribute: D.timeToLiveAttribute.value,
      encryption: D.encryption.value,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: D.pointInTimeRecovery.value },
      removalPolicy: props.removalPolicy,
      deletionProtection: props.deletionProtection ?? false,
    });
  }

  /**
   * Lets `fn` keep its records here: exactly the four item calls Powertools' DynamoDB persistence layer makes
   * (PutItem to claim, UpdateItem to complete, DeleteItem after a failure, GetItem to read a record), not
   * grantReadWriteData's scans, queries and batch writes; IDEMPOTENCY_TABLE_NAME and IDEMPOTENCY_EXPIRY_SECONDS.
   */
  grantRecords(fn: lambda.Function): void {
    this.table.grant(fn, ...IDEMPOTENCY_ACTIONS);
    fn.addEnvironment(FUNCTION_ENV.idempotencyTableName, this.table.tableName);
    fn.addEnvironment(FUNCTION_ENV.idempotencyExpirySeconds, String(this.recordExpiry.toSeconds()));
  }
}
