import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { LocalEndpoints } from '../types';

// Clients the lambda half uses itself (pollers, on-failure destinations, the Firehose stand-in).
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export function sqsClient(endpoints: LocalEndpoints): SQSClient {
  // emulator queue URLs carry hosts that do not resolve here: always talk to the endpoint
  return new SQSClient({ region: endpoints.region, endpoint: endpoints.sqs, credentials, useQueueUrlAsEndpoint: false, maxAttempts: 2 });
}

export function kinesisClient(endpoints: LocalEndpoints): KinesisClient {
  // kinesalite rejects HTTP/2: force HTTP/1.1
  return new KinesisClient({ region: endpoints.region, endpoint: endpoints.kinesis, credentials, requestHandler: new NodeHttpHandler(), maxAttempts: 2 });
}

export function s3Client(endpoints: LocalEndpoints): S3Client {
  return new S3Client({ region: endpoints.region, endpoint: endpoints.s3, credentials, forcePathStyle: true, maxAttempts: 2 });
}
