// The Lambda service's tests' per-test lifecycle (a vitest hook; harness.ts stays free of vitest, since fixture
// processes import it).
import { afterEach, expect } from 'vitest';
import { startLambdaService, type LambdaService, type LambdaServiceOptions } from '../../../local/lambda/service';
import type { LocalTopology } from '../../../local/types';
import { alive } from '../../support/processes';

/**
 * For a test file whose tests each start a Lambda service: returns the starter. After each test the service it
 * started is stopped, and no runtime process of it may outlive stop().
 */
export function serviceEachTest(): (topology: LocalTopology, options: LambdaServiceOptions) => Promise<LambdaService> {
  let service: LambdaService | undefined;
  afterEach(async () => {
    if (!service) return;
    const stopping = service;
    service = undefined;
    const pids = stopping.pids();
    await stopping.stop();
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
  return async (topology, options) => {
    service = await startLambdaService(topology, options);
    return service;
  };
}
