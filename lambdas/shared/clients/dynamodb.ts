import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/** DynamoDB client (idempotency records); AWS_ENDPOINT_URL_DYNAMODB points it at the local emulator. */
export const createDynamoDbClient = (config: DynamoDBClientConfig = {}): DynamoDBClient => new DynamoDBClient(config);

let shared: DynamoDBClient | undefined;
/** The execution environment's DynamoDB client, reused across invocations (see aws-clients.ts). */
export const dynamoDbClient = (): DynamoDBClient => (shared ??= createDynamoDbClient());
