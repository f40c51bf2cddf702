// AWS::SQS::Queue → a fauxqs queue (its redrive policy must name a queue created before it).
import { CreateQueueCommand, GetQueueAttributesCommand, type QueueAttributeName } from '@aws-sdk/client-sqs';
import { LocalCloudError } from '../assembly';
import type { ResourceFacts } from '../resolver';
import type { LocalQueue } from '../types';
import type { ProvisionContext, ResourceInput } from './context';
import { bool, num, physicalName } from './values';

/** Queue attributes passed to CreateQueue as the template gives them. */
const PASSED_ATTRIBUTES = [
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'MaximumMessageSize',
  'ReceiveMessageWaitTimeSeconds',
  'DelaySeconds',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
];

export async function provisionQueue({ stack, logicalId, p }: ResourceInput, ctx: ProvisionContext): Promise<ResourceFacts> {
  const fifo = bool(p('FifoQueue'), false);
  const name =
    (p('QueueName') as string | undefined) ??
    physicalName(stack.stackName, logicalId, fifo ? 75 : 80, /[^A-Za-z0-9_-]/g) + (fifo ? '.fifo' : '');
  const attributes: Record<string, string> = {};
  for (const key of PASSED_ATTRIBUTES) {
    const v = p(key);
    if (v !== undefined) attributes[key] = String(v);
  }
  if (fifo) attributes.FifoQueue = 'true';
  const redrive = p('RedrivePolicy') as { deadLetterTargetArn?: string; maxReceiveCount?: unknown } | string | undefined;
  let redrivePolicy: LocalQueue['redrivePolicy'];
  if (redrive !== undefined) {
    const rp = typeof redrive === 'string' ? (JSON.parse(redrive) as { deadLetterTargetArn?: string; maxReceiveCount?: unknown }) : redrive;
    const dlq = ctx.queues.find((q) => q.arn === rp.deadLetterTargetArn);
    // fauxqs accepts a redrive policy to a missing queue and then never dead-letters: refuse it here
    if (!dlq)
      throw new LocalCloudError(
        `queue ${stack.stackName}/${logicalId}: RedrivePolicy deadLetterTargetArn ${rp.deadLetterTargetArn} is not a queue in the assembly`,
      );
    redrivePolicy = {
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: num(rp.maxReceiveCount, 10, `${logicalId}.RedrivePolicy.maxReceiveCount`),
    };
    attributes.RedrivePolicy = JSON.stringify(redrivePolicy);
  }
  const redriveAllow = p('RedriveAllowPolicy');
  if (redriveAllow !== undefined)
    attributes.RedriveAllowPolicy = typeof redriveAllow === 'string' ? redriveAllow : JSON.stringify(redriveAllow);
  const { QueueUrl } = await ctx.clients.sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes as Record<QueueAttributeName, string> }),
  );
  const got = (await ctx.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes ?? {};
  const queue: LocalQueue = {
    logicalId,
    name,
    url: QueueUrl!,
    arn: got.QueueArn!,
    visibilityTimeoutSeconds: Number(got.VisibilityTimeout ?? 30),
    messageRetentionSeconds: Number(got.MessageRetentionPeriod ?? 345600),
    maximumMessageSize: Number(got.MaximumMessageSize ?? 1048576),
    ...(redrivePolicy ? { redrivePolicy } : {}),
  };
  ctx.queues.push(queue);
  return { type: 'AWS::SQS::Queue', ref: queue.url, attributes: { Arn: queue.arn, QueueName: name, QueueUrl: queue.url } };
}
