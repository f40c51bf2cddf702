// AWS::Kinesis::StreamConsumer → an enhanced fan-out consumer when the engine has EFO, else a stand-in ARN.
import { DescribeStreamConsumerCommand, RegisterStreamConsumerCommand } from '@aws-sdk/client-kinesis';
import { LocalCloudError } from '../assembly';
import type { ResourceFacts } from '../resolver';
import type { ProvisionContext, ResourceInput } from './context';

export async function provisionStreamConsumer({ stack, logicalId, p }: ResourceInput, ctx: ProvisionContext): Promise<ResourceFacts> {
  const streamArn = String(p('StreamARN'));
  const name = String(p('ConsumerName'));
  const stream = ctx.streams.find((s) => s.arn === streamArn);
  if (!stream)
    throw new LocalCloudError(`stream consumer ${stack.stackName}/${logicalId}: StreamARN ${streamArn} is not a stream in the assembly`);
  let arn: string;
  let registered = false;
  if (ctx.options.kinesis.enhancedFanOut) {
    const out = await ctx.clients.kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }));
    arn = out.Consumer!.ConsumerARN!;
    for (let i = 0; i < 200; i++) {
      const d = await ctx.clients.kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn }));
      if (d.ConsumerDescription?.ConsumerStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    registered = true;
  } else {
    arn = `${streamArn}/consumer/${name}:0`;
    ctx.notes.push(
      `stream consumer ${name}: ${ctx.options.kinesis.engine} has no enhanced fan-out; its mappings read with GetRecords (use --kinesis kinesis-local for EFO)`,
    );
  }
  ctx.consumers.push({ logicalId, name, arn, stream, registered });
  return {
    type: 'AWS::Kinesis::StreamConsumer',
    ref: arn,
    attributes: { ConsumerARN: arn, ConsumerName: name, StreamARN: streamArn, ConsumerStatus: 'ACTIVE' },
  };
}
