/** Real aws-lambda event shapes, envelopes and a Context, for handler tests. */
import type { Context, KinesisStreamEvent, KinesisStreamRecord, SQSEvent, SQSRecord } from 'aws-lambda';
import { newEvent, newJob, type KnownEvent, type KnownJob } from '../../lambdas/shared/envelope';
import type { EventData, JobData } from '../../lambdas/shared/registry';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
export const STREAM_ARN = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/events`;
export const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:jobs`;

export function lambdaContext(functionName = 'test-function'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

let messageCounter = 0;
export function sqsRecord(body: string, receiveCount = 1): SQSRecord {
  messageCounter += 1;
  const messageId = `msg-${String(messageCounter).padStart(4, '0')}`;
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1767225600000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1767225600001',
    },
    messageAttributes: {},
    md5OfBody: 'not-checked',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: REGION,
  };
}

export const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });

let sequence = 49_600_000_000_000_000_000_000_000_000_000_000_000n;
/** A Kinesis record whose data is the given bytes, text, or (for an object) its JSON. */
export function kinesisRecord(data: string | Uint8Array | object, partitionKey = 'order-1'): KinesisStreamRecord {
  sequence += 1n;
  const bytes =
    typeof data === 'string'
      ? Buffer.from(data, 'utf8')
      : data instanceof Uint8Array
        ? Buffer.from(data)
        : Buffer.from(JSON.stringify(data), 'utf8');
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey,
      sequenceNumber: sequence.toString(),
      data: bytes.toString('base64'),
      approximateArrivalTimestamp: 1_767_225_600.123,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${sequence.toString()}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/consumer`,
    awsRegion: REGION,
    eventSourceARN: STREAM_ARN,
  };
}

export const kinesisEvent = (records: KinesisStreamRecord[]): KinesisStreamEvent => ({ Records: records });
/** A Kinesis record carrying an event envelope, keyed by its partition key (as publishEvents writes it). */
export const eventRecord = (event: KnownEvent): KinesisStreamRecord => kinesisRecord(event, event.partitionKey);

let orderCounter = 0;
const nextOrderId = () => `order-${++orderCounter}`;

export function orderPlaced(data: Partial<EventData<'OrderPlaced'>> = {}): KnownEvent<'OrderPlaced'> {
  const orderId = data.orderId ?? nextOrderId();
  return newEvent(
    'OrderPlaced',
    {
      orderId,
      customerEmail: 'ada@example.com',
      items: [{ sku: 'BOOK-1', quantity: 2, unitPriceCents: 1250 }],
      totalCents: 2500,
      currency: 'EUR',
      ...data,
    },
    { partitionKey: orderId },
  );
}

export function orderShipped(data: Partial<EventData<'OrderShipped'>> = {}): KnownEvent<'OrderShipped'> {
  const orderId = data.orderId ?? nextOrderId();
  return newEvent(
    'OrderShipped',
    { orderId, customerEmail: 'ada@example.com', carrier: 'DHL', trackingNumber: 'JD0001', ...data },
    { partitionKey: orderId },
  );
}

export const sendEmailJob = (data: Partial<JobData<'send-email'>> = {}): KnownJob<'send-email'> =>
  newJob(
    'send-email',
    { to: 'ada@example.com', template: 'order-confirmation', orderId: 'order-1', ...data },
    { jobKey: data.orderId ?? 'order-1' },
  );

export const resizeImageJob = (data: Partial<JobData<'resize-image'>> = {}): KnownJob<'resize-image'> =>
  newJob('resize-image', { sourceKey: 'uploads/cat.jpg', widths: [320, 640], ...data }, { jobKey: data.sourceKey ?? 'uploads/cat.jpg' });

export const paymentJob = (data: Partial<JobData<'process-payment'>> = {}): KnownJob<'process-payment'> =>
  newJob(
    'process-payment',
    { orderId: 'order-1', amountCents: 2500, currency: 'EUR', paymentToken: 'tok_visa', ...data },
    { jobKey: data.orderId ?? 'order-1' },
  );

/** Captures what Powertools writes (logs on stdout/stderr, EMF metrics on stdout) as parsed JSON lines. */
export function captureOutput(): { lines: () => Array<Record<string, unknown>>; restore: () => void } {
  const chunks: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const capture = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  return {
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim().startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    },
  };
}

/** The metric values in captured EMF lines: `name{dim=value}` → value. */
export function emfMetrics(lines: ReadonlyArray<Record<string, unknown>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    const aws = line['_aws'] as { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } | undefined;
    if (aws === undefined) continue;
    for (const directive of aws.CloudWatchMetrics) {
      const dims = (directive.Dimensions[0] ?? [])
        .filter((d) => d !== 'service')
        .map((d) => `${d}=${String(line[d])}`)
        .join(',');
      for (const { Name } of directive.Metrics) {
        const key = dims ? `${Name}{${dims}}` : Name;
        out[key] = (out[key] ?? 0) + Number(line[Name]);
      }
    }
  }
  return out;
}
