import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { alarmDescription, type AlarmKey } from './alarm-catalogue';
import { constructId } from './construct-id';
import type { EventArchive } from './event-archive';
import type { EventStream } from './event-stream';
import type { JobQueue } from './job-queue';
import {
  archiveFreshnessThreshold,
  MONITORING_DEFAULTS as D,
  DROPPED_METRIC,
  FAILURE_BUCKET_METRIC,
  type ThresholdContext,
  thresholdText,
} from './monitoring-defaults';

export interface MonitoringProps {
  /** Subscribe this address to the alarm topic (confirmation e-mail on first deploy). */
  readonly alarmEmail?: string;
  readonly removalPolicy: RemovalPolicy;
}

interface AlarmSpec {
  readonly key: AlarmKey;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  /** What `{threshold}` in the description (thresholdText) depends on. */
  readonly context?: ThresholdContext;
  /** `{name}` and `{retention}` in the description. */
  readonly vars?: Readonly<Record<string, string>>;
  readonly evaluationPeriods?: number;
}

/** One encrypted SNS topic, the alarms of every path (descriptions from ALARM_CATALOGUE) and a dashboard. */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly dashboard: cloudwatch.Dashboard;
  private readonly _alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the queue-and-stream alarm topic; CloudWatch may use it to publish alarms.',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    const cloudwatchService = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    // Confused-deputy guard: CloudWatch may use the key and the topic only on behalf of alarms in this
    // account and region, not for another account's alarm that names this topic.
    const stack = Stack.of(this);
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
    };
    // aws/sns cannot be used by CloudWatch; this key lets CloudWatch encrypt what it publishes.
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudwatchService],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: fromOurAlarms,
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', { masterKey: this.topicKey, enforceSSL: true });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudwatchService],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this._alarms, width: 24, height: 6 }));
  }

  get alarms(): readonly cloudwatch.Alarm[] {
    return this._alarms;
  }

  /** DLQ not empty, oldest job age, worker errors and throttles. */
  watchJobQueue(jobQueue: JobQueue, worker: lambda.IFunction): void {
    const period = D.period.value;
    const dlqVisible = jobQueue.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' });
    const oldest = jobQueue.queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' });
    const errors = worker.metricErrors({ period, statistic: 'Sum' });
    const throttles = worker.metricThrottles({ period, statistic: 'Sum' });
    const context = { maxReceiveCount: jobQueue.maxReceiveCount };
    this.alarm('JobDlqNotEmpty', { key: 'jobDlqNotEmpty', metric: dlqVisible, threshold: 1, context });
    this.alarm('JobQueueOldestMessageAge', {
      key: 'jobQueueOldestMessageAge',
      metric: oldest,
      threshold: D.jobQueueOldestMessageAge.value.toSeconds(),
      context,
    });
    this.alarm('WorkerErrors', { key: 'workerErrors', metric: errors, threshold: 1 });
    this.alarm('WorkerThrottles', { key: 'workerThrottles', metric: throttles, threshold: 1 });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Jobs: queue and DLQ',
        left: [jobQueue.queue.metricApproximateNumberOfMessagesVisible({ period }), dlqVisible],
        right: [oldest],
      }),
      new cloudwatch.GraphWidget({ title: 'Jobs: worker', left: [worker.metricInvocations({ period }), errors, throttles] }),
    );
  }

  /**
   * Stream write/read throttling and, per consumer: iterator age, invocation errors, throttles, and from its
   * mapping's EventCount metrics the records sent to the failure bucket and the records dropped.
   */
  watchEventStream(eventStream: EventStream): void {
    const period = D.period.value;
    const writeThrottled = eventStream.stream.metricWriteProvisionedThroughputExceeded({ period, statistic: 'Sum' });
    const readThrottled = eventStream.stream.metricReadProvisionedThroughputExceeded({ period, statistic: 'Sum' });
    this.alarm('StreamWriteThrottled', {
      key: 'streamWriteThrottled',
      metric: writeThrottled,
      threshold: 1,
      evaluationPeriods: D.throttleEvaluationPeriods.value,
    });
    this.alarm('StreamReadThrottled', {
      key: 'streamReadThrottled',
      metric: readThrottled,
      threshold: 1,
      evaluationPeriods: D.throttleEvaluationPeriods.value,
    });
    const iteratorAgeThreshold = D.consumerIteratorAge.value;
    if (iteratorAgeThreshold.toSeconds() >= eventStream.retentionPeriod.toSeconds()) {
      throw new Error(
        `Monitoring ${this.node.path}: the consumer iterator-age alarm (${iteratorAgeThreshold.toHumanString()}) must fire before ` +
          `the stream retention (${eventStream.retentionPeriod.toHumanString()}) expires unread events.`,
      );
    }
    const iteratorAges: cloudwatch.IMetric[] = [];
    const givenUp: cloudwatch.IMetric[] = [];
    for (const consumer of eventStream.consumers) {
      const id = constructId(consumer.name);
      // IteratorAge is reported in milliseconds, per function.
      const iteratorAge = consumer.fn.metric('IteratorAge', { period, statistic: 'Maximum' });
      iteratorAges.push(iteratorAge.with({ label: consumer.name }));
      const vars = {
        name: consumer.name,
        retention: eventStream.retentionPeriod.toHumanString(),
      };
      this.alarm(`${id}IteratorAge`, {
        key: 'consumerIteratorAge',
        metric: iteratorAge,
        threshold: iteratorAgeThreshold.toMilliseconds(),
        vars,
      });
      this.alarm(`${id}Errors`, {
        key: 'consumerErrors',
        metric: consumer.fn.metricErrors({ period, statistic: 'Sum' }),
        threshold: 1,
        vars,
      });
      this.alarm(`${id}Throttles`, {
        key: 'consumerThrottles',
        metric: consumer.fn.metricThrottles({ period, statistic: 'Sum' }),
        threshold: 1,
        vars,
      });
      // Event source mapping metrics (MetricsConfig EventCount), per mapping: AWS/Lambda, EventSourceMappingUUID.
      const mappingMetric = (metricName: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/Lambda',
          metricName,
          dimensionsMap: { EventSourceMappingUUID: consumer.mapping.eventSourceMappingId },
          period,
          statistic: 'Sum',
        });
      const toFailureBucket = mappingMetric(FAILURE_BUCKET_METRIC);
      const dropped = mappingMetric(DROPPED_METRIC);
      givenUp.push(
        toFailureBucket.with({ label: `${consumer.name} to failure bucket` }),
        dropped.with({ label: `${consumer.name} dropped` }),
      );
      this.alarm(`${id}FailedRecords`, {
        key: 'consumerFailedRecords',
        metric: toFailureBucket,
        threshold: D.consumerFailedRecords.value,
        vars,
      });
      this.alarm(`${id}DroppedRecords`, {
        key: 'consumerDroppedRecords',
        metric: dropped,
        threshold: D.consumerDroppedRecords.value,
        vars,
      });
    }
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Events: stream',
        left: [eventStream.stream.metricIncomingRecords({ period, statistic: 'Sum' })],
        right: [writeThrottled, readThrottled],
      }),
      new cloudwatch.GraphWidget({ title: 'Events: consumer iterator age (ms)', left: iteratorAges }),
      new cloudwatch.GraphWidget({ title: 'Events: records sent to the failure bucket / dropped', left: givenUp }),
    );
  }

  /** Firehose DataFreshness against a multiple of its buffering interval. */
  watchArchive(archive: EventArchive): void {
    const freshness = archive.metricDataFreshness(D.period.value);
    const threshold = archiveFreshnessThreshold(archive.bufferingInterval);
    this.alarm('ArchiveDataFreshness', {
      key: 'archiveDataFreshness',
      metric: freshness,
      threshold: threshold.toSeconds(),
      context: { archiveBufferingInterval: archive.bufferingInterval },
    });
    this.dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'Archive: data freshness (s)', left: [freshness] }));
  }

  private alarm(id: string, spec: AlarmSpec): cloudwatch.Alarm {
    const threshold = thresholdText(spec.key, spec.context ?? {});
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: spec.metric,
      threshold: spec.threshold,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: D.treatMissingData.value,
      alarmDescription: alarmDescription(spec.key, { ...spec.vars, ...(threshold === undefined ? {} : { threshold }) }),
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this._alarms.push(alarm);
    return alarm;
  }
}
