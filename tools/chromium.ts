// Debian's chromium driven through playwright-core (which downloads no browser of its own): the console's browser
// tests (test/console) and `npm run screenshots` launch it the same way.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext } from 'playwright-core';

/** The browser binary: `apt-get install chromium`, or QS_CHROMIUM=<path>. */
export const CHROMIUM = process.env['QS_CHROMIUM'] ?? '/usr/bin/chromium';

/** A headless chromium with a fresh profile (an empty user-data dir, removed on close); `context.newPage()` opens a tab. */
export async function launchChromium(
  viewport = { width: 1600, height: 1200 },
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
