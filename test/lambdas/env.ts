/** Environment the CDK construct gives the functions; imported first by handler tests (before any handler). */
process.env['POWERTOOLS_SERVICE_NAME'] ??= 'test-service';
process.env['POWERTOOLS_METRICS_NAMESPACE'] ??= 'QueueAndStream';
process.env['POWERTOOLS_LOG_LEVEL'] ??= 'DEBUG';
process.env['JOB_QUEUE_URL'] ??= 'http://sqs.us-east-1.127.0.0.1:4566/000000000000/jobs';
process.env['JOB_MAX_MESSAGE_BYTES'] ??= '1048576';
process.env['IDEMPOTENCY_TABLE_NAME'] ??= 'idempotency';
process.env['IDEMPOTENCY_EXPIRY_SECONDS'] ??= String(14 * 24 * 3600);
process.env['AWS_REGION'] ??= 'us-east-1';
// Dummy credentials for the in-process DynamoDB emulator (idempotency-store.ts); nothing reaches AWS.
process.env['AWS_ACCESS_KEY_ID'] ??= 'test';
process.env['AWS_SECRET_ACCESS_KEY'] ??= 'test';
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
export {};
