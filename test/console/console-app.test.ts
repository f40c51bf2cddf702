// The local console in a real browser (Debian's chromium through playwright-core), against the synthesized app:
// one local cloud and one page for the whole file. Every assertion reads the page as an operator would.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../local/index';
import { functionEnv } from '../../tools/ops/function-env';
import { createOpsClients, readEndpointsFile } from '../../tools/ops/resolve-stage';
import { synthesizeDevApp } from '../e2e/harness';
import { PROJECT_DIR } from '../support/paths';
import { browserSkipReason, openConsole } from './browser';
import { card, consumerCard, fieldNumber, fieldText, text, until } from './helpers';

const skip = browserSkipReason();

describe.skipIf(skip !== undefined)('local console (browser): the synthesized app', () => {
  let dir: string;
  let cloud: LocalCloud;
  let page: Page;
  let closeBrowser: (() => Promise<void>) | undefined;
  const terminal: string[] = [];
  const id = (pick: (c: LocalCloud) => { logicalId: string } | undefined): string => pick(cloud)!.logicalId;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-console-'));
    await synthesizeDevApp(path.join(dir, 'cdk.out'));
    cloud = await startLocalCloud({
      projectDir: PROJECT_DIR,
      assemblyDir: path.join(dir, 'cdk.out'),
      stateDir: path.join(dir, 'state'),
      ports: { sqs: 0, kinesis: 0 },
      timeScale: 0.01,
      quiet: true,
      console: { port: 0, log: (l) => terminal.push(l) },
    });
    ({ page, close: closeBrowser } = await openConsole(cloud.console!.url));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await cloud?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is announced in endpoints.json and draws every resource of the template, wired as the template wires them', async () => {
    const endpoints = JSON.parse(fs.readFileSync(cloud.endpointsFile, 'utf8')) as { endpoints: { console?: string } };
    expect(endpoints.endpoints.console).toBe(cloud.console!.url);
    expect(cloud.console!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const t = cloud.topology;
    const ids = [
      ...t.queues.map((x) => x.logicalId),
      ...t.streams.map((x) => x.logicalId),
      ...t.buckets.map((x) => x.logicalId),
      ...t.sqsMappings.map((x) => x.logicalId),
      ...t.kinesisMappings.map((x) => x.logicalId),
      ...t.deliveryStreams.map((x) => x.logicalId),
      ...cloud.provisioned.tables.map((x) => x.logicalId),
    ];
    expect(ids.length).toBeGreaterThan(10);
    for (const logicalId of ids) expect(await page.locator(`[data-node="${logicalId}"]`).count(), logicalId).toBeGreaterThan(0);
    for (const f of t.functions)
      expect(await page.locator(`[data-node="${f.logicalId}"], [data-function-node="${f.logicalId}"]`).count(), f.name).toBeGreaterThan(0);
    // each consumer of the manifest has its card, and the stream shows each of its shards
    for (const name of ['notifications', 'payments', 'analytics']) expect(await page.locator(consumerCard(name)).count()).toBe(1);
    const events = cloud.roles.events!;
    expect(await page.locator(`${card(events.logicalId)} [data-shard]`).count()).toBe(events.shardCount);
    // wires: queue → DLQ, stream → every consumer, consumer → failure bucket, stream → Firehose → archive
    const wire = (a: string, b: string) => page.locator(`path[data-edge="${a}->${b}"]`).count();
    expect(
      await wire(
        id((c) => c.roles.jobs),
        id((c) => c.roles.jobsDlq),
      ),
    ).toBe(1);
    for (const m of t.kinesisMappings) {
      expect(await wire(events.logicalId, m.logicalId)).toBe(1);
      expect(
        await wire(
          m.logicalId,
          id((c) => c.roles.failures),
        ),
      ).toBe(1);
    }
    expect(await wire(events.logicalId, t.deliveryStreams[0]!.logicalId)).toBe(1);
    expect(
      await wire(
        t.deliveryStreams[0]!.logicalId,
        id((c) => c.roles.archive),
      ),
    ).toBe(1);
  });

  it('a job sent from the page is done by the worker and the queue returns to 0', async () => {
    const worker = '.card.worker';
    const okBefore = await fieldNumber(page, worker, 'recordsOk');
    await page.selectOption('[data-input="job-type"]', 'resize-image');
    await page.selectOption('[data-input="job-variant"]', 'valid');
    await page.fill('[data-input="job-count"]', '3');
    await page.click('[data-act="send-job"]');
    await until(
      'the worker to do 3 more jobs',
      () => fieldNumber(page, worker, 'recordsOk'),
      (n) => n >= okBefore + 3,
    );
    const jobs = card(id((c) => c.roles.jobs));
    await until(
      'the jobs queue to be empty',
      async () => [await fieldNumber(page, jobs, 'visible'), await fieldNumber(page, jobs, 'inFlight')],
      ([v, f]) => v === 0 && f === 0,
    );
    expect(await text(page.locator('#activity li[data-action="send"] pre').first())).toContain('enqueued 3 of 3 jobs');
    expect(terminal.some((l) => l.includes('console: send kind=job type=resize-image'))).toBe(true);
  });

  it('a poison job shows in the DLQ view with its receives and the worker’s error; after the fix a redrive from the page empties it', async () => {
    const dlq = card(id((c) => c.roles.jobsDlq));
    const maxReceiveCount = cloud.roles.jobs!.redrivePolicy!.maxReceiveCount;
    await page.selectOption('[data-input="job-variant"]', 'declined-card');
    await page.fill('[data-input="job-count"]', '1');
    await page.click('[data-act="send-job"]');
    const row = page.locator(`${dlq} tr[data-message]`);
    await until(
      'the poison job in the DLQ view',
      () => row.count(),
      (n) => n === 1,
      60_000,
    );
    expect(Number(await row.locator('td.num').textContent())).toBeGreaterThanOrEqual(maxReceiveCount);
    expect(await text(row.locator('td.err'))).toMatch(/declined/i);
    expect(await text(row)).toContain('process-payment');
    expect(await fieldNumber(page, dlq, 'depth')).toBe(1);

    // the operator fixes the cause with the function-env tool (the fake provider declines nothing now) ...
    const env = readEndpointsFile(cloud.endpointsFile);
    const clients = createOpsClients(env);
    try {
      await functionEnv({ env, lambda: () => clients.lambda(), name: 'job-worker', set: { FAKE_DECLINED_TOKENS: '' } });
    } finally {
      clients.destroy();
    }
    // ... then redrives from the page
    const okBefore = await fieldNumber(page, '.card.worker', 'recordsOk');
    await page.click('[data-act="redrive-dlq"]');
    await until(
      'the DLQ view to be empty',
      () => fieldNumber(page, dlq, 'depth'),
      (n) => n === 0,
    );
    expect(await text(page.locator('#activity li[data-action="redrive-dlq"] pre').first())).toContain('moved 1');
    await until(
      'the worker to do the redriven job',
      () => fieldNumber(page, '.card.worker', 'recordsOk'),
      (n) => n >= okBefore + 1,
    );
    const jobs = card(id((c) => c.roles.jobs));
    await until(
      'the jobs queue to be empty',
      async () => [await fieldNumber(page, jobs, 'visible'), await fieldNumber(page, jobs, 'inFlight')],
      ([v, f]) => v === 0 && f === 0,
    );
    expect(await fieldNumber(page, dlq, 'depth')).toBe(0);
    expect(await text(page.locator(`${dlq} .empty`))).toContain('no dead jobs');
  });

  it('a paused consumer falls visibly behind while the others stay at the tip, and catches up after resume', async () => {
    const analytics = consumerCard('analytics');
    await page.click(`${analytics} [data-act="pause"]`);
    await until(
      'analytics to show paused',
      () => fieldText(page, analytics, 'status'),
      (s) => s === 'paused',
    );
    expect(terminal.some((l) => l.includes('console: pause mapping='))).toBe(true);

    const publish = async (n: number): Promise<void> => {
      await page.selectOption('[data-input="event-type"]', 'OrderPlaced');
      await page.selectOption('[data-input="event-variant"]', 'valid');
      await page.fill('[data-input="event-count"]', String(n));
      await page.click('[data-act="send-event"]');
    };
    await publish(4);
    const first = await until(
      'analytics to be 4 behind',
      () => fieldNumber(page, analytics, 'behind'),
      (n) => n >= 4,
    );
    await publish(4);
    const second = await until(
      'analytics lag to grow',
      () => fieldNumber(page, analytics, 'behind'),
      (n) => n >= first + 4,
    );
    expect(second).toBeGreaterThan(first);
    for (const other of ['notifications', 'payments']) {
      await until(
        `${other} at the tip`,
        () => fieldNumber(page, consumerCard(other), 'behind'),
        (n) => n === 0,
      );
      expect(await fieldText(page, consumerCard(other), 'status')).toBe('at the tip');
    }
    expect(await page.locator(analytics).getAttribute('class')).toMatch(/\bpaused\b/);
    expect(await page.locator(analytics).getAttribute('class')).toMatch(/\bbehind\b/);
    expect(await page.locator(`${analytics} .shard.lagging`).count()).toBeGreaterThan(0);
    // the position bar: analytics' is visibly shorter than a consumer at the tip
    const width = (sel: string) => page.locator(`${sel} [data-bar="position"]`).evaluate((e) => e.getBoundingClientRect().width);
    expect(await width(analytics)).toBeLessThan((await width(consumerCard('notifications'))) * 0.95);

    await page.click(`${analytics} [data-act="pause"]`); // now labelled Resume
    await until(
      'analytics to catch up',
      () => fieldNumber(page, analytics, 'behind'),
      (n) => n === 0,
    );
    await until(
      'analytics back at the tip',
      () => fieldText(page, analytics, 'status'),
      (s) => s === 'at the tip',
    );
  });

  it('a replay to one consumer (dry run first) moves only that consumer’s counters', async () => {
    const archive = card(id((c) => c.roles.archive));
    const streamRecords = () => fieldNumber(page, card(cloud.roles.events!.logicalId), 'records');
    const inLog = await streamRecords();
    await until(
      'the archive to hold every event',
      () => fieldNumber(page, archive, 'records'),
      (n) => n >= inLog,
      30_000,
    );
    const snapshot = async () =>
      Object.fromEntries(
        await Promise.all(
          ['notifications', 'payments', 'analytics'].map(
            async (n) =>
              [
                n,
                {
                  direct: await fieldNumber(page, consumerCard(n), 'direct'),
                  invocations: await fieldNumber(page, consumerCard(n), 'invocations'),
                },
              ] as const,
          ),
        ),
      );
    const before = await snapshot();
    await page.selectOption('[data-input="replay-target"]', 'consumer:payments');
    expect(await page.locator('[data-act="replay"]').isDisabled()).toBe(true);
    await page.click('[data-act="replay-dry"]');
    const note = await until(
      'the dry run',
      () => fieldText(page, '.lane.events', 'replay-note'),
      (s) => s.startsWith('dry run:'),
    );
    const matched = Number(/dry run: (\d+)/.exec(note)![1]);
    expect(matched).toBeGreaterThanOrEqual(8);
    expect(await page.locator('[data-act="replay"]').isEnabled()).toBe(true);
    await page.click('[data-act="replay"]');
    await until(
      'the replay',
      () => fieldText(page, '.lane.events', 'replay-note'),
      (s) => s.startsWith('replayed'),
    );
    expect(await text(page.locator('#activity li[data-action="replay"] pre').first())).toContain(`→ consumer:payments`);
    const after = await until('payments direct invocations', snapshot, (s) => s.payments!.direct > before.payments!.direct);
    expect(after.payments!.direct).toBeGreaterThan(before.payments!.direct);
    // only payments moved: the other consumers' invocations and the stream are as they were
    expect(after.notifications).toEqual(before.notifications);
    expect(after.analytics).toEqual(before.analytics);
    expect(await streamRecords()).toBe(inLog);
  });

  it('refuses state changes without the token, from another origin or under another Host name, and sends no CORS header', async () => {
    const base = cloud.console!.url;
    const post = (headers: Record<string, string>) =>
      fetch(`${base}api/actions/pause`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ mapping: cloud.topology.kinesisMappings[0]!.logicalId }),
      });
    expect((await post({})).status).toBe(403);
    expect((await post({ 'x-console-token': 'wrong' })).status).toBe(403);
    expect((await post({ 'x-console-token': cloud.console!.token, origin: 'http://evil.example' })).status).toBe(403);
    const state = await fetch(`${base}api/state`, { headers: { origin: 'http://evil.example' } });
    expect(state.status).toBe(200);
    expect(state.headers.get('access-control-allow-origin')).toBeNull();
    // the page carries the token; a rebinding name in Host gets nothing
    expect(await (await fetch(base)).text()).toContain(cloud.console!.token);
    const port = new URL(base).port;
    const status = await new Promise<number>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port, path: '/', headers: { host: `evil.example:${port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject),
    );
    expect(status).toBe(403);
    // nothing was paused by the refused requests
    expect(
      await fieldText(
        page,
        consumerCard(cloud.topology.functions.find((f) => f.logicalId === cloud.topology.kinesisMappings[0]!.functionLogicalId)!.name),
        'status',
      ),
    ).not.toBe('paused');
  });
});
