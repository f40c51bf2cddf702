import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../local/clock';
import { createLogSink } from '../../../local/lambda/log-sink';
import type { LambdaService } from '../../../local/lambda/service';
import type { InvocationReport, LocalFunction, LocalQueue, LocalSqsMapping } from '../../../local/types';
import { queueDepth } from '../../../local/status';
import { createQueue, emptyTopology, fixtureFunction, readLines, sendJobs, startEmulators, type Emulators } from './harness';
import { useForFile } from '../../support/hooks';
import { serviceEachTest } from './hooks';
import { tempFile } from '../../support/temp';
import { waitFor } from '../../support/wait';

let e: Emulators;
let n = 0;
useForFile(startEmulators, (started) => {
  e = started;
});
const startService = serviceEachTest();

function mapping(fn: LocalFunction, queue: LocalQueue, overrides: Partial<LocalSqsMapping> = {}): LocalSqsMapping {
  return {
    logicalId: `${fn.name}Mapping`,
    functionLogicalId: fn.logicalId,
    queue,
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    reportBatchItemFailures: true,
    enabled: true,
    ...overrides,
  };
}

async function start(fn: LocalFunction, m: LocalSqsMapping, timeScale = 1, pollers?: number): Promise<LambdaService> {
  return startService(emptyTopology(e.endpoints, { functions: [fn], queues: [m.queue], sqsMappings: [m] }), {
    clock: createClock(timeScale),
    logSink: createLogSink(),
    ...(pollers !== undefined ? { pollersPerQueue: pollers } : {}),
  });
}

const seen = (reports: readonly InvocationReport[], id: string): number => reports.filter((r) => r.recordIds.includes(id)).length;

