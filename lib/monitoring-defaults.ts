import { Duration } from 'aws-cdk-lib';
import { TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { AlarmKey } from './alarm-catalogue';
import type { Documented } from './documented';

/** The event source mapping metrics (MetricsConfig EventCount) the consumer give-up alarms watch. */
export const FAILURE_BUCKET_METRIC = 'OnFailureDestinationDeliveredEventCount';
export const DROPPED_METRIC = 'DroppedEventCount';

const PERIOD = Duration.minutes(5);
const atLeastRecords =
  (metricName: string) =>
  (records: number): string =>
    `≥ ${records} record${records === 1 ? '' : 's'} (${metricName})`;

export const MONITORING_DEFAULTS = {
  period: { value: PERIOD, why: 'CloudWatch standard resolution; every alarm looks at 5-minute windows' },
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
    show: atLeastRecords(FAILURE_BUCKET_METRIC),
    why: 'the stream\'s "DLQ not empty": a record sent to the failure bucket is not processed until someone redrives it',
  },
  consumerDroppedRecords: {
    value: 1,
    show: atLeastRecords(DROPPED_METRIC),
    why: 'a record given up on that did not reach the failure bucket either (its delivery failed): only the archive still has it',
  },
  throttleEvaluationPeriods: {
    value: 3,
    show: (periods: number) => `${periods} periods (${PERIOD.toMinutes() * periods} min)`,
    why: 'short bursts are absorbed by producer and poller retries; 15 minutes of throttling is a capacity problem',
  },
  archiveDataFreshnessIntervals: {
    value: 3,
    show: (intervals: number) => `${intervals} × the archive buffering interval`,
    why: 'a record waiting three buffering intervals means delivery to S3 is failing, not just buffering',
  },
  treatMissingData: {
    value: TreatMissingData.NOT_BREACHING,
    why: 'no traffic is not an incident: metrics without data points keep the alarm OK',
  },
  topicEncryption: {
    kind: 'prose',
    value: 'customer managed KMS key',
    why: 'CloudWatch cannot publish to a topic encrypted with aws/sns; this key lets CloudWatch Decrypt and GenerateDataKey, and the topic lets it Publish, only for alarms of this account and region (aws:SourceAccount, aws:SourceArn)',
  },
} as const satisfies Record<string, Documented<unknown>>;

/** How long a stream must be throttled before its alarm fires: evaluation periods × period. */
const THROTTLE_WINDOW = Duration.seconds(PERIOD.toSeconds() * MONITORING_DEFAULTS.throttleEvaluationPeriods.value);

/** The archive freshness alarm's threshold for a delivery stream buffering `bufferingInterval`. */
export function archiveFreshnessThreshold(bufferingInterval: Duration): Duration {
  return Duration.seconds(bufferingInterval.toSeconds() * MONITORING_DEFAULTS.archiveDataFreshnessIntervals.value);
}

/** What the deployment decides about an alarm's threshold. */
export interface ThresholdContext {
  /** The job queue's maxReceiveCount: a job reaches the DLQ after this many receives. */
  readonly maxReceiveCount?: number;
  /** The archive's buffering interval; absent in the README, which gives the threshold relative to it. */
  readonly archiveBufferingInterval?: Duration;
}

/**
 * `{threshold}` in an alarm's description (Monitoring) and in its README row (tools/render-defaults.ts): one
 * home for both, so the README cannot describe a threshold the alarm does not have. Undefined for an alarm
 * whose text has no threshold.
 */
export function thresholdText(key: AlarmKey, context: ThresholdContext): string | undefined {
  const d = MONITORING_DEFAULTS;
  switch (key) {
    case 'jobDlqNotEmpty':
      if (context.maxReceiveCount === undefined) throw new Error('the DLQ alarm threshold text needs the queue maxReceiveCount');
      return String(context.maxReceiveCount);
    case 'jobQueueOldestMessageAge':
      return d.jobQueueOldestMessageAge.value.toHumanString();
    case 'consumerIteratorAge':
      return d.consumerIteratorAge.value.toHumanString();
    case 'streamWriteThrottled':
    case 'streamReadThrottled':
      return THROTTLE_WINDOW.toHumanString();
    case 'archiveDataFreshness':
      return context.archiveBufferingInterval
        ? archiveFreshnessThreshold(context.archiveBufferingInterval).toHumanString()
        : d.archiveDataFreshnessIntervals.show(d.archiveDataFreshnessIntervals.value);
    default:
      return undefined;
  }
}
