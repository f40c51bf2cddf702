// Reads every object of a (small, local) bucket once; later refreshes fetch only new keys. Used by the demo and
// the end-to-end tests to look into the archive and failure buckets.
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { LocalClients } from './clients';

export class BucketReader {
  readonly bodies = new Map<string, Buffer>();
  constructor(
    private readonly clients: Pick<LocalClients, 's3'>,
    readonly bucket: string,
  ) {}

  /** Keys in listing order; returns every body read so far. */
  async refresh(): Promise<Map<string, Buffer>> {
    let token: string | undefined;
    do {
      const page = await this.clients.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (!o.Key || this.bodies.has(o.Key)) continue;
        const obj = await this.clients.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: o.Key }));
        this.bodies.set(o.Key, Buffer.from(await obj.Body!.transformToByteArray()));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return this.bodies;
  }
}
