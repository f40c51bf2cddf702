import { CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { assertMalformedRecordsReachAConsumer, consumerManifest, filterPatternsFor } from '../lambdas/consumers';
import { FAKE_PORTS } from '../lambdas/job-worker/wiring';
import { FUNCTION_ENV } from './contract';
import { constructId } from './construct-id';
import { EventArchive } from './event-archive';
import { HouseFunction } from './house-function';
import { JOB_QUEUE_DEFAULTS } from './job-queue-defaults';
import { Monitoring } from './monitoring';
import type { StageConfig } from './stage-config';
import type { StatefulStack } from './stateful-stack';

export interface ComputeStackProps extends StackProps {
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
  /** The worker's ports that are fakes. @default FAKE_PORTS of lambdas/job-worker/wiring.ts */
  readonly workerFakePorts?: readonly string[];
}

/**
 * Refuses a stage that does not allow fake side effects (prod) while the worker still runs fakes: its jobs
 * would succeed without sending an e-mail or charging a card, and nothing would say so.
 */
export function assertNoFakeSideEffects(config: StageConfig, fakePorts: readonly string[]): void {
  if (fakePorts.length === 0 || config.allowFakeSideEffects) return;
  throw new Error(
    `Stage ${config.stage}: the job worker's ${fakePorts.join(', ')} port(s) are fakes (lambdas/job-worker/fakes.ts: no e-mail ` +
      'is sent, no card is charged, yet every job succeeds). Wire real adapters in lambdas/job-worker/wiring.ts and remove ' +
      'them from FAKE_PORTS, or deploy the fakes on purpose with -c allowFakeSideEffects=true.',
  );
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
    assertNoFakeSideEffects(config, props.workerFakePorts ?? FAKE_PORTS);
    // Strong references (Fn::ImportValue of the stateful stack's exports), not Fn::GetStackOutput: a weak
    // reference is resolved only when this stack is created or updated, and `cdk deploy` skips a stack whose
    // template did not change, so a replaced queue, stream, bucket or table would leave the mappings, grants
    // and environment here pointing at the old one without a word. With an import, CloudFormation refuses the
    // stateful update that would change a value in use instead. The stateful stack pins its exports
    // (StatefulStack.exportsForCompute), so this stack dropping a reference never blocks a deploy.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    const { jobQueue, eventStream, buckets, idempotencyTable } = stateful;
    const functionProps = { logRetention: config.logRetention, removalPolicy: config.removalPolicy };

    const workerName = JOB_QUEUE_DEFAULTS.workerName.value;
    this.worker = new HouseFunction(this, 'JobWorker', { ...functionProps, name: workerName });
    jobQueue.addWorker(this.worker, { name: workerName });
    idempotencyTable.grantRecords(this.worker);

    // Each consumer as its manifest entry (lambdas/consumers.ts) declares it: filter, grants, environment.
    const manifests = config.consumers.map((c) => [c.name, c.manifest ?? consumerManifest(c.name)] as const);
    assertMalformedRecordsReachAConsumer(manifests);
    const consumers: Record<string, HouseFunction> = {};
    for (const [consumer, [, manifest]] of config.consumers.map((c, i) => [c, manifests[i]!] as const)) {
      const enqueues = manifest.enqueues.length > 0;
      const fn = new HouseFunction(this, constructId(consumer.name), {
        ...functionProps,
        name: consumer.name,
        environment: enqueues
          ? {
              [FUNCTION_ENV.jobQueueUrl]: jobQueue.queue.queueUrl,
              [FUNCTION_ENV.jobMaxMessageBytes]: String(jobQueue.maxMessageSizeBytes),
            }
          : {},
      });
      if (enqueues) jobQueue.queue.grantSendMessages(fn);
      if (manifest.idempotency === 'dynamodb') idempotencyTable.grantRecords(fn);
      eventStream.addConsumer(consumer.name, fn, {
        enhancedFanOut: consumer.enhancedFanOut,
        parallelizationFactor: manifest.parallelizationFactor,
        filterPatterns: filterPatternsFor(manifest),
      });
      consumers[consumer.name] = fn;
    }
    this.consumers = consumers;

    this.archive = new EventArchive(this, 'EventArchive', {
      stream: eventStream.pollingReader,
      bucket: buckets.archiveBucket,
      bufferingInterval: config.archiveBufferingInterval,
      bufferingSize: config.archiveBufferingSize,
      ...functionProps,
    });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      alarmEmail: config.alarmEmail,
      removalPolicy: config.removalPolicy,
    });
    this.monitoring.watchJobQueue(jobQueue, this.worker);
    this.monitoring.watchEventStream(eventStream);
    this.monitoring.watchArchive(this.archive);
  }
}
