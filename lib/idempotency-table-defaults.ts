import { Duration } from 'aws-cdk-lib';
import { type Attribute, AttributeType, BillingMode, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type Documented, named } from './documented';

export const IDEMPOTENCY_TABLE_DEFAULTS = {
  billingMode: {
    value: BillingMode.PAY_PER_REQUEST,
    show: named([[BillingMode.PAY_PER_REQUEST, 'PAY_PER_REQUEST (on-demand)']]),
    why: 'two small writes per processed record: cost follows traffic, and a replay burst is never throttled by planned capacity',
  },
  partitionKey: {
    value: { name: 'id', type: AttributeType.STRING } as Attribute,
    show: (key: Attribute) => `\`${key.name}\` (${named([[AttributeType.STRING, 'string']])(key.type)})`,
    why: 'Powertools’ default key attribute, holding `<function name>#<hash of the envelope id>`: one record per function and envelope',
  },
  timeToLiveAttribute: {
    value: 'expiration',
    why: 'Powertools’ default expiry attribute (epoch seconds): DynamoDB deletes expired records for free',
  },
  recordExpiry: {
    value: Duration.days(14),
    why: 'covers the prod stream retention (7 days) and the job DLQ retention (14 days); an archive replay of older events applies them again',
  },
  encryption: {
    value: TableEncryption.DEFAULT,
    show: named([[TableEncryption.DEFAULT, 'AWS owned key']]),
    why: 'records hold hashed ids and small outcomes, no payloads: no KMS charge or key grant on the per-record path',
  },
  pointInTimeRecovery: {
    value: true,
    why: 'a deleted or overwritten record would let a replay repeat side effects; restorable for 35 days at cents a month',
  },
} as const satisfies Record<string, Documented<unknown>>;
