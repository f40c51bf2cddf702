// Reads every object of a (small, local) bucket once; later refreshes fetch only new keys. Used by the demo and
// the end-to-end tests to look into the archive and failure buckets.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { listObjects } from '../tools/ops/s3-objects';
import type { LocalClients } from './clients';

export class BucketReader {
  readonly bodies = new Map<string, Buffer>();
  constructor(
    private readonly clients: Pick<LocalClients, 's3'>,
    readonly bucket: string,
  ) {}

  /** Keys in key order; returns every body read so far. */
  async refresh(): Promise<Map<string, Buffer>> {
    for (const { key } of await listObjects(this.clients.s3, this.bucket)) {
      if (this.bodies.has(key)) continue;
      const obj = await this.clients.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      this.bodies.set(key, Buffer.from(await obj.Body!.transformToByteArray()));
    }
    return this.bodies;
  }
}
