import type { App } from 'aws-cdk-lib';
import { ComputeStack } from './compute-stack';
import { PROJECT_NAME, stackName } from './contract';
import type { StageConfig } from './stage-config';
import { StatefulStack } from './stateful-stack';

export interface QueueAndStreamStacks {
  readonly stateful: StatefulStack;
  readonly compute: ComputeStack;
}

/** Both stacks of one stage: `QueueAndStream-<Stage>-Stateful` and `QueueAndStream-<Stage>-Compute`. */
export function createQueueAndStream(app: App, config: StageConfig): QueueAndStreamStacks {
  const env = config.env;
  const description = `${PROJECT_NAME}: SQS jobs + Kinesis domain events`;
  const stateful = new StatefulStack(app, stackName(config.stage, 'Stateful'), {
    config,
    env,
    description: `${description} (stateful: queue, DLQ, stream, buckets)`,
  });
  const compute = new ComputeStack(app, stackName(config.stage, 'Compute'), {
    config,
    stateful,
    env,
    description: `${description} (compute: functions, mappings, Firehose, alarms)`,
  });
  return { stateful, compute };
}
