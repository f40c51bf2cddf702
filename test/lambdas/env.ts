/** Environment the CDK construct gives the functions; imported first by handler tests (before any handler). */
process.env['POWERTOOLS_SERVICE_NAME'] ??= 'test-service';
process.env['POWERTOOLS_METRICS_NAMESPACE'] ??= 'QueueAndStream';
process.env['POWERTOOLS_LOG_LEVEL'] ??= 'DEBUG';
process.env['JOB_QUEUE_URL'] ??= 'http://sqs.us-east-1.127.0.0.1:4566/000000000000/jobs';
process.env['JOB_MAX_MESSAGE_BYTES'] ??= '1048576';
process.env['AWS_REGION'] ??= 'us-east-1';
export {};