describe('SQS event source mapping', () => {
  it('processes each job once, in one invocation, and deletes it', async () => {
    const q = await createQueue(e, `jobs-${++n}`);
    const log = tempFile('records.jsonl');
    const fn = fixtureFunction(`worker${n}`, 'scripted', { environment: { RECORD_LOG: log } });
    const s = await start(fn, mapping(fn, q, { batchSize: 5 }));
    const ids = Array.from({ length: 20 }, (_, i) => `job-${i}`);
    await sendJobs(
      e,
      q,
      ids.map((id) => ({ id, action: 'ok' })),
    );
    await waitFor('all jobs processed', () => new Set(s.reports.flatMap((r) => r.recordIds)).size === 20, { timeoutMs: 20_000 });
    await waitFor('queue empty', async () => (await queueDepth(e.sqs, q.url)).visible + (await queueDepth(e.sqs, q.url)).inFlight === 0, {
      timeoutMs: 10_000,
    });
    const lines = readLines<{ id: string }>(log);
    expect(lines.map((l) => l.id).sort()).toEqual([...ids].sort()); // each exactly once
    expect(s.reports.every((r) => r.outcome === 'ok' && r.recordIds.length <= 5)).toBe(true);
    expect(s.stats().functions[fn.name]).toMatchObject({ recordsOk: 20, recordsFailed: 0, errors: 0 });
  });

  it('with ReportBatchItemFailures deletes only the successes; the failure comes back after the visibility timeout', async () => {
    const q = await createQueue(e, `partial-${++n}`, { visibilityTimeoutSeconds: 2 });
    const fn = fixtureFunction(`partial${n}`, 'scripted');
    const s = await start(fn, mapping(fn, q, { batchSize: 10, maximumBatchingWindowSeconds: 1 }), 1, 1);
    await sendJobs(e, q, [{ id: 'good-1' }, { id: 'bad', action: 'fail' }, { id: 'good-2' }]);
    await waitFor('the failed message to come back', () => seen(s.reports, 'bad') >= 2, { timeoutMs: 20_000 });
    const first = s.reports.find((r) => r.recordIds.includes('bad'))!;
    expect(first.outcome).toBe('partial');
    expect(first.failedIds).toEqual(['bad']);
    expect(seen(s.reports, 'good-1')).toBe(1);
    expect(seen(s.reports, 'good-2')).toBe(1);
  });

  it('treats an unknown itemIdentifier as a whole-batch failure: nothing is deleted', async () => {
    const q = await createQueue(e, `bogus-${++n}`, { visibilityTimeoutSeconds: 1 });
    const fn = fixtureFunction(`bogus${n}`, 'scripted');
    const s = await start(fn, mapping(fn, q, { batchSize: 10, maximumBatchingWindowSeconds: 1 }), 1, 1);
    await sendJobs(e, q, [{ id: 'x1' }, { id: 'x2', action: 'bogus-id' }]);
    await waitFor('the whole batch to be redelivered', () => seen(s.reports, 'x1') >= 2, { timeoutMs: 20_000 });
    expect(s.reports[0]!.outcome).toBe('error');
    expect(s.reports[0]!.error).toMatch(/not in the batch/);
  });

  it('moves a poison job to the DLQ after exactly maxReceiveCount receives, at the scaled pace, and no good job', async () => {
    const dlq = await createQueue(e, `dlq-${++n}`);
    const q = await createQueue(e, `poison-${n}`, { visibilityTimeoutSeconds: 30, dlq, maxReceiveCount: 3 });
    const log = tempFile('records.jsonl');
    const fn = fixtureFunction(`poison${n}`, 'scripted', { environment: { RECORD_LOG: log } });
    // 30 s visibility × 0.02 = 0.6 s per cycle
    const s = await start(fn, mapping(fn, q, { batchSize: 1 }), 0.02);
    await sendJobs(e, q, [{ id: 'poison', action: 'throw' }, { id: 'fine-1' }, { id: 'fine-2' }]);
    const dead = await waitFor(
      'the poison job in the DLQ',
      async () =>
        (await e.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages,
      { timeoutMs: 30_000 },
    );
    expect(dead.map((m) => JSON.parse(m.Body!).id)).toEqual(['poison']);
    expect(seen(s.reports, 'poison')).toBe(3);
    const receiveCounts = readLines<{ id: string; receiveCount: number }>(log)
      .filter((l) => l.id === 'poison')
      .map((l) => l.receiveCount);
    expect(receiveCounts).toEqual([1, 2, 3]);
    expect(seen(s.reports, 'fine-1') + seen(s.reports, 'fine-2')).toBe(2);
    expect(await queueDepth(e.sqs, q.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('counts a timeout as a failed batch: the environment is replaced and the job is retried', async () => {
    const q = await createQueue(e, `timeout-${++n}`, { visibilityTimeoutSeconds: 30 });
    const log = tempFile('records.jsonl');
    const fn = fixtureFunction(`timeout${n}`, 'scripted', { timeoutSeconds: 1, environment: { RECORD_LOG: log } });
    const s = await start(fn, mapping(fn, q, { batchSize: 1 }), 0.05, 1);
    await sendJobs(e, q, [{ id: 'slow', action: 'hang' }]);
    await waitFor('two timed-out attempts', () => s.reports.filter((r) => r.outcome === 'timeout').length >= 2, { timeoutMs: 30_000 });
    expect(s.stats().functions[fn.name]!.timeouts).toBeGreaterThanOrEqual(2);
    const pids = readLines<{ pid: number }>(log).map((l) => l.pid);
    expect(new Set(pids).size).toBe(pids.length); // every attempt ran in a fresh environment
  });

  it('counts a crash (process.exit in the handler) as a failed batch and keeps polling', async () => {
    const q = await createQueue(e, `crash-${++n}`, { visibilityTimeoutSeconds: 30 });
    const fn = fixtureFunction(`crash${n}`, 'scripted');
    const s = await start(fn, mapping(fn, q, { batchSize: 1 }), 0.02, 1);
    await sendJobs(e, q, [{ id: 'boom', action: 'exit' }]);
    await waitFor('a crash report', () => s.reports.some((r) => r.outcome === 'crash'), { timeoutMs: 20_000 });
    await sendJobs(e, q, [{ id: 'after' }]);
    await waitFor('the next job to succeed', () => s.reports.some((r) => r.recordIds.includes('after') && r.outcome === 'ok'), {
      timeoutMs: 20_000,
    });
  });

  it('gathers a batch during the batching window and shares the queue among several pollers', async () => {
    const q = await createQueue(e, `window-${++n}`);
    const fn = fixtureFunction(`window${n}`, 'scripted');
    const s = await start(fn, mapping(fn, q, { batchSize: 50, maximumBatchingWindowSeconds: 2 }), 1, 1);
    await sendJobs(
      e,
      q,
      Array.from({ length: 50 }, (_, i) => ({ id: `w${i}` })),
    );
    await waitFor('50 records', () => s.reports.reduce((a, r) => a + r.recordIds.length, 0) === 50, { timeoutMs: 20_000 });
    expect(s.reports.length).toBeLessThanOrEqual(2); // 50 messages arrive in ≤ 2 invocations, not 5+ of 10
  });

  it('deletes messages that do not match the filter criteria without invoking the function', async () => {
    const q = await createQueue(e, `filter-${++n}`);
    const fn = fixtureFunction(`filter${n}`, 'scripted');
    const m = mapping(fn, q, { filterCriteria: { Filters: [{ Pattern: JSON.stringify({ body: { id: [{ prefix: 'keep' }] } }) }] } });
    const s = await start(fn, m, 1, 1);
    await sendJobs(e, q, [{ id: 'keep-1' }, { id: 'drop-1' }, { id: 'keep-2' }]);
    await waitFor(
      'queue drained',
      async () => {
        const d = await queueDepth(e.sqs, q.url);
        return d.visible + d.inFlight === 0 && s.reports.flatMap((r) => r.recordIds).length === 2;
      },
      { timeoutMs: 20_000 },
    );
    expect(s.reports.flatMap((r) => r.recordIds).sort()).toEqual(['keep-1', 'keep-2']);
  });

  it('does not start disabled mappings', async () => {
    const q = await createQueue(e, `disabled-${++n}`);
    const fn = fixtureFunction(`disabled${n}`, 'scripted');
    const s = await start(fn, mapping(fn, q, { enabled: false }));
    expect(s.hosts.size).toBe(0);
    expect(s.pids()).toEqual([]);
  });
});
