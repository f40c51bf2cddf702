import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { assertMalformedRecordsReachAConsumer, consumerManifest, filterPatternsFor } from '../lambdas/consumers';
import { EventArchive } from './event-archive';
import { HouseFunction } from './house-function';
import { JOB_QUEUE_DEFAULTS } from './job-queue-defaults';
import { Monitoring } from './monitoring';
import type { StageConfig } from './stage-config';
import type { StatefulStack } from './stateful-stack';

export interface ComputeStackProps extends StackProps {
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
}

/** Everything that can be redeployed freely: functions, event source mappings, Firehose, alarms, dashboard. */
export class ComputeStack extends Stack {
  readonly worker: HouseFunction;
  readonly consumers: Readonly<Record<string, HouseFunction>>;
  readonly archive: EventArchive;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: ComputeStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    const { jobQueue, eventStream, buckets, idempotencyTable } = stateful;
    const functionProps = { logRetention: config.logRetention, removalPolicy: config.removalPolicy };

    const workerName = JOB_QUEUE_DEFAULTS.workerName.value;
    this.worker = new HouseFunction(this, 'JobWorker', { ...functionProps, name: workerName });
    jobQueue.addWorker(this.worker.fn, { name: workerName });
    idempotencyTable.grantRecords(this.worker.fn);

    // Each consumer as its manifest entry (lambdas/consumers.ts) declares it: filter, grants, environment.
    const manifests = config.consumers.map((c) => [c.name, c.manifest ?? consumerManifest(c.name)] as const);
    assertMalformedRecordsReachAConsumer(manifests);
    const consumers: Record<string, HouseFunction> = {};
    for (const [consumer, [, manifest]] of config.consumers.map((c, i) => [c, manifests[i]!] as const)) {
      const enqueues = manifest.enqueues.length > 0;
      const fn = new HouseFunction(this, pascal(consumer.name), {
        ...functionProps,
        name: consumer.name,
        environment: enqueues
          ? {
              JOB_QUEUE_URL: jobQueue.queue.queueUrl,
              JOB_MAX_MESSAGE_BYTES: String(jobQueue.maxMessageSizeBytes),
            }
          : {},
      });
      if (enqueues) jobQueue.queue.grantSendMessages(fn.fn);
      if (manifest.idempotency === 'dynamodb') idempotencyTable.grantRecords(fn.fn);
      eventStream.addConsumer(consumer.name, fn.fn, {
        enhancedFanOut: consumer.enhancedFanOut,
        parallelizationFactor: manifest.parallelizationFactor,
        filterPatterns: filterPatternsFor(manifest),
        ...(consumer.startAt ? { startAt: consumer.startAt } : {}),
      });
      consumers[consumer.name] = fn;
    }
    this.consumers = consumers;

    this.archive = new EventArchive(this, 'EventArchive', {
      stream: eventStream.stream,
      bucket: buckets.archiveBucket,
      bufferingInterval: config.archiveBufferingInterval,
      bufferingSize: config.archiveBufferingSize,
      ...functionProps,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      alarmEmail: config.alarmEmail,
      removalPolicy: config.removalPolicy,
    });
    this.monitoring.watchJobQueue(jobQueue, this.worker.fn);
    this.monitoring.watchEventStream(eventStream);
    this.monitoring.watchArchive(this.archive);
  }
}

function pascal(name: string): string {
  return name.replace(/(^|[-_ ])(\w)/g, (_m, _sep: string, c: string) => c.toUpperCase());
}
