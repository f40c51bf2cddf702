import { Duration } from 'aws-cdk-lib';
import { TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Documented } from './documented';

export const MONITORING_DEFAULTS = {
  period: { value: Duration.minutes(5), why: 'CloudWatch standard resolution; every alarm looks at 5-minute windows' },
  jobQueueOldestMessageAge: {
    value: Duration.minutes(10),
    why: 'more than two visibility timeouts: the oldest job has failed at least twice or the worker is not keeping up',
  },
  iteratorAgeFractionOfMaxRecordAge: {
    value: 0.5,
    shown: '50 % of the consumer maxRecordAge',
    why: 'half-way to records being skipped to the failure bucket leaves time to act',
  },
  throttleEvaluationPeriods: {
    value: 3,
    shown: '3 periods (15 min)',
    why: 'short bursts are absorbed by producer and poller retries; 15 minutes of throttling is a capacity problem',
  },
  archiveDataFreshnessIntervals: {
    value: 3,
    shown: '3 × the archive buffering interval',
    why: 'a record waiting three buffering intervals means delivery to S3 is failing, not just buffering',
  },
  treatMissingData: {
    value: TreatMissingData.NOT_BREACHING,
    shown: 'notBreaching',
    why: 'no traffic is not an incident: metrics without data points keep the alarm OK',
  },
  topicEncryption: {
    value: 'customer managed KMS key',
    why: 'CloudWatch cannot publish to a topic encrypted with aws/sns; this key grants CloudWatch exactly Decrypt and GenerateDataKey',
  },
} as const satisfies Record<string, Documented<unknown>>;
