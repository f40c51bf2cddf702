import { describe, expect, it } from 'vitest';
import { createClock } from '../../../local/clock';
import { createLogSink } from '../../../local/lambda/log-sink';
import { startLambdaService } from '../../../local/lambda/service';
import { createQueue, createStream, emptyTopology, fixtureFunction, sendJobs, startEmulators, type Emulators } from './harness';
import { useForFile } from '../../support/hooks';
import { alive, childPids } from '../../support/processes';
import { waitFor } from '../../support/wait';

let e: Emulators;
useForFile(startEmulators, (started) => {
  e = started;
});

describe('local Lambda service', () => {
  it('fails to start, naming function and file, when a handler throws at import, and leaves no process behind', async () => {
    const q = await createQueue(e, 'svc-import');
    const good = fixtureFunction('good', 'scripted');
    const bad = fixtureFunction('bad', 'import-error');
    const topology = emptyTopology(e.endpoints, {
      functions: [good, bad],
      sqsMappings: [good, bad].map((fn) => ({
        logicalId: `${fn.name}M`,
        functionLogicalId: fn.logicalId,
        queue: q,
        batchSize: 1,
        maximumBatchingWindowSeconds: 0,
        reportBatchItemFailures: false,
        enabled: true,
      })),
    });
    const before = new Set(childPids());
    const err = await startLambdaService(topology, { clock: createClock(1), logSink: createLogSink() }).then(
      () => undefined,
      (x: unknown) => x as Error,
    );
    expect(err?.message).toMatch(/function bad failed to initialize: .*import-error\/index\.js: Error: boom at import/);
    await waitFor('no new child processes', () => childPids().every((p) => before.has(p)), { timeoutMs: 5000 });
  });

  it('runs a worker and consumers side by side, pauses by function name, and stops with no orphan', async () => {
    const q = await createQueue(e, 'svc-jobs');
    const stream = await createStream(e, 'svc-events');
    const worker = fixtureFunction('worker', 'scripted');
    const consumer = fixtureFunction('consumer', 'scripted');
    const s = await startLambdaService(
      emptyTopology(e.endpoints, {
        functions: [worker, consumer],
        sqsMappings: [
          {
            logicalId: 'WorkerM',
            functionLogicalId: worker.logicalId,
            queue: q,
            batchSize: 10,
            maximumBatchingWindowSeconds: 0,
            reportBatchItemFailures: true,
            enabled: true,
          },
        ],
        kinesisMappings: [
          {
            logicalId: 'ConsumerM',
            functionLogicalId: consumer.logicalId,
            stream,
            batchSize: 10,
            maximumBatchingWindowSeconds: 0,
            startingPosition: 'TRIM_HORIZON',
            bisectBatchOnFunctionError: true,
            maximumRetryAttempts: 2,
            maximumRecordAgeInSeconds: -1,
            parallelizationFactor: 1,
            reportBatchItemFailures: true,
            enabled: true,
          },
        ],
      }),
      { clock: createClock(0.1), logSink: createLogSink(), pollersPerQueue: 2 },
    );
    try {
      const seen: string[] = [];
      s.events.on('invocation', (r: { recordIds: string[] }) => seen.push(...r.recordIds));
      await sendJobs(e, q, [{ id: 'j1' }, { id: 'j2' }]);
      await waitFor('jobs done', () => s.stats().functions.worker!.recordsOk === 2, { timeoutMs: 20_000 });
      expect(seen.sort()).toEqual(['j1', 'j2']);
      expect(() => s.pause('nobody')).toThrow(/no event source mapping or function named nobody/);
      s.pause('consumer');
      expect(s.mappingStats().ConsumerM!.paused).toBe(true);
      s.resume('consumer');
      expect(Object.keys(s.stats().functions).sort()).toEqual(['consumer', 'worker']);
    } finally {
      const pids = s.pids();
      expect(pids.length).toBeGreaterThan(0);
      await s.stop();
      for (const pid of pids) expect(alive(pid)).toBe(false);
    }
  });
});
