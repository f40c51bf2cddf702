// AWS::S3::Bucket → an S3 emulator bucket with a stable, valid name.
import * as crypto from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { LOCAL_REGION } from '../../lib/contract';
import type { ResourceFacts } from '../resolver';
import type { LocalBucket } from '../types';
import type { ProvisionContext, ResourceInput } from './context';

/** A valid S3 bucket name (3-63 chars, lower case, digits, hyphens) derived from stack + logical id. */
export function stableBucketName(stackName: string, logicalId: string): string {
  let name = `${stackName}-${logicalId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (name.length > 63) {
    const hash = crypto.createHash('sha1').update(name).digest('hex').slice(0, 8);
    name = `${name.slice(0, 54).replace(/-+$/, '')}-${hash}`;
  }
  return name.length >= 3 ? name : `${name}-bucket`;
}

export async function provisionBucket({ stack, logicalId, p }: ResourceInput, ctx: ProvisionContext): Promise<ResourceFacts> {
  const name = (p('BucketName') as string | undefined) ?? stableBucketName(stack.stackName, logicalId);
  await ctx.clients.s3.send(new CreateBucketCommand({ Bucket: name }));
  const bucket: LocalBucket = { logicalId, name, arn: `arn:aws:s3:::${name}` };
  ctx.buckets.push(bucket);
  return {
    type: 'AWS::S3::Bucket',
    ref: name,
    attributes: {
      Arn: bucket.arn,
      DomainName: `${name}.s3.amazonaws.com`,
      RegionalDomainName: `${name}.s3.${LOCAL_REGION}.amazonaws.com`,
      DualStackDomainName: `${name}.s3.dualstack.${LOCAL_REGION}.amazonaws.com`,
      WebsiteURL: `http://${name}.s3-website-${LOCAL_REGION}.amazonaws.com`,
    },
  };
}
