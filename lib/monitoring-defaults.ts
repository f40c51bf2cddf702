import { Duration } from 'aws-cdk-lib';
import { TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Documented } from './documented';

export const MONITORING_DEFAULTS = {
  period: { value: Duration.minutes(5), why: 'CloudWatch standard resolution; every alarm looks at 5-minute windows' },
  jobQueueOldestMessageAge: {
    value: Duration.minutes(10),
    why: 'more than two visibility timeouts: the oldest job has failed at least twice or the worker is not keeping up',
  },
  consumerIteratorAge: {
    value: Duration.minutes(30),
    why: 'a healthy consumer lags by seconds; a poison record holds its shard ≤ ~6 min (4 attempts + 7 bisect halvings of 100 records, ≤ 30 s each); 30 min is stuck or outpaced, hours before the 24 h / 7 d retention expires unread events (checked)',
  },
  consumerFailedRecords: {
    value: 1,
    shown: '≥ 1 record (OnFailureDestinationDeliveredEventCount)',
    why: "the stream's \"DLQ not empty\": a record sent to the failure bucket is not processed until someone redrives it",
  },
  consumerDroppedRecords: {
    value: 1,
    shown: '≥ 1 record (DroppedEventCount)',
    why: 'a record given up on that did not reach the failure bucket either (its delivery failed): only the archive still has it',
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
    why: 'CloudWatch cannot publish to a topic encrypted with aws/sns; this key lets CloudWatch Decrypt and GenerateDataKey, and the topic lets it Publish, only for alarms of this account and region (aws:SourceAccount, aws:SourceArn)',
  },
} as const satisfies Record<string, Documented<unknown>>;
