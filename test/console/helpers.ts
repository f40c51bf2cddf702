// Reading the console page the way an operator does: numbers from the cards, waits bounded by a deadline.
import type { Locator, Page } from 'playwright-core';

/** The number a `[data-field]` shows inside `scope` ("1,234" → 1234; "–" → NaN). */
export async function fieldNumber(page: Page, scope: string, field: string): Promise<number> {
  const text = await page.locator(`${scope} [data-field="${field}"]`).first().textContent();
  return Number((text ?? '').replace(/,/g, '').trim().split(' ')[0]);
}

export async function fieldText(page: Page, scope: string, field: string): Promise<string> {
  return ((await page.locator(`${scope} [data-field="${field}"]`).first().textContent()) ?? '').trim();
}

/** Polls `observe` until `done` holds; on the deadline fails naming what was awaited and the last value seen. */
export async function until<T>(what: string, observe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await observe();
      if (done(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen ${JSON.stringify(last)}${lastError ? ` (error ${String(lastError)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Selector of a consumer's card by its name. */
export const consumerCard = (name: string): string => `.card.consumer[data-consumer="${name}"]`;
/** Selector of a resource's card by its logical id. */
export const card = (logicalId: string): string => `.card[data-node="${logicalId}"]`;

/** The text a locator shows (its first match). */
export async function text(locator: Locator): Promise<string> {
  return ((await locator.first().textContent()) ?? '').trim();
}
