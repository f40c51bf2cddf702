import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** S3 client; path-style addressing when an endpoint override is set (emulator buckets are path-style). */
export const createS3Client = (config: S3ClientConfig = {}, env: NodeJS.ProcessEnv = process.env): S3Client =>
  new S3Client({ forcePathStyle: Boolean(env['AWS_ENDPOINT_URL_S3']) || config.endpoint !== undefined, ...config });

let shared: S3Client | undefined;
/** The execution environment's S3 client, reused across invocations (see aws-clients.ts). */
export const s3Client = (): S3Client => (shared ??= createS3Client());
