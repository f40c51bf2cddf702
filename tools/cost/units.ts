// Units the model counts in: bytes, the billing units each service rounds a request or record to, a priced
// line of the estimate, and how numbers are written in the model's sentences.

export const KB = 1024;
export const GB = 1024 ** 3;
export const MIB = 1024 ** 2;

export interface LineItem {
  service: 'Kinesis' | 'SQS' | 'Lambda' | 'Firehose' | 'S3' | 'CloudWatch' | 'DynamoDB';
  what: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  usd: number;
}

export const line = (service: LineItem['service'], what: string, quantity: number, unit: string, unitPrice: number): LineItem => ({
  service,
  what,
  quantity,
  unit,
  unitPrice,
  usd: quantity * unitPrice,
});

export const sum = (lines: LineItem[]) => lines.reduce((t, l) => t + l.usd, 0);

/** Request units SQS bills for one API call carrying `bytes` of payload: each 64 KB chunk is one request. */
export function sqsChunks(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / (64 * KB)));
}
/** Kinesis provisioned-mode PUT payload units of one record: 25 KB each, at least one. */
export function putPayloadUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / (25 * KB)));
}
/** Bytes Firehose bills for one record: rounded up to the next 5 KB. */
export function firehoseBilledBytes(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / (5 * KB))) * 5 * KB;
}
/** Bytes on-demand Kinesis bills for one record: rounded up to the next 1 KB. */
export function onDemandBilledBytes(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / KB)) * KB;
}

/** Write request units of one write of an item of `bytes`: 1 per started 1 KB. */
export function dynamoWriteUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / KB));
}

/**
 * Size of a completed Powertools idempotency record, by DynamoDB's rules (attribute name bytes + value bytes;
 * a number is 1 byte per 2 significant digits + 1):
 * `id` = "<function name>#<base64 md5, 24 chars>", `status` = "COMPLETED", `expiration` (epoch s, 10 digits: 6 B),
 * `in_progress_expiration` (epoch ms, 13 digits: 8 B, left in place by the UpdateItem), `data` (the result).
 */
export function idempotencyItemBytes(functionName: string, resultBytes: number): number {
  const id = 2 + functionName.length + 1 + 24;
  const status = 6 + 'COMPLETED'.length;
  const expiration = 'expiration'.length + 6;
  const inProgress = 'in_progress_expiration'.length + 8;
  const data = 4 + resultBytes;
  return id + status + expiration + inProgress + data;
}

/** Milliseconds, about 3 significant digits. */
export const ms = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : Number(x.toPrecision(3)).toString());
/** A count rounded up. */
export const whole = (n: number) => Math.ceil(n - 1e-9).toLocaleString('en-US');
/** A rate, about 3 significant digits. */
export const about = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : Number(n.toPrecision(3)).toString());
