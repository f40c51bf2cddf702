// The browser the console tests drive: Debian's chromium through playwright-core (no bundled browser download).
// Absent chromium skips the browser tests with a message, unless QS_REQUIRE_BROWSER=1 (CI), when they fail.
import * as fs from 'node:fs';
import { CHROMIUM, launchChromium } from '../../tools/chromium';

export const browserAvailable = fs.existsSync(CHROMIUM);
export const requireBrowser = process.env['QS_REQUIRE_BROWSER'] === '1';

/** Call at the top of a browser test file: says why it skips, or fails when the browser is required. */
export function browserSkipReason(): string | undefined {
  if (browserAvailable) return undefined;
  const why = `${CHROMIUM} not found: the console's browser tests are skipped (apt-get install chromium; QS_REQUIRE_BROWSER=1 makes this a failure)`;
  if (requireBrowser) throw new Error(`QS_REQUIRE_BROWSER=1 but ${why}`);
  console.warn(why);
  return why;
}

/** A browser on the console at `url`, once the page says it is ready (its first state arrived). */
export async function openConsole(url: string): Promise<{ page: import('playwright-core').Page; close(): Promise<void> }> {
  const b = await launchChromium();
  try {
    const page = await b.context.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    return { page, close: b.close };
  } catch (error) {
    await b.close();
    throw error;
  }
}
