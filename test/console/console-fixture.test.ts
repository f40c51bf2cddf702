// The console draws any assembly's own topology (`npm start -- --assembly <dir>`): the kitchen-sink fixture, with
// a disabled mapping, an ON_DEMAND stream, two consumers, Firehose and a function with no event source.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../local/cli';
import { startLocalCloud, type LocalCloud } from '../../local/index';
import { fixture } from '../local/cloud/helpers';
import { browserSkipReason, openConsole } from './browser';
import { card, consumerCard, fieldNumber, fieldText, until } from './helpers';

const skip = browserSkipReason();

describe('console flags', () => {
  it('npm start serves the console unless --no-console; --port-console picks its port', () => {
    expect(buildProgram().parse(['node', 'cli']).opts()).toMatchObject({ console: true, portConsole: 4570 });
    expect(buildProgram().parse(['node', 'cli', '--no-console']).opts()).toMatchObject({ console: false });
    expect(buildProgram().parse(['node', 'cli', '--port-console', '0']).opts()).toMatchObject({ console: true, portConsole: 0 });
  });
});

describe.skipIf(skip !== undefined)('local console (browser): a fixture assembly', () => {
  let dir: string;
  let cloud: LocalCloud;
  let closeBrowser: (() => Promise<void>) | undefined;
  let page: import('playwright-core').Page;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-console-fixture-'));
    cloud = await startLocalCloud({
      assemblyDir: fixture('kitchen-sink'),
      stateDir: dir,
      ports: { sqs: 0, kinesis: 0 },
      timeScale: 0.01,
      quiet: true,
      console: { port: 0 },
    });
    ({ page, close: closeBrowser } = await openConsole(cloud.console!.url));
  });

  afterAll(async () => {
    await closeBrowser?.();
    await cloud?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('draws every resource of the fixture, and only those', async () => {
    const t = cloud.topology;
    const ids = [
      ...t.queues.map((x) => x.logicalId),
      ...t.streams.map((x) => x.logicalId),
      ...t.buckets.map((x) => x.logicalId),
      ...t.sqsMappings.map((x) => x.logicalId),
      ...t.kinesisMappings.map((x) => x.logicalId),
      ...t.deliveryStreams.map((x) => x.logicalId),
    ];
    expect(ids).toEqual(
      expect.arrayContaining([
        'Dlq',
        'Jobs',
        'Events',
        'Archive',
        'Failures',
        'WorkerMapping',
        'ConsumerMapping',
        'FanoutMapping',
        'Delivery',
      ]),
    );
    for (const id of ids) expect(await page.locator(`[data-node="${id}"]`).count(), id).toBeGreaterThan(0);
    for (const f of t.functions)
      expect(await page.locator(`[data-node="${f.logicalId}"], [data-function-node="${f.logicalId}"]`).count(), f.name).toBeGreaterThan(0);
    // the ON_DEMAND stream runs on 4 local shards, each listed
    expect(await page.locator(`${card('Events')} [data-shard]`).count()).toBe(4);
    // the condition left ProdOnlyQueue out of the template's resources, and so out of the page; our app's names are nowhere
    expect(await page.locator('[data-node="ProdOnlyQueue"]').count()).toBe(0);
    expect(await page.locator('[data-consumer="notifications"]').count()).toBe(0);
    // the disabled mapping says so; not-emulated types are listed
    expect(await fieldText(page, '.card.consumer[data-node="ConsumerMapping"]', 'status')).toBe('disabled');
    expect(await page.locator('.lane.others').textContent()).toMatch(/not emulated.*SNS::Topic/);
  });

  it('shows the fixture working: an event published from the page reaches its running consumer', async () => {
    const fanout = '.card.consumer[data-node="FanoutMapping"]';
    const consumerName = (await page.locator(fanout).getAttribute('data-consumer'))!;
    await page.selectOption('[data-input="event-variant"]', 'valid');
    await page.fill('[data-input="event-count"]', '2');
    await page.click('[data-act="send-event"]');
    await until(
      'the stream to hold 2 records',
      () => fieldNumber(page, card('Events'), 'records'),
      (n) => n >= 2,
    );
    await until(
      `${consumerName} to read them`,
      () => fieldNumber(page, consumerCard(consumerName), 'invocations'),
      (n) => n >= 1,
    );
    await until(
      `${consumerName} at the tip`,
      () => fieldNumber(page, consumerCard(consumerName), 'behind'),
      (n) => n === 0,
    );
  });
});
