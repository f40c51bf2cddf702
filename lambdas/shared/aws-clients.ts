/**
 * The client factory: the only place SQS, Kinesis, S3 and DynamoDB clients are built, for handlers, tools and the
 * local cloud (local/clients.ts points them at the emulators with the contract's local credentials). The tools'
 * control-plane clients (CloudFormation, Lambda, Athena) are built where they are used, loaded only on that path.
 *
 * - Endpoints come from the SDK's own variables (AWS_ENDPOINT_URL_SQS / _KINESIS / _S3 / _DYNAMODB), so the same code
 *   talks to AWS or to the local emulators; nothing here knows which. Tools may pass `{ endpoint, region }`.
 * - `sqsClient()` / `kinesisClient()` / `s3Client()` / `dynamoDbClient()` return one client per execution environment, built on
 *   first use at module level: reused across invocations it keeps its connection pool and resolved
 *   credentials warm instead of paying TLS and credential lookup on every invocation.
 * - Handlers import the per-service module (./clients/sqs ...) rather than this file: esbuild keeps every
 *   `require` of an external @aws-sdk package, and loading three SDK clients where one is used costs
 *   cold-start time.
 */
export { createDynamoDbClient, dynamoDbClient } from './clients/dynamodb';
export { createKinesisClient, kinesisClient } from './clients/kinesis';
export { createS3Client, s3Client } from './clients/s3';
export { createSqsClient, sqsClient } from './clients/sqs';
