import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpRequest } from '@smithy/types';
import { LOCAL_CREDENTIALS as credentials } from '../../lib/contract';
import type { LocalEndpoints } from '../types';

// Clients the lambda half uses itself (pollers, on-failure destinations, the Firehose stand-in).

/**
 * The local cloud's own requests carry a well-formed but unsigned SigV4 header. The emulators accept any
 * credentials and never check a signature, but kinesalite insists on the header's shape; SigV4 signing
 * (HMACs over a canonical request) was ~9 % of the local cloud's main event loop under figure 4's load
 * (BENCHMARKS.md). The functions' own clients sign as deployed: they are the code under test, this is plumbing.
 */
function unsignedSigner(service: string, region: string): { sign(request: HttpRequest): Promise<HttpRequest> } {
  return {
    sign: async (request) => {
      const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
      request.headers['x-amz-date'] = amzDate;
      request.headers['authorization'] =
        `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${amzDate.slice(0, 8)}/${region}/${service}/aws4_request, ` +
        'SignedHeaders=host;x-amz-date, Signature=unsigned-local';
      return request;
    },
  };
}

export function sqsClient(endpoints: LocalEndpoints): SQSClient {
  // emulator queue URLs carry hosts that do not resolve here: always talk to the endpoint
  return new SQSClient({
    region: endpoints.region,
    endpoint: endpoints.sqs,
    credentials,
    useQueueUrlAsEndpoint: false,
    maxAttempts: 2,
    signer: unsignedSigner('sqs', endpoints.region),
  });
}

export function kinesisClient(endpoints: LocalEndpoints): KinesisClient {
  // kinesalite rejects HTTP/2: force HTTP/1.1
  return new KinesisClient({
    region: endpoints.region,
    endpoint: endpoints.kinesis,
    credentials,
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 2,
    signer: unsignedSigner('kinesis', endpoints.region),
  });
}

export function s3Client(endpoints: LocalEndpoints): S3Client {
  return new S3Client({
    region: endpoints.region,
    endpoint: endpoints.s3,
    credentials,
    forcePathStyle: true,
    maxAttempts: 2,
    signer: unsignedSigner('s3', endpoints.region),
  });
}
