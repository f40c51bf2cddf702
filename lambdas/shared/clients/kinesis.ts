import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Kinesis client over HTTP/1.1: the SDK defaults to HTTP/2, which plain-HTTP emulators reject; PutRecords
 * and GetRecords work the same over HTTP/1.1 on AWS (only SubscribeToShard needs HTTP/2).
 */
export const createKinesisClient = (config: KinesisClientConfig = {}): KinesisClient =>
  new KinesisClient({ requestHandler: new NodeHttpHandler(), ...config });

let shared: KinesisClient | undefined;
/** The execution environment's Kinesis client, reused across invocations (see aws-clients.ts). */
export const kinesisClient = (): KinesisClient => (shared ??= createKinesisClient());
