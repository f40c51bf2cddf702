/**
 * `npm start -- --keep-archive`: the S3 emulator keeps objects in memory only, so the Firehose stand-in also
 * writes each archive object under the state dir and the next start puts the copies back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalTopology } from './types';

/** Where --keep-archive keeps the archive's objects between runs. */
export const archiveCopyDir = (stateDir: string): string => path.join(stateDir, 'archive-copy');

/** Puts back the archive objects a previous run copied, into the buckets of this run's delivery streams; returns how many. */
export async function restoreArchive(copyDir: string, topology: LocalTopology): Promise<number> {
  const buckets = new Set(topology.deliveryStreams.map((d) => d.bucket.name));
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.isFile()) files.push(path.join(dir, e.name));
    }
  };
  if (fs.existsSync(copyDir)) walk(copyDir);
  const { localS3Client } = (await import('./clients')) as typeof import('./clients');
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const s3 = localS3Client(topology.endpoints, { plumbing: true });
  let restored = 0;
  try {
    for (const full of files) {
      const [bucket, ...rest] = path.relative(copyDir, full).split(path.sep);
      if (bucket === undefined || !buckets.has(bucket) || rest.length === 0) continue;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: rest.join('/'), Body: fs.readFileSync(full) }));
      restored++;
    }
  } finally {
    s3.destroy();
  }
  return restored;
}
