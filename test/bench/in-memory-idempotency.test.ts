import { describe, expect, it } from 'vitest';
import { installInMemoryIdempotency } from '../../bench/figures/in-memory-idempotency';
import { createIdempotency } from '../../lambdas/shared/idempotency';

describe('figure 3 in-memory idempotency store', () => {
  const store = installInMemoryIdempotency();
  store.mode = 'memory';
  // The DynamoDB persistence layer as the handlers build it; no endpoint: any call reaching DynamoDB would fail.
  const idempotency = createIdempotency({ tableName: 'no-such-table', expiresAfterSeconds: 3600, scope: 'bench-test' });
  idempotency.registerLambdaContext({ getRemainingTimeInMillis: () => 60_000 } as never);

  it('runs the work once per id and returns the stored result to a duplicate, without I/O', async () => {
    let calls = 0;
    const once = idempotency.once(async (p: { id: string; n: number }) => ({ n: p.n, call: ++calls }));
    const before = store.size();
    await expect(once({ id: 'a1', n: 1 })).resolves.toEqual({ duplicate: false, result: { n: 1, call: 1 } });
    await expect(once({ id: 'a1', n: 1 })).resolves.toMatchObject({ duplicate: true, result: { n: 1, call: 1 } });
    await expect(once({ id: 'a2', n: 2 })).resolves.toEqual({ duplicate: false, result: { n: 2, call: 2 } });
    expect(calls).toBe(2);
    expect(store.size() - before).toBe(2);
  });

  it('deletes the record when the work throws, so a retry runs it again', async () => {
    let fail = true;
    const once = idempotency.once(async (_p: { id: string }) => {
      if (fail) throw new Error('boom');
      return 'ok';
    });
    await expect(once({ id: 'b1' })).rejects.toThrow('boom');
    fail = false;
    await expect(once({ id: 'b1' })).resolves.toEqual({ duplicate: false, result: 'ok' });
  });

  it("keeps DynamoDB's conditional put: a concurrent duplicate finds the record in progress", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const once = idempotency.once(async (_p: { id: string }) => gate);
    const first = once({ id: 'c1' });
    await expect(once({ id: 'c1' })).rejects.toThrow(/in progress|already/i);
    release();
    await expect(first).resolves.toEqual({ duplicate: false, result: null });
  });
});
