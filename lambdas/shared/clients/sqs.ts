import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';

/**
 * SQS client with the template's settings. `useQueueUrlAsEndpoint: false`: requests go to the regional
 * endpoint (or AWS_ENDPOINT_URL_SQS) instead of the queue URL's host; our queues are in the client's region,
 * and emulator queue URLs carry hosts that do not resolve.
 */
export const createSqsClient = (config: SQSClientConfig = {}): SQSClient => new SQSClient({ useQueueUrlAsEndpoint: false, ...config });

let shared: SQSClient | undefined;
/** The execution environment's SQS client, reused across invocations (see aws-clients.ts). */
export const sqsClient = (): SQSClient => (shared ??= createSqsClient());
