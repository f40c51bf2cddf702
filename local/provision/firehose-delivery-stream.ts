// AWS::KinesisFirehose::DeliveryStream → a LocalDeliveryStream (Kinesis source, S3 destination) that local/firehose.ts runs.
import { LocalCloudError } from '../assembly';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../lib/contract';
import type { ResourceFacts } from '../resolver';
import type { LocalDeliveryStream } from '../types';
import type { ProvisionContext, ResourceInput } from './context';
import { bool, num, physicalName } from './values';

type S3Destination = {
  BucketARN?: string;
  Prefix?: string;
  ErrorOutputPrefix?: string;
  BufferingHints?: { IntervalInSeconds?: unknown; SizeInMBs?: unknown };
  CompressionFormat?: string;
  ProcessingConfiguration?: {
    Enabled?: unknown;
    Processors?: { Type?: string; Parameters?: { ParameterName?: string; ParameterValue?: string }[] }[];
  };
};

/** Unescapes a Firehose Delimiter parameter ("\\n" in the template means a newline). */
function unescapeDelimiter(s: string): string {
  return s.replace(/\\(n|r|t|\\)/g, (_m, c: string) => ({ n: '\n', r: '\r', t: '\t', '\\': '\\' })[c] ?? c);
}

export async function provisionDeliveryStream({ stack, logicalId, p, at }: ResourceInput, ctx: ProvisionContext): Promise<ResourceFacts> {
  const name = (p('DeliveryStreamName') as string | undefined) ?? physicalName(stack.stackName, logicalId, 64, /[^A-Za-z0-9_.-]/g);
  const arn = `arn:aws:firehose:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:deliverystream/${name}`;
  const source = p('KinesisStreamSourceConfiguration') as { KinesisStreamARN?: string } | undefined;
  const where = `delivery stream ${stack.stackName}/${logicalId}`;
  if (!source?.KinesisStreamARN) throw new LocalCloudError(`${where}: only KinesisStreamAsSource delivery streams are emulated`);
  const sourceStream = ctx.streams.find((s) => s.arn === source.KinesisStreamARN);
  if (!sourceStream) throw new LocalCloudError(`${where}: KinesisStreamARN ${source.KinesisStreamARN} is not a stream in the assembly`);
  const dest = (p('ExtendedS3DestinationConfiguration') ?? p('S3DestinationConfiguration')) as S3Destination | undefined;
  if (!dest?.BucketARN) throw new LocalCloudError(`${where}: only S3 destinations are emulated`);
  const bucket = ctx.buckets.find((b) => b.arn === dest.BucketARN);
  if (!bucket) throw new LocalCloudError(`${where}: BucketARN ${dest.BucketARN} is not a bucket in the assembly`);
  let appendDelimiter = false;
  let delimiter = '\n';
  if (bool(dest.ProcessingConfiguration?.Enabled, false)) {
    for (const proc of dest.ProcessingConfiguration?.Processors ?? []) {
      if (proc.Type === 'AppendDelimiterToRecord') {
        appendDelimiter = true;
        const d = proc.Parameters?.find((x) => x.ParameterName === 'Delimiter')?.ParameterValue;
        if (d !== undefined) delimiter = unescapeDelimiter(d);
      } else {
        ctx.notes.push(`${where}: processor ${proc.Type} is not emulated`);
      }
    }
  }
  ctx.deliveryStreams.push({
    logicalId,
    name,
    sourceStream,
    bucket,
    prefix: dest.Prefix ?? '',
    errorOutputPrefix: dest.ErrorOutputPrefix ?? '',
    // Firehose's defaults for S3 destinations: 300 s / 5 MiB
    bufferingIntervalSeconds: num(dest.BufferingHints?.IntervalInSeconds, 300, `${at}.BufferingHints.IntervalInSeconds`),
    bufferingSizeMiB: num(dest.BufferingHints?.SizeInMBs, 5, `${at}.BufferingHints.SizeInMBs`),
    compression: (dest.CompressionFormat ?? 'UNCOMPRESSED') as LocalDeliveryStream['compression'],
    appendDelimiter,
    delimiter,
  });
  return { type: 'AWS::KinesisFirehose::DeliveryStream', ref: name, attributes: { Arn: arn } };
}
