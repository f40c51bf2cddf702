// Lambda durations measured by the bench (`npm run bench`, figure 7, bench/figures/capacity.ts), which writes
// tools/cost/measured.json: invocation times of each consumer for 1 record and for 100 stream records (of
// which its filter delivers recordsDeliveredPerBatch100) and of the worker at batch 1 and 10, under AWS-like
// latency for DynamoDB and SQS. The model turns each pair into a line, duration = fixed + perRecord × batch
// (flow.ts: durationModel). The file is optional: without it the model assumes ASSUMED_DURATION_MS and says so.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface MeasuredConsumer {
  /** one record of a type it handles per invocation */
  msPerInvocationBatch1: number;
  /** a batch of 100 stream records, of which its mapping's filter delivered recordsDeliveredPerBatch100 */
  msPerInvocationBatch100: number;
  /** stream records per second of back-to-back batches of 100: what one shard slot keeps up with (PF 1) */
  recordsPerSecondPerShard: number;
  /** of the 100 stream records, how many reached the handler (absent: 100, no filter) */
  recordsDeliveredPerBatch100?: number;
}

export interface MeasuredDurations {
  generatedBy: string;
  generatedAt: string;
  latencyMs: { dynamodb: number; sqs: number };
  consumers: Record<string, MeasuredConsumer>;
  worker: { msPerInvocationBatch1: number; msPerInvocationBatch10: number };
  /** the file it was read from (set by loadMeasured) */
  file?: string;
}

/** Where the bench writes it. */
export const DEFAULT_MEASURED_FILE = path.join(__dirname, 'measured.json');

/** Checks the shape of measured.json, naming the first field that is missing or not a number ≥ 0. */
export function validateMeasured(data: unknown, file = 'measured.json'): MeasuredDurations {
  const fail = (field: string, why = 'must be a number ≥ 0') => {
    throw new Error(`${file}: ${field} ${why}`);
  };
  const obj = (v: unknown, field: string) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(field, 'must be an object');
    return v as Record<string, unknown>;
  };
  const n = (o: Record<string, unknown>, key: string, field: string) => {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`${field}.${key}`);
  };
  const root = obj(data, '(root)');
  if (typeof root.generatedAt !== 'string' || Number.isNaN(Date.parse(root.generatedAt))) fail('generatedAt', 'must be an ISO date');
  const latency = obj(root.latencyMs, 'latencyMs');
  n(latency, 'dynamodb', 'latencyMs');
  n(latency, 'sqs', 'latencyMs');
  const consumers = obj(root.consumers, 'consumers');
  for (const [name, c] of Object.entries(consumers)) {
    const entry = obj(c, `consumers.${name}`);
    for (const key of ['msPerInvocationBatch1', 'msPerInvocationBatch100', 'recordsPerSecondPerShard']) n(entry, key, `consumers.${name}`);
    if (entry.recordsDeliveredPerBatch100 !== undefined) {
      n(entry, 'recordsDeliveredPerBatch100', `consumers.${name}`);
      if ((entry.recordsDeliveredPerBatch100 as number) > 100) fail(`consumers.${name}.recordsDeliveredPerBatch100`, 'must be at most 100');
    }
  }
  const worker = obj(root.worker, 'worker');
  n(worker, 'msPerInvocationBatch1', 'worker');
  n(worker, 'msPerInvocationBatch10', 'worker');
  return { generatedBy: typeof root.generatedBy === 'string' ? root.generatedBy : 'unknown', ...(root as object) } as MeasuredDurations;
}

/** Reads and checks a measured.json; undefined when `file` does not exist and `required` is false. */
export function loadMeasured(file = DEFAULT_MEASURED_FILE, required = false): MeasuredDurations | undefined {
  if (!fs.existsSync(file)) {
    if (required) throw new Error(`no measured durations at ${file}`);
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} is not JSON: ${(e as Error).message}`);
  }
  return { ...validateMeasured(data, file), file };
}
