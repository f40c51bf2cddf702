// Listing a bucket: every page of ListObjectsV2 under a prefix, in one place for the ops tools (the archive
// reader, the failure-bucket redrive), the local query engine, the local cloud's bucket reader and the tests.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export type S3Sender = Pick<S3Client, 'send'>;

export interface ListedObject {
  readonly key: string;
  readonly size: number;
}

/**
 * Every object under `prefix` (the whole bucket without one), all pages, sorted by key. Keys ending in `/` are
 * folder markers the S3 console creates, not objects: left out.
 */
export async function listObjects(s3: S3Sender, bucket: string, prefix?: string): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ...(prefix ? { Prefix: prefix } : {}), ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) out.push({ key: o.Key, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
