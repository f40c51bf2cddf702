import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { ALARM_CATALOGUE, alarmDescription, type AlarmKey } from '../../lib/alarm-catalogue';
import { binaryBytes, megabytes, named, perStage, retentionDays, shownValue } from '../../lib/documented';
import {
  ALL_DEFAULTS,
  GENERATED_TABLES,
  PROSE_MARK,
  renderAlarmsTable,
  renderConsumersTable,
  renderDefaultsTable,
} from '../../tools/render-defaults';
import { REPO_ROOT } from './app-fixture';

describe('defaults table', () => {
  const table = renderDefaultsTable();

  it.each(ALL_DEFAULTS.flatMap(([owner, d]) => Object.keys(d).map((k) => [owner, k] as const)))(
    '%s · %s has a one-line why and a rendered value',
    (owner, key) => {
      const entry = ALL_DEFAULTS.find(([o]) => o === owner)?.[1][key];
      expect(entry?.why.trim().length).toBeGreaterThanOrEqual(20);
      expect(entry?.why).not.toMatch(/\n/);
      // a row that describes what the construct builds carries the mark, and only such a row
      const setting = entry?.kind === 'prose' ? `${owner} · ${key} ${PROSE_MARK}` : `${owner} · ${key}`;
      const row = table.split('\n').find((line) => line.startsWith(`| ${setting} |`));
      expect(row).toBeDefined();
      expect(row?.split(' | ')[1]?.trim()).not.toBe('');
      expect(row).not.toMatch(/\[object Object\]/);
    },
  );

  // the block `name` of the docs page GENERATED_TABLES names for it
  const between = (name: keyof typeof GENERATED_TABLES): string | undefined => {
    const text = readFileSync(path.join(REPO_ROOT, GENERATED_TABLES[name]), 'utf8');
    const match = text.match(new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`));
    return match?.[1];
  };

  // `npm run readme:tables` rewrites these blocks; the docs may never drift from the code.
  it('docs/defaults.md "Default settings" equals the rendered table', () => {
    expect(between('defaults')?.trim()).toBe(table);
  });
  it('docs/operate.md "Alarms" equals the rendered alarm table', () => {
    expect(between('alarms')?.trim()).toBe(renderAlarmsTable());
  });
  it('docs/architecture.md consumer table equals the one rendered from the manifest (lambdas/consumers.ts)', () => {
    expect(between('consumers')?.trim()).toBe(renderConsumersTable());
  });
});

describe('alarm catalogue', () => {
  it.each(Object.keys(ALARM_CATALOGUE) as AlarmKey[])('%s says what it means and the first action', (key) => {
    const description = alarmDescription(key, { name: 'payments', threshold: '5', retention: '7 days' });
    expect(description).toMatch(/^.{30,}\. First action: .{30,}$/);
    expect(description).not.toMatch(/\{\w+\}/);
    expect(description.length).toBeLessThanOrEqual(1024); // CloudWatch AlarmDescription limit
  });
});

describe('formatters of the shown values (lib/documented.ts)', () => {
  it('name a value by identity and refuse one they have no name for', () => {
    const show = named([[BucketEncryption.S3_MANAGED, 'SSE-S3']]);
    expect(show(BucketEncryption.S3_MANAGED)).toBe('SSE-S3');
    expect(() => show(BucketEncryption.KMS)).toThrow(/no README name/);
  });
  it('write sizes, memory and retention in the unit they are whole in', () => {
    expect([binaryBytes(1_048_576), binaryBytes(10 * 1024 ** 3), binaryBytes(2048), binaryBytes(1536)]).toEqual([
      '1 MiB',
      '10 GiB',
      '2 KiB',
      '1536 bytes',
    ]);
    expect(megabytes(256)).toBe('256 MB');
    expect(
      [RetentionDays.ONE_DAY, RetentionDays.ONE_WEEK, RetentionDays.TWO_WEEKS, RetentionDays.THREE_MONTHS, RetentionDays.ONE_YEAR].map(
        retentionDays,
      ),
    ).toEqual(['1 day', '1 week', '2 weeks', '3 months', '1 year']);
  });
  it('show each stage, and an entry without a formatter through the scalar rules', () => {
    expect(perStage(String)({ dev: 1, prod: 2 })).toBe('dev: 1 · prod: 2');
    expect(shownValue({ value: { dev: Duration.hours(24), prod: Duration.days(7) }, why: 'w' })).toBe('dev: 1 day · prod: 7 days');
  });
});
