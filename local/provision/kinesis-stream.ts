// AWS::Kinesis::Stream → a kinesalite / kinesis-local stream, within what the engine can do (see the notes).
import { CreateStreamCommand, DescribeStreamSummaryCommand, IncreaseStreamRetentionPeriodCommand } from '@aws-sdk/client-kinesis';
import { LocalCloudError } from '../assembly';
import type { LocalClients } from '../clients';
import type { ResourceFacts } from '../resolver';
import type { LocalStream } from '../types';
import type { ProvisionContext, ResourceInput } from './context';
import { num, physicalName } from './values';

/** AWS's initial write capacity of an on-demand stream is 4 shards (4 MB/s); emulators without ON_DEMAND get that. */
const ON_DEMAND_SHARDS = 4;

async function waitStreamActive(clients: LocalClients, streamName: string): Promise<{ arn: string; shards: number; retention: number }> {
  for (let i = 0; ; i++) {
    const s = (await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary;
    if (s?.StreamStatus === 'ACTIVE')
      return { arn: s.StreamARN ?? '', shards: s.OpenShardCount ?? 0, retention: s.RetentionPeriodHours ?? 24 };
    if (i > 200) throw new LocalCloudError(`Kinesis stream ${streamName} did not become ACTIVE`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function provisionStream({ stack, logicalId, p }: ResourceInput, ctx: ProvisionContext): Promise<ResourceFacts> {
  const caps = ctx.options.kinesis;
  const name = (p('Name') as string | undefined) ?? physicalName(stack.stackName, logicalId, 128, /[^A-Za-z0-9_.-]/g);
  const modeDetails = p('StreamModeDetails') as { StreamMode?: string } | undefined;
  const mode: LocalStream['mode'] = modeDetails?.StreamMode === 'ON_DEMAND' ? 'ON_DEMAND' : 'PROVISIONED';
  const requested = num(p('ShardCount'), 1, `${logicalId}.ShardCount`);
  // a stream kept from an earlier run (--persist) is taken over as it is
  const reuse = (err: unknown): void => {
    if (!(ctx.options.reuseExisting && (err as { name?: string }).name === 'ResourceInUseException')) throw err;
  };
  if (mode === 'ON_DEMAND' && caps.onDemand) {
    await ctx.clients.kinesis
      .send(new CreateStreamCommand({ StreamName: name, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }))
      .catch(reuse);
  } else {
    if (mode === 'ON_DEMAND') {
      ctx.notes.push(
        `stream ${name}: ON_DEMAND → ${ON_DEMAND_SHARDS} provisioned shards (${caps.engine} has no on-demand mode; 4 is AWS's initial on-demand capacity)`,
      );
    }
    await ctx.clients.kinesis
      .send(new CreateStreamCommand({ StreamName: name, ShardCount: mode === 'ON_DEMAND' ? ON_DEMAND_SHARDS : requested }))
      .catch(reuse);
  }
  let info = await waitStreamActive(ctx.clients, name);
  const wantedRetention = num(p('RetentionPeriodHours'), 24, `${logicalId}.RetentionPeriodHours`);
  if (wantedRetention > info.retention) {
    const hours = Math.min(wantedRetention, caps.maxRetentionHours);
    if (hours < wantedRetention) ctx.notes.push(`stream ${name}: retention ${wantedRetention} h → ${hours} h (${caps.engine}'s maximum)`);
    if (hours > info.retention) {
      await ctx.clients.kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: hours }));
      info = await waitStreamActive(ctx.clients, name);
    }
  }
  const stream: LocalStream = { logicalId, name, arn: info.arn, shardCount: info.shards, retentionHours: info.retention, mode };
  ctx.streams.push(stream);
  return { type: 'AWS::Kinesis::Stream', ref: name, attributes: { Arn: info.arn } };
}
