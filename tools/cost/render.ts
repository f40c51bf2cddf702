// Text, Markdown and JSON renderings of an estimate; no computation here.
import type { AssemblySettings } from './assembly';
import type { HeadroomRow } from './capacity';
import { ASSUMED_DURATION_MS } from './limits';
import type { CostEstimate } from './model';
import { PRICES_CHECKED, PRICES_REGION } from './prices';
import { consumerTraffic, evenMix, normaliseMix } from './traffic';
import type { Verdict } from './verdict';
import type { Workload } from './workload';

export type Format = 'table' | 'markdown' | 'json';

export interface Report {
  settings: AssemblySettings;
  workload: Workload;
  estimate: CostEstimate;
  headroom: HeadroomRow[];
  verdict: Verdict;
}

export function usd(n: number): string {
  if (n > 0 && n < 0.01) return '<$0.01';
  return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function qty(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 1) return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return Number(n.toPrecision(3)).toString();
}

export const pct = (u: number) => (Number.isFinite(u) ? `${(u * 100).toFixed(u < 0.1 ? 1 : 0)}%` : '∞');

/** What a consumer's mapping filter lets through, by event type. */
function filterSummary(c: AssemblySettings['consumers'][number]): string {
  if (!c.filterPatterns) return 'no filter';
  const t = consumerTraffic(c, evenMix());
  return t.source === 'filter' ? `filter: ${t.deliveredTypes.join(' + ') || 'no registered type'}` : 'filter (not by type only)';
}

export function settingsSummary(s: AssemblySettings): string {
  const parts: string[] = [];
  if (s.stream)
    parts.push(
      `stream ${s.stream.mode}${s.stream.shardCount !== undefined ? ` ${s.stream.shardCount} shard(s)` : ''}, retention ${s.stream.retentionHours} h`,
    );
  parts.push(
    `${s.consumers.length} Kinesis consumer(s)` +
      (s.consumers.length
        ? ` (${s.consumers.map((c) => `${c.fn.name}: batch ${c.batchSize}, PF ${c.parallelizationFactor}${c.efo ? ', EFO' : ''}, ${filterSummary(c)}${c.fn.enqueuesTo ? ', enqueues jobs' : ''}, ${c.fn.memoryMb} MB ${c.fn.architecture}`).join('; ')})`
        : ''),
  );
  for (const w of s.workers)
    parts.push(
      `worker ${w.fn.name}: batch ${w.batchSize}, max concurrency ${w.maximumConcurrency ?? 'default'}, ${w.fn.memoryMb} MB ${w.fn.architecture}`,
    );
  if (s.archive)
    parts.push(`Firehose buffer ${s.archive.bufferIntervalSeconds} s / ${s.archive.bufferSizeMb} MB, ${s.archive.compression}`);
  for (const t of s.tables)
    parts.push(
      `DynamoDB ${t.logicalId}: ${t.billingMode}${t.ttlEnabled ? ', TTL' : ''}${t.pointInTimeRecovery ? ', PITR' : ''}, idempotency records of ${t.idempotentFunctions.join(', ')}`,
    );
  parts.push(
    `${s.alarms} alarm(s)${s.esmMetrics > 0 ? `, ${s.esmMetrics} event source mapping metric(s)` : ''}, ${s.dashboards} dashboard(s)`,
  );
  return parts.join('; ');
}

/** How the Lambda durations were set, for the assumptions line. */
function durationsAssumption(w: Workload): string {
  if (w.avgDurationMs !== undefined) return `${w.avgDurationMs} ms per invocation (--avg-duration-ms)`;
  const m = w.measured;
  if (!m) return `${ASSUMED_DURATION_MS} ms per invocation (assumed: no measured durations)`;
  return `Lambda durations measured ${m.generatedAt.slice(0, 10)} by ${m.generatedBy} under DynamoDB ${m.latencyMs.dynamodb} ms / SQS ${m.latencyMs.sqs} ms latency (fixed + per record × batch)`;
}

