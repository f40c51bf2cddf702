import { Duration } from 'aws-cdk-lib';
import { BlockPublicAccess, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { type Documented, named } from './documented';

export const BUCKETS_DEFAULTS = {
  encryption: {
    value: BucketEncryption.S3_MANAGED,
    show: named([[BucketEncryption.S3_MANAGED, 'SSE-S3']]),
    why: 'encrypted at rest with no per-request KMS cost and no key policy for Firehose and Lambda writers to need',
  },
  blockPublicAccess: {
    value: BlockPublicAccess.BLOCK_ALL,
    show: named([[BlockPublicAccess.BLOCK_ALL, 'BLOCK_ALL']]),
    why: 'events, failed batches and access logs are never public',
  },
  enforceSSL: { value: true, why: 'bucket policy denies any request not made over TLS' },
  versioned: {
    value: true,
    why: 'an overwritten or deleted archive or failure object can be recovered until its noncurrent version expires',
  },
  archiveInfrequentAccessAfter: {
    value: Duration.days(30),
    why: 'replays mostly read the last weeks; 30 days is the S3 minimum before Standard-IA',
  },
  archiveGlacierInstantRetrievalAfter: {
    value: Duration.days(90),
    why: 'old history stays readable in milliseconds for a replay at a fraction of the Standard-IA price',
  },
  archiveNoncurrentVersionExpiration: {
    value: Duration.days(30),
    why: 'the archive is append-only; a month is enough to undo an accidental overwrite or delete',
  },
  failureExpiration: {
    value: Duration.days(90),
    why: 'failed batches carry full payloads: a quarter to investigate and redrive, then gone',
  },
  failureNoncurrentVersionExpiration: {
    value: Duration.days(30),
    why: 'an accidentally deleted failure record can be restored for a month',
  },
  accessLogExpiration: {
    value: Duration.days(365),
    why: 'a year of access history for audits, not forever',
  },
  abortIncompleteMultipartUploadAfter: {
    value: Duration.days(7),
    why: 'parts of an interrupted upload stop costing money after a week',
  },
} as const satisfies Record<string, Documented<unknown>>;
