// The cost page's generated block (docs/cost.md, linked from the README): the three worked examples, compact
// (per-service totals, the headroom rows that are tight or over, the verdicts), and a few sentences on when
// on-demand, provisioned and enhanced fan-out pay off, every number computed from the same model.
// `npm run cost -- --examples --stage prod --readme` prints it; `--write-readme` puts it between the cost
// markers of docs/cost.md; test/tools/cost-readme.test.ts checks that docs/cost.md holds exactly this.
import type { AssemblySettings } from './assembly';
import { buildReport, workloadOf, type CliOptions } from './cli';
import { EXAMPLES } from './model';
import { PRICES_CHECKED, PRICES_REGION } from './prices';
import { assumptions, headroomExplanations, headroomRows, mdTable, settingsSummary, usd } from './render';

export const README_START = '<!-- cost:start -->';
export const README_END = '<!-- cost:end -->';
const README_HEADING = '# Cost';
/** The file `--write-readme` writes, relative to the repository root (where npm runs the cost script). */
export const README_FILE = 'docs/cost.md';
export const README_COMMAND = 'npm run cost -- --examples --stage prod --readme --write-readme';

const capital = (s: string) => `${s[0].toUpperCase()}${s.slice(1)}`;
const list = (xs: string[]) => xs.join(' / ');

/** The Markdown between the cost markers (starting and ending with a newline). */
export function readmeBlock(settings: AssemblySettings, o: CliOptions): string {
  const runs = EXAMPLES.map((ex) => ({ ex, report: buildReport(settings, workloadOf(o, ex.workload)) }));
  const stage = o.stage ? ` --stage ${o.stage}` : '';
  const out: string[] = [
    '',
    `Generated from the synthesized ${o.stage ?? 'default'} template by \`${README_COMMAND}\`; prices ${PRICES_REGION}, USD, checked ${PRICES_CHECKED} (\`npm run cost -- --prices\` lists each with its source).`,
    '',
    `Template: ${settingsSummary(settings)}.`,
    '',
    `Assumptions: ${assumptions(runs[0].report.workload)}.`,
    '',
  ];

  for (const { ex, report } of runs) {
    const { estimate, headroom, verdict } = report;
    out.push(`### ${capital(ex.name)}: ${ex.story}`, '');
    const services = Object.entries(estimate.byService).map(([service, v]) => [service, usd(v)]);
    out.push(mdTable(['service', 'monthly'], [...services, ['**total**', `**${usd(estimate.total)}**`]], new Set([1])), '');
    const pressed = headroom.filter((r) => r.status !== 'ok');
    if (pressed.length) {
      out.push(`Headroom at the ${report.workload.peakFactor}× peak, the limits that are tight (≥ 80 %) or over:`, '');
      out.push(
        mdTable(['limit checked (at peak)', 'demand', 'limit', 'unit', 'use', 'status'], headroomRows(pressed), new Set([1, 2, 4])),
        '',
      );
      const why = headroomExplanations(pressed);
      if (why.length) out.push(...why.map((l) => `- Over at the peak: ${l}`), '');
    } else out.push(`Headroom at the ${report.workload.peakFactor}× peak: every limit checked is under 80 % used.`, '');
    out.push(...verdict.lines.map((l) => `- ${l}`), '');
    out.push(
      `Itemised: \`npm run cost -- --jobs-per-day ${ex.workload.jobsPerDay} --events-per-day ${ex.workload.eventsPerDay} --avg-size ${ex.workload.avgSizeKb}${stage}\``,
      '',
    );
  }

  out.push('### When on-demand, provisioned and enhanced fan-out pay off', '', payOffParagraph(runs), '');
  return out.join('\n');
}

type Run = { ex: (typeof EXAMPLES)[number]; report: ReturnType<typeof buildReport> };

const writers = (s: AssemblySettings) => [...new Set(s.tables.flatMap((t) => t.idempotentFunctions))].join(', ');