export function assumptions(w: Workload): string {
  const mix = Object.entries(normaliseMix(w.eventMix))
    .map(([t, v]) => `${t} ${Math.round(v * 1000) / 10} %`)
    .join(' / ');
  const producers =
    w.producerBatch === 1
      ? 'outside producers send jobs one per SendMessage'
      : `outside producers send ${w.producerBatch} jobs per SendMessageBatch`;
  return `peak ${w.peakFactor}× average, events ${mix}, ${durationsAssumption(w)}, consumers send their jobs with SendMessageBatch per invocation, ${producers}, ${w.logBytesPerInvocation} B of logs per invocation, gzip to ${w.compressionRatio}×, archive after ${w.archiveMonths} months, ${w.customMetrics} custom metrics, ${w.idempotencyResultBytes} B stored per idempotency result; no free tiers; prices ${PRICES_REGION} checked ${PRICES_CHECKED}`;
}

function pad(rows: string[][], right: Set<number>): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function mdTable(head: string[], rows: string[][], right: Set<number>): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (right.has(i) ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function costRows(e: CostEstimate): string[][] {
  return e.lines.map((l) => [l.service, l.what, qty(l.quantity), l.unit, `$${l.unitPrice}`, usd(l.usd)]);
}
export function headroomRows(h: HeadroomRow[]): string[][] {
  return h.map((r) => [r.check, qty(r.demand), qty(r.limit), r.unit, pct(r.use), r.remedy ? `${r.status}: ${r.remedy}` : r.status]);
}

/** The explanations of the rows that are over, one sentence each. */
export function headroomExplanations(h: HeadroomRow[]): string[] {
  return h.filter((r) => r.explanation).map((r) => r.explanation!);
}

export function render(report: Report, format: Format): string {
  const { settings, workload, estimate, headroom, verdict } = report;
  if (format === 'json') return JSON.stringify({ pricesRegion: PRICES_REGION, pricesChecked: PRICES_CHECKED, ...report }, null, 2);
  const costHead = ['service', 'what', 'quantity', 'unit', 'unit price', 'monthly'];
  const roomHead = ['limit checked (at peak)', 'demand', 'limit', 'unit', 'use', 'status'];
  const byService = Object.entries(estimate.byService)
    .map(([k, v]) => `${k} ${usd(v)}`)
    .join(', ');
  if (format === 'markdown') {
    return [
      `Template: ${settingsSummary(settings)}.`,
      '',
      `Assumptions: ${assumptions(workload)}.`,
      '',
      mdTable(costHead, costRows(estimate), new Set([2, 4, 5])),
      '',
      `**Total: ${usd(estimate.total)} per month** (${byService}).`,
      '',
      mdTable(roomHead, headroomRows(headroom), new Set([1, 2, 4])),
      '',
      ...headroomExplanations(headroom).map((l) => `- Over at the peak: ${l}`),
      ...verdict.lines.map((l) => `- ${l}`),
      ...estimate.notes.map((n) => `- Note: ${n}`),
    ].join('\n');
  }
  return [
    `Template (${settings.source}): ${settingsSummary(settings)}`,
    `Workload: ${workload.jobsPerDay.toLocaleString('en-US')} jobs/day, ${workload.eventsPerDay.toLocaleString('en-US')} events/day, ${workload.avgSizeKb} KB each`,
    `Assumptions: ${assumptions(workload)}`,
    '',
    pad([costHead, ...costRows(estimate)], new Set([2, 4, 5])),
    '',
    `TOTAL ${usd(estimate.total)} per month (${byService})`,
    '',
    pad([roomHead, ...headroomRows(headroom)], new Set([1, 2, 4])),
    ...headroomExplanations(headroom).map((l) => `  * ${l}`),
    '',
    'Verdict:',
    ...verdict.lines.map((l) => `  - ${l}`),
    ...(estimate.notes.length ? ['Notes:', ...estimate.notes.map((n) => `  - ${n}`)] : []),
  ].join('\n');
}
