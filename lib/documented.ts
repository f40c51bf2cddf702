import { Duration, Size } from 'aws-cdk-lib';

/**
 * A default value and the one-line reason a reviewer accepts it; rendered into the README table
 * (tools/render-defaults.ts) and checked against the synthesized templates (test/infra/defaults-in-template.test.ts).
 */
export interface Documented<T> {
  readonly value: T;
  readonly why: string;
  /**
   * How the README shows the value when the raw value does not read well (enums, numbers with units): a
   * formatter applied to `value`, so what is shown cannot disagree with what is applied.
   */
  show?(value: T): string;
  /**
   * 'prose': `value` describes what the construct builds (a resource of its own, a schema) rather than being a
   * value the construct passes to CDK; the README shows it as it is and the template test does not look it up.
   */
  readonly kind?: 'prose';
}

/** A value that differs between the two stages. */
export interface PerStage<T> {
  readonly dev: T;
  readonly prod: T;
}

export type DefaultsTable = Readonly<Record<string, Documented<unknown>>>;

const isPerStage = (v: unknown): v is PerStage<unknown> => v !== null && typeof v === 'object' && 'dev' in v && 'prod' in v;

/** A value as the README shows it when its entry has no formatter: Durations and Sizes in words, arrays joined. */
export function formatScalar(value: unknown): string {
  if (value instanceof Duration) return value.toHumanString();
  if (value instanceof Size) return `${value.toMebibytes()} MiB`;
  if (Array.isArray(value)) return value.map(formatScalar).join(', ');
  if (value === undefined) return '—';
  return String(value);
}

/** What the README's "default" column shows for an entry. */
export function shownValue(entry: Documented<unknown>): string {
  if (entry.show) return entry.show(entry.value);
  if (isPerStage(entry.value)) return perStage(formatScalar)(entry.value);
  return formatScalar(entry.value);
}

// Formatters for `show`.

/** `dev: … · prod: …`, each stage's value through `format`. */
export const perStage =
  <T>(format: (value: T) => string) =>
  (value: PerStage<T>): string =>
    `dev: ${format(value.dev)} · prod: ${format(value.prod)}`;

/**
 * The README name of an enum member or constant, by identity: a value with no name here throws, so changing a
 * value without saying how it reads fails the defaults test instead of showing the old words.
 */
export const named =
  <T>(names: ReadonlyArray<readonly [T, string]>) =>
  (value: T): string => {
    const found = names.find(([v]) => v === value);
    if (!found) throw new Error(`no README name for the default value ${String(value)}`);
    return found[1];
  };

/** Lambda memory: `256 MB`. */
export const megabytes = (mb: number): string => `${mb} MB`;

/** A byte count in the largest binary unit it is a whole multiple of: `1 MiB`, `10 GiB`. */
export function binaryBytes(bytes: number): string {
  const units = ['GiB', 'MiB', 'KiB'] as const;
  for (const [i, unit] of units.entries()) {
    const size = 1024 ** (units.length - i);
    if (bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** Log retention in words: `1 week`, `3 months` (RetentionDays is a number of days). */
export function retentionDays(days: number): string {
  const count = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (days % 365 === 0) return count(days / 365, 'year');
  if (days % 30 === 0) return count(days / 30, 'month');
  if (days % 7 === 0) return count(days / 7, 'week');
  return count(days, 'day');
}