/** 4–6 sentences, each figure from the three runs. */
function payOffParagraph(runs: Run[]): string {
  const names = runs.map((r) => r.ex.name);
  const v = runs.map((r) => r.report.verdict);
  const w = runs[0].report.workload;
  const s: string[] = [];
  if (v.some((x) => x.onDemandUsd > 0 || x.provisionedUsd > 0)) {
    s.push(
      `For the ${list(names)} examples a provisioned stream sized for the ${w.peakFactor}× peak costs ${list(v.map((x) => usd(x.provisionedUsd)))} a month against ${list(v.map((x) => usd(x.onDemandUsd)))} on-demand.`,
    );
    const provCheaper = names.filter((_, i) => v[i].provisionedUsd < v[i].onDemandUsd);
    const breakEven = v.map((x) => (x.onDemandBreakEvenPeakFactor !== undefined ? `~${x.onDemandBreakEvenPeakFactor}×` : 'over 1,000×'));
    s.push(
      provCheaper.length === names.length
        ? `Provisioned shards are cheaper at every volume here; on-demand only wins once the peak exceeds ${list(breakEven)} the average (spiky or unknown traffic), or when nobody will watch and reshard the stream, which is why the template starts on-demand in prod.`
        : provCheaper.length === 0
          ? `On-demand is cheaper at every volume here, so provisioned shards pay off only for steadier traffic (break-even peak ÷ average ${list(breakEven)}).`
          : `Provisioned is cheaper for ${provCheaper.join(' and ')}, on-demand for the rest; on-demand pays off once the peak exceeds ${list(breakEven)} the average.`,
    );
  }
  const d = v.map((x) => x.dynamo);
  if (d.every((x) => x !== undefined)) {
    const dd = d as NonNullable<(typeof d)[number]>[];
    const share = runs.map((r) => (r.report.estimate.byService.DynamoDB ?? 0) / r.report.estimate.total);
    s.push(
      `The idempotency table adds ${list(runs.map((r) => usd(r.report.estimate.byService.DynamoDB ?? 0)))} (${list(share.map((x) => `${Math.round(x * 100)} %`))} of the total), mostly two on-demand writes per record by each function that keeps records (${writers(runs[0].report.settings)}); WCUs provisioned for the peak would cost ${list(dd.map((x) => usd(x.provisionedUsd)))} instead of ${list(dd.map((x) => usd(x.onDemandUsd)))}, which pays off only under a ~${dd[0].breakEvenPeakFactor.toFixed(1)}× peak ÷ average and with managed (or auto-scaled) capacity, while on-demand takes a replay burst without throttling.`,
    );
  }
  if (v.some((x) => x.pollingReaders > 0)) {
    const efo = v.map((x) => usd(x.allEfoUsd - x.sharedUsd));
    const short = names.filter((_, i) =>
      runs[i].report.headroom.some((r) => /shared read|GetRecords/.test(r.check) && r.status === 'over'),
    );
    s.push(
      `Enhanced fan-out for every consumer would add ${list(efo)} a month; ` +
        (short.length === 0
          ? `the ${v[0].pollingReaders} polling readers (the consumers plus Firehose) stay within the shared 2 MB/s and 5 GetRecords/s per shard at all three volumes, so it pays off only for read latency (a push per consumer instead of contended polls) or from the 6th polling reader on.`
          : `shared reads run out in the ${short.join(' and ')} example${short.length > 1 ? 's' : ''}, where it pays off (or more shards do, when they are cheaper).`),
    );
  }
  return s.join(' ');
}

/** The cost page's text with `block` between the cost markers; the markers go right after the `# Cost` heading if absent. */
export function replaceReadmeBlock(readme: string, block: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start !== -1 && end > start) return readme.slice(0, start + README_START.length) + block + readme.slice(end);
  if (start !== -1 || end !== -1) throw new Error(`${README_FILE} has one cost marker without the other (${README_START} … ${README_END})`);
  const heading = new RegExp(`^${README_HEADING}[ \\t]*$`, 'm').exec(readme);
  if (!heading) throw new Error(`${README_FILE} has no "${README_HEADING}" heading to put the cost section under`);
  const at = heading.index + heading[0].length;
  return `${readme.slice(0, at)}\n\n${README_START}${block}${README_END}${readme.slice(at)}`;
}

/** The block currently between the cost markers, or undefined. */
export function currentReadmeBlock(readme: string): string | undefined {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  return start !== -1 && end > start ? readme.slice(start + README_START.length, end) : undefined;
}
