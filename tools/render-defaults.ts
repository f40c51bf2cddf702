// Renders every default (value + why) and every alarm (meaning + first action) as Markdown for the docs/ pages
// the README links (GENERATED_TABLES says which page holds which table).
// Run: npx tsx tools/render-defaults.ts [--alarms]
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CONSUMERS, filterPatternsFor } from '../lambdas/consumers';
import { eventTypes } from '../lambdas/shared/registry';
import { ALARM_CATALOGUE, type AlarmEntry, type AlarmKey, fillPlaceholders } from '../lib/alarm-catalogue';
import { ARCHIVE_QUERY_DEFAULTS } from '../lib/archive-query-defaults';
import { BUCKETS_DEFAULTS } from '../lib/buckets-defaults';
import { type DefaultsTable, shownValue } from '../lib/documented';
import { EVENT_ARCHIVE_DEFAULTS } from '../lib/event-archive-defaults';
import { EVENT_STREAM_DEFAULTS } from '../lib/event-stream-defaults';
import { HOUSE_FUNCTION_DEFAULTS } from '../lib/house-function-defaults';
import { IDEMPOTENCY_TABLE_DEFAULTS } from '../lib/idempotency-table-defaults';
import { JOB_QUEUE_DEFAULTS } from '../lib/job-queue-defaults';
import { MONITORING_DEFAULTS, thresholdText } from '../lib/monitoring-defaults';
import { STAGE_DEFAULTS } from '../lib/stage-config';

/** Every defaults object, in README order, under the name of the construct (or concern) that applies it. */
export const ALL_DEFAULTS: ReadonlyArray<readonly [string, DefaultsTable]> = [
  ['Stage', STAGE_DEFAULTS],
  ['JobQueue', JOB_QUEUE_DEFAULTS],
  ['EventStream', EVENT_STREAM_DEFAULTS],
  ['EventArchive', EVENT_ARCHIVE_DEFAULTS],
  ['ArchiveQuery', ARCHIVE_QUERY_DEFAULTS],
  ['Buckets', BUCKETS_DEFAULTS],
  ['IdempotencyTable', IDEMPOTENCY_TABLE_DEFAULTS],
  ['HouseFunction', HOUSE_FUNCTION_DEFAULTS],
  ['Monitoring', MONITORING_DEFAULTS],
];

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README "Default settings" table: setting | default | why. */
/** How the defaults table marks a row that describes what a construct builds rather than one value it passes to CDK. */
export const PROSE_MARK = '*(what it builds)*';

export function renderDefaultsTable(): string {
  const rows = ALL_DEFAULTS.flatMap(([owner, defaults]) =>
    Object.entries(defaults).map(
      ([key, entry]) =>
        `| ${cell(`${owner} · ${key}`)}${entry.kind === 'prose' ? ` ${PROSE_MARK}` : ''} | ${cell(shownValue(entry))} | ${cell(entry.why)} |`,
    ),
  );
  return ['| setting | default | why |', '|---|---|---|', ...rows].join('\n');
}

/**
 * The README consumer table, from the manifest (lambdas/consumers.ts): what each consumer handles, what it
 * does, how a duplicate is kept harmless, and what reaches it.
 */
export function renderConsumersTable(): string {
  const code = (xs: readonly string[]): string => (xs.length === 0 ? '—' : xs.map((x) => `\`${x}\``).join(', '));
  const rows = Object.entries(CONSUMERS).map(([name, c]) => {
    const ignored = eventTypes.filter((t) => !(c.handles as readonly string[]).includes(t));
    const filter =
      filterPatternsFor(c).length === 0
        ? 'none: every record reaches it (so it reports records that are not JSON)'
        : `drops ${code(ignored)} before invoking it`;
    return `| \`${name}\` | ${code(c.handles)} | ${cell(c.sideEffect)} | ${code(c.enqueues)} | ${c.idempotency} | ${cell(c.onDuplicate)} | ${cell(filter)} | ${c.parallelizationFactor} |`;
  });
  return [
    '| consumer | handles | side effect | enqueues | idempotency records | a duplicate delivery | mapping filter | parallelization |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** Placeholder values for the README: the defaults the alarms are built from. */
const README_ALARM_VARS: Readonly<Record<string, string>> = {
  name: '`<consumer>`',
  retention: `dev: ${STAGE_DEFAULTS.streamRetention.value.dev.toHumanString()}, prod: ${STAGE_DEFAULTS.streamRetention.value.prod.toHumanString()}`,
};
/** The README gives thresholds for the default queue and relative to the archive buffering interval. */
const README_THRESHOLD_CONTEXT = { maxReceiveCount: JOB_QUEUE_DEFAULTS.maxReceiveCount.value };

/** The README "Operate" table: alarm | meaning | first action, placeholders filled with the defaults. */
export function renderAlarmsTable(): string {
  const rows = (Object.entries(ALARM_CATALOGUE) as Array<[AlarmKey, AlarmEntry]>).map(([key, a]) => {
    const vars = { ...README_ALARM_VARS, threshold: thresholdText(key, README_THRESHOLD_CONTEXT) ?? '{threshold}' };
    const fill = (s: string): string => fillPlaceholders(s, vars);
    return `| ${cell(fill(a.title))} | ${cell(fill(a.meaning))} | ${cell(fill(a.firstAction))} |`;
  });
  return ['| alarm | meaning | first action |', '|---|---|---|', ...rows].join('\n');
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in a Markdown document. */
function replaceBlock(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < from) throw new Error(`the document has no ${start} … ${end} block`);
  return `${doc.slice(0, from + start.length)}\n${body}\n${doc.slice(to)}`;
}

/** Where `npm run readme:tables` writes each generated table (relative to the repository root): the docs page the README links for it. */
export const GENERATED_TABLES = { defaults: 'docs/defaults.md', alarms: 'docs/operate.md', consumers: 'docs/architecture.md' } as const;

if (require.main === module) {
  if (process.argv.includes('--write-readme')) {
    // npm run readme:tables — rewrites the generated tables in docs/; test/infra/defaults-table.test.ts keeps them honest.
    const render = { defaults: renderDefaultsTable, alarms: renderAlarmsTable, consumers: renderConsumersTable };
    for (const [name, file] of Object.entries(GENERATED_TABLES) as Array<[keyof typeof GENERATED_TABLES, string]>) {
      const doc = path.join(__dirname, '..', file);
      writeFileSync(doc, replaceBlock(readFileSync(doc, 'utf8'), name, render[name]()));
    }
  } else {
    process.stdout.write(`${process.argv.includes('--alarms') ? renderAlarmsTable() : renderDefaultsTable()}\n`);
  }
}
