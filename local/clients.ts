// The local cloud's own SDK clients (provisioning, status, demo, console, the pollers, on-failure destinations and
// the Firehose stand-in): the template's client factories (lambdas/shared/aws-clients.ts) pointed at the emulators,
// with the contract's local region and credentials. The functions' own clients are the template's too; they find
// the emulators through AWS_ENDPOINT_URL_* (local/lambda/environment.ts).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpRequest } from '@smithy/types';
import { createDynamoDbClient, createKinesisClient, createS3Client, createSqsClient } from '../lambdas/shared/aws-clients';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../lib/contract';

/** Where the emulators listen (http://127.0.0.1:PORT); `region` defaults to the contract's. */
export interface LocalClientEndpoints {
  readonly sqs: string;
  readonly s3: string;
  readonly kinesis: string;
  readonly dynamodb?: string;
  readonly region?: string;
}

export interface LocalClientOptions {
  /**
   * The local cloud's plumbing on the functions' hot path (pollers, on-failure destinations, the Firehose stand-in):
   * unsigned requests (see unsignedSigner) and two attempts. Without it: signed, the SDK's default retries.
   */
  readonly plumbing?: boolean;
  /** overrides the attempts (a start-up probe tries once) */
  readonly maxAttempts?: number;
}

/**
 * The local cloud's own requests carry a well-formed but unsigned SigV4 header. The emulators accept any
 * credentials and never check a signature, but kinesalite insists on the header's shape; SigV4 signing
 * (HMACs over a canonical request) was ~9 % of the local cloud's main event loop under figure 4's load
 * (BENCHMARKS.md). The functions' own clients sign as deployed: they are the code under test, this is plumbing.
 */
function unsignedSigner(service: string, region: string): { sign(request: HttpRequest): Promise<HttpRequest> } {
  return {
    sign: async (request) => {
      const amzDate = new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
      request.headers['x-amz-date'] = amzDate;
      request.headers['authorization'] =
        `AWS4-HMAC-SHA256 Credential=${LOCAL_CREDENTIALS.accessKeyId}/${amzDate.slice(0, 8)}/${region}/${service}/aws4_request, ` +
        'SignedHeaders=host;x-amz-date, Signature=unsigned-local';
      return request;
    },
  };
}

/** What every local client shares: an explicit endpoint, the local region and credentials. */
function settings(service: 'sqs' | 'kinesis' | 's3' | 'dynamodb', endpoints: { readonly region?: string }, options: LocalClientOptions) {
  const region = endpoints.region ?? LOCAL_REGION;
  return {
    region,
    credentials: LOCAL_CREDENTIALS,
    ...(options.plumbing ? { maxAttempts: 2, signer: unsignedSigner(service, region) } : {}),
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
  };
}

// The factories carry the emulator settings: SQS never sends to the queue URL's host (fauxqs URLs carry hosts
// that do not resolve), Kinesis speaks HTTP/1.1 (kinesalite rejects HTTP/2), S3 is path-style with an endpoint.
export const localSqsClient = (endpoints: Pick<LocalClientEndpoints, 'sqs' | 'region'>, options: LocalClientOptions = {}): SQSClient =>
  createSqsClient({ ...settings('sqs', endpoints, options), endpoint: endpoints.sqs });

/** `requestTimeoutMs`: give up on a request that hangs (a Kinesis engine still starting). */
export const localKinesisClient = (
  endpoints: Pick<LocalClientEndpoints, 'kinesis' | 'region'>,
  options: LocalClientOptions & { readonly requestTimeoutMs?: number } = {},
): KinesisClient =>
  createKinesisClient({
    ...settings('kinesis', endpoints, options),
    endpoint: endpoints.kinesis,
    ...(options.requestTimeoutMs !== undefined
      ? { requestHandler: new NodeHttpHandler({ requestTimeout: options.requestTimeoutMs }) }
      : {}),
  });

export const localS3Client = (endpoints: Pick<LocalClientEndpoints, 's3' | 'region'>, options: LocalClientOptions = {}): S3Client =>
  createS3Client({ ...settings('s3', endpoints, options), endpoint: endpoints.s3 });

/** All four services' clients for the local cloud's own use (provisioning, status, demo, console, tests). */
export interface LocalClients {
  sqs: SQSClient;
  kinesis: KinesisClient;
  s3: S3Client;
  /** only when a DynamoDB endpoint is given */
  dynamodb?: DynamoDBClient;
  destroy(): void;
}

export function createLocalClients(endpoints: LocalClientEndpoints, region = LOCAL_REGION): LocalClients {
  const at = { ...endpoints, region };
  const sqs = localSqsClient(at);
  const kinesis = localKinesisClient(at);
  const s3 = localS3Client(at);
  const dynamodb = endpoints.dynamodb ? createDynamoDbClient({ ...settings('dynamodb', at, {}), endpoint: endpoints.dynamodb }) : undefined;
  return {
    sqs,
    kinesis,
    s3,
    ...(dynamodb ? { dynamodb } : {}),
    destroy: () => {
      sqs.destroy();
      kinesis.destroy();
      s3.destroy();
      dynamodb?.destroy();
    },
  };
}
