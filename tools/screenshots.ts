/**
 * npm run screenshots: starts the local cloud with its console (the project synthesized, time scale 0.01, any
 * free ports, a temporary state directory), drives the page in Debian's chromium (playwright-core) through the
 * states the README shows, and writes PNGs to docs/images/:
 *   console-overview.png         the whole page: topology from the template, everything at rest after traffic
 *   console-dlq.png              the jobs lane: a poison job in the DLQ with its receives and the worker's error
 *   console-paused-consumer.png  the events lane: analytics paused and behind while the others stay at the tip
 *   console-failures-replay.png  the events lane: failure objects per consumer, and a replay to one consumer
 *   console-activity.png         the activity panel: each action's summary, as its command-line tool prints it
 * `npm run screenshots -- --assembly <cdk.out>` uses an assembly already synthesized instead of running cdk synth.
 * Needs /usr/bin/chromium (apt-get install chromium) or QS_CHROMIUM=<path>.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { startLocalCloud } from '../local/index';
import { CHROMIUM, launchChromium } from './chromium';

const PROJECT_DIR = path.resolve(__dirname, '..');
const OUT = path.join(PROJECT_DIR, 'docs', 'images');

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const num = async (page: Page, sel: string): Promise<number> =>
  Number(((await page.locator(sel).first().textContent()) ?? '').replace(/,/g, '').split(' ')[0]);

async function main(): Promise<void> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium (or set QS_CHROMIUM)`);
  fs.mkdirSync(OUT, { recursive: true });
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-screenshots-'));
  const at = process.argv.indexOf('--assembly');
  const assemblyDir = at >= 0 ? process.argv[at + 1] : undefined;
  console.error(`starting the local cloud${assemblyDir ? ` from ${assemblyDir}` : ' (cdk synth first)'} ...`);
  const cloud = await startLocalCloud({
    projectDir: PROJECT_DIR,
    ...(assemblyDir ? { assemblyDir: path.resolve(assemblyDir), synth: false } : { synth: true }),
    stateDir,
    ports: { sqs: 0, kinesis: 0 },
    timeScale: 0.01,
    quiet: true,
    console: { port: 0, log: (l) => console.error(l) },
  });
  const browser = await launchChromium({ width: 1500, height: 1000 });
  try {
    const page = await browser.context.newPage();
    await page.goto(cloud.console!.url);
    await page.waitForSelector('body[data-ready="true"]');
    const shot = async (name: string, selector?: string): Promise<void> => {
      await page.waitForTimeout(1300); // one more state frame, wires redrawn
      const file = path.join(OUT, name);
      if (selector) await page.locator(selector).screenshot({ path: file });
      else await page.screenshot({ path: file, fullPage: true });
      console.error(`wrote ${path.relative(PROJECT_DIR, file)}`);
    };
    const send = async (kind: 'job' | 'event', type: string | undefined, variant: string, count: number): Promise<void> => {
      if (type) await page.selectOption(`[data-input="${kind}-type"]`, type);
      await page.selectOption(`[data-input="${kind}-variant"]`, variant);
      await page.fill(`[data-input="${kind}-count"]`, String(count));
      await page.click(`[data-act="send-${kind}"]`);
    };
    const worker = '.card.worker [data-field="recordsOk"]';

    // 1. traffic through both paths, everything done
    await send('event', 'OrderPlaced', 'valid', 6);
    await send('event', 'OrderShipped', 'valid', 3);
    await send('job', 'resize-image', 'valid', 4);
    await until('the worker to run the jobs', async () => (await num(page, worker)) >= 4 + 6 * 2 + 3);
    await until('every consumer at the tip', async () => (await page.locator('.card.consumer[data-status="at the tip"]').count()) === 3);
    await shot('console-overview.png');

    // 2. a poison job in the DLQ
    await send('job', undefined, 'declined-card', 1);
    await until(
      'the poison job in the DLQ',
      async () =>
        (await page.locator('.card.queue.dlq tr[data-message] td.err').count()) === 1 &&
        !(await page.locator('.card.queue.dlq td.err').first().textContent())?.startsWith('—'),
    );
    await page.click('[data-act="peek-dlq"]');
    await shot('console-dlq.png', '.lane.jobs');

    // 3. a paused consumer falls behind
    await page.click('.card.consumer[data-consumer="analytics"] [data-act="pause"]');
    await send('event', 'OrderPlaced', 'valid', 12);
    await until('analytics behind', async () => (await num(page, '.card.consumer[data-consumer="analytics"] [data-field="behind"]')) >= 12);
    await until('the others at the tip', async () => (await page.locator('.card.consumer[data-status="at the tip"]').count()) === 2);
    await page.waitForTimeout(2500); // the lag ages: milliseconds behind grow
    await shot('console-paused-consumer.png', '.lane.events');

    // 4. resume; a malformed event reaches the failure bucket of the unfiltered consumers; replay to one consumer
    await page.click('.card.consumer[data-consumer="analytics"] [data-act="pause"]');
    await until(
      'analytics caught up',
      async () => (await num(page, '.card.consumer[data-consumer="analytics"] [data-field="behind"]')) === 0,
    );
    await send('event', undefined, 'not-json', 1);
    await until('failure objects', async () => (await page.locator('[data-failures-of]').count()) >= 2, 90_000);
    await until('every event archived', async () => (await num(page, '.card.bucket.archive [data-field="records"]')) >= 22);
    await page.selectOption('[data-input="replay-target"]', 'consumer:payments');
    await page.click('[data-act="replay-dry"]');
    await until('the dry run', async () => ((await page.locator('[data-field="replay-note"]').textContent()) ?? '').startsWith('dry run:'));
    await page.click('[data-act="replay"]');
    await until('the replay', async () => ((await page.locator('[data-field="replay-note"]').textContent()) ?? '').startsWith('replayed'));
    await shot('console-failures-replay.png', '.lane.events');
    await shot('console-activity.png', 'aside.activity');
  } finally {
    await browser.close();
    await cloud.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
