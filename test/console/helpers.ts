// Reading the console page the way an operator does: numbers from the cards, waits bounded by a deadline.
import type { Locator, Page } from 'playwright-core';
import { eventually } from '../support/wait';

/** The number a `[data-field]` shows inside `scope` ("1,234" → 1234; "–" → NaN). */
export async function fieldNumber(page: Page, scope: string, field: string): Promise<number> {
  const text = await page.locator(`${scope} [data-field="${field}"]`).first().textContent();
  return Number((text ?? '').replace(/,/g, '').trim().split(' ')[0]);
}

export async function fieldText(page: Page, scope: string, field: string): Promise<string> {
  return ((await page.locator(`${scope} [data-field="${field}"]`).first().textContent()) ?? '').trim();
}

/** test/support's bounded wait with the console's defaults: 30 s, a look every 150 ms (a page re-renders on frames). */
export const until = <T>(what: string, observe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> =>
  eventually(what, observe, done, { timeoutMs, intervalMs: 150 });

/** Selector of a consumer's card by its name. */
export const consumerCard = (name: string): string => `.card.consumer[data-consumer="${name}"]`;
/** Selector of a resource's card by its logical id. */
export const card = (logicalId: string): string => `.card[data-node="${logicalId}"]`;

/** The text a locator shows (its first match). */
export async function text(locator: Locator): Promise<string> {
  return ((await locator.first().textContent()) ?? '').trim();
}
