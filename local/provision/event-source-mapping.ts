// AWS::Lambda::EventSourceMapping → an SQS or Kinesis mapping the lambda half polls for (by what its source is).
import { LocalCloudError } from '../assembly';
import type { ResourceFacts } from '../resolver';
import type { FilterCriteria, LocalKinesisMapping, OnFailureDestination } from '../types';
import type { ProvisionContext, ResourceInput } from './context';
import { bool, num } from './values';

function destination(ctx: ProvisionContext, arn: string, at: string): OnFailureDestination {
  if (arn.startsWith('arn:aws:s3:::')) {
    const bucket = ctx.buckets.find((b) => b.arn === arn);
    if (!bucket) throw new LocalCloudError(`${at}: on-failure destination ${arn} is not a bucket in the assembly`);
    return { kind: 's3', arn, bucketName: bucket.name };
  }
  if (arn.includes(':sqs:')) {
    const queue = ctx.queues.find((q) => q.arn === arn);
    if (!queue) throw new LocalCloudError(`${at}: on-failure destination ${arn} is not a queue in the assembly`);
    return { kind: 'sqs', arn, queueUrl: queue.url };
  }
  if (arn.includes(':sns:')) return { kind: 'sns', arn };
  throw new LocalCloudError(`${at}: on-failure destination ${arn} is not an S3 bucket, SQS queue or SNS topic`);
}

export async function provisionMapping({ stack, logicalId, p, at }: ResourceInput, ctx: ProvisionContext): Promise<ResourceFacts> {
  const facts: ResourceFacts = {
    type: 'AWS::Lambda::EventSourceMapping',
    ref: `${stack.stackName}-${logicalId}`,
    attributes: { Id: `${stack.stackName}-${logicalId}` },
  };
  const target = String(p('FunctionName'));
  const fn = ctx.findFunction(target);
  if (!fn) {
    // a mapping for a function we skipped (unsupported runtime with --allow-unsupported) is skipped with it
    ctx.warnings.push(`event source mapping ${stack.stackName}/${logicalId}: function ${target} is not run locally; mapping skipped`);
    return facts;
  }
  const source = String(p('EventSourceArn'));
  const enabled = bool(p('Enabled'), true);
  const responseTypes = (p('FunctionResponseTypes') as string[] | undefined) ?? [];
  const reportBatchItemFailures = responseTypes.includes('ReportBatchItemFailures');
  const filterCriteria = p('FilterCriteria') as FilterCriteria | undefined;
  const batchingWindow = p('MaximumBatchingWindowInSeconds');
  const queue = ctx.queues.find((q) => q.arn === source);
  if (queue) {
    const maxConcurrency = (p('ScalingConfig') as { MaximumConcurrency?: unknown } | undefined)?.MaximumConcurrency;
    ctx.sqsMappings.push({
      logicalId,
      functionLogicalId: fn.logicalId,
      queue,
      batchSize: num(p('BatchSize'), 10, `${at}.BatchSize`),
      maximumBatchingWindowSeconds: num(batchingWindow, 0, `${at}.MaximumBatchingWindowInSeconds`),
      reportBatchItemFailures,
      ...(maxConcurrency !== undefined ? { maximumConcurrency: num(maxConcurrency, 0, `${at}.ScalingConfig.MaximumConcurrency`) } : {}),
      enabled,
      ...(filterCriteria?.Filters?.length ? { filterCriteria } : {}),
    });
    return facts;
  }
  const consumer = ctx.consumers.find((c) => c.arn === source);
  const stream = consumer?.stream ?? ctx.streams.find((s) => s.arn === source);
  if (!stream)
    throw new LocalCloudError(
      `event source mapping ${stack.stackName}/${logicalId}: EventSourceArn ${source} is not a queue, stream or stream consumer in the assembly`,
    );
  const startingPosition = (p('StartingPosition') as LocalKinesisMapping['startingPosition'] | undefined) ?? 'LATEST';
  if (!['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(startingPosition)) {
    throw new LocalCloudError(
      `event source mapping ${stack.stackName}/${logicalId}: StartingPosition ${startingPosition} is not TRIM_HORIZON, LATEST or AT_TIMESTAMP`,
    );
  }
  const ts = p('StartingPositionTimestamp');
  const tumbling = p('TumblingWindowInSeconds');
  const onFailureArn = (p('DestinationConfig') as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure?.Destination;
  ctx.kinesisMappings.push({
    logicalId,
    functionLogicalId: fn.logicalId,
    stream,
    ...(consumer ? { streamConsumerName: consumer.name } : {}),
    batchSize: num(p('BatchSize'), 100, `${at}.BatchSize`),
    maximumBatchingWindowSeconds: num(batchingWindow, 0, `${at}.MaximumBatchingWindowInSeconds`),
    startingPosition,
    ...(ts !== undefined ? { startingPositionTimestamp: num(ts, 0, `${at}.StartingPositionTimestamp`) } : {}),
    bisectBatchOnFunctionError: bool(p('BisectBatchOnFunctionError'), false),
    maximumRetryAttempts: num(p('MaximumRetryAttempts'), -1, `${at}.MaximumRetryAttempts`),
    maximumRecordAgeInSeconds: num(p('MaximumRecordAgeInSeconds'), -1, `${at}.MaximumRecordAgeInSeconds`),
    parallelizationFactor: num(p('ParallelizationFactor'), 1, `${at}.ParallelizationFactor`),
    reportBatchItemFailures,
    ...(tumbling !== undefined ? { tumblingWindowInSeconds: num(tumbling, 0, `${at}.TumblingWindowInSeconds`) } : {}),
    ...(onFailureArn ? { onFailure: destination(ctx, onFailureArn, `${stack.stackName}/${logicalId}`) } : {}),
    ...(filterCriteria?.Filters?.length ? { filterCriteria } : {}),
    enabled,
  });
  return facts;
}
