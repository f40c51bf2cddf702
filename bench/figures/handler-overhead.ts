/**
 * Figure 3: per-record cost of the real handlers (job worker, analytics consumer) vs a bare loop over the same
 * domain functions, in µs per record, over batches of 10 and 100 records. Runs in child processes (see
 * handler-overhead-child.ts) so that telemetry settings apply at module load and their output can go to /dev/null.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { timeProcess } from '../lib/proc';
import { interleave, median, round } from '../lib/stats';
import type { BenchOptions, FigureResult, Row } from '../lib/types';

export const OVERHEAD_TARGET_US = 10;

type Mode = 'silent' | 'logging';

const MODE_ENV: Record<Mode, Record<string, string>> = {
  // Logger below every level; metrics disabled (Powertools then skips EMF serialization and printing).
  silent: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  // As deployed: INFO logs (one line per record) and EMF metrics, written to /dev/null.
  logging: { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'false' },
};

export async function handlerOverheadFigure(options: BenchOptions): Promise<FigureResult> {
  const started = Date.now();
  const children = options.quick ? 1 : 2;
  const samplesPerChild = options.quick ? 3 : 11;
  const recordsPerSample = options.quick ? 500 : 2000;
  const child = path.join(options.root, 'bench', 'figures', 'handler-overhead-child.ts');
  const tsx = require.resolve('tsx/cli', { paths: [options.root] });
  const merged: Record<Mode, Record<string, number[]>> = { silent: {}, logging: {} };

  let k = 0;
  for (const mode of interleave<Mode>(['silent', 'logging'], children)) {
    const file = path.join(options.tmp, `overhead-${k++}.json`);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'bench',
      POWERTOOLS_SERVICE_NAME: 'bench',
      POWERTOOLS_METRICS_NAMESPACE: 'QueueAndStream',
      ...MODE_ENV[mode],
      BENCH_RESULT_FILE: file,
      BENCH_SAMPLES: String(samplesPerChild),
      BENCH_RECORDS_PER_SAMPLE: String(recordsPerSample),
    };
    await timeProcess(process.execPath, [tsx, child], { env, cwd: options.root, stdout: 'ignore', timeoutMs: 300_000 });
    const { usPerRecord } = JSON.parse(fs.readFileSync(file, 'utf8')) as { usPerRecord: Record<string, number[]> };
    for (const [name, values] of Object.entries(usPerRecord)) (merged[mode][name] ??= []).push(...values);
    options.log(`  child ${mode} done`);
  }

  const rows: Row[] = [];
  for (const fn of ['worker', 'analytics'] as const) {
    for (const size of [10, 100]) {
      for (const mode of ['silent', 'logging'] as Mode[]) {
        const handler = merged[mode][`${fn}/handler/${size}`]!;
        const bare = merged[mode][`${fn}/bare/${size}`]!;
        const h = median(handler);
        const b = median(bare);
        const overhead = h - b;
        const label = fn === 'worker' ? 'job-worker' : 'analytics';
        rows.push({
          name: `${label}, batch ${size}, ${mode === 'silent' ? 'telemetry silenced' : 'INFO logs + EMF to /dev/null'}: overhead per record`,
          value: round(overhead),
          unit: 'µs',
          baseline: { label: 'bare loop (parse + domain function)', value: round(b), unit: 'µs/record' },
          ratio: round(h / b),
          ...(mode === 'silent' ? { target: { text: `≤ ${OVERHEAD_TARGET_US} µs`, pass: overhead <= OVERHEAD_TARGET_US } } : {}),
          n: handler.length,
          note: `handler ${round(h)} µs/record vs bare ${round(b)} µs/record` + (mode === 'logging' ? '; informative: what the per-record log line and the EMF line cost on top' : ''),
        });
      }
    }
  }
  return {
    id: '3',
    title: 'Handler framework overhead',
    method:
      `The real handlers (lambdas/job-worker/handler.ts, lambdas/analytics/handler.ts, imported through tsx) invoked with synthetic SQS / Kinesis ` +
      `events of 10 and 100 valid records (jobs: send-email, process-payment, resize-image in turn, through the worker's fakes, which do no I/O; ` +
      `events: OrderPlaced / OrderShipped), against a bare loop over the same work: parseJob + runJob with the same fakes, or base64 decode + ` +
      `parseEvent + metricsFor. Overhead = handler − bare, in µs per record (Powertools BatchProcessor, our BatchCounters, Logger, Metrics). ` +
      `A sample runs ${recordsPerSample} records' worth of invocations; the 8 series alternate within each child process after 3 unrecorded ` +
      `warm-up rounds; ${children} child process(es) per telemetry mode, alternating modes, ${samplesPerChild} samples each; medians. ` +
      `Telemetry silenced = POWERTOOLS_LOG_LEVEL=SILENT and POWERTOOLS_METRICS_DISABLED=true (Powertools then neither serializes nor prints EMF); ` +
      `as deployed = INFO (one log line per record) with EMF on. The children's stdout is /dev/null, cheaper than Lambda's log pipe, so the ` +
      `logging rows are a lower bound. The target applies to the framework (silenced rows).`,
    rows,
    raw: { usPerRecord: merged },
    durationMs: Date.now() - started,
  };
}
