// Text, Markdown and JSON renderings of an estimate; no computation here.
import type { AssemblySettings } from './assembly';
import type { CostEstimate, HeadroomRow, Verdict, Workload } from './model';
import { PRICES_CHECKED, PRICES_REGION } from './prices';

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

export function qty(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 1) return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return Number(n.toPrecision(3)).toString();
}

export const pct = (u: number) => (Number.isFinite(u) ? `${(u * 100).toFixed(u < 0.1 ? 1 : 0)}%` : '∞');

export function settingsSummary(s: AssemblySettings): string {
  const parts: string[] = [];
  if (s.stream)
    parts.push(
      `stream ${s.stream.mode}${s.stream.shardCount !== undefined ? ` ${s.stream.shardCount} shard(s)` : ''}, retention ${s.stream.retentionHours} h`,
    );
  parts.push(
    `${s.consumers.length} Kinesis consumer(s)` +
      (s.consumers.length
        ? ` (${s.consumers.map((c) => `${c.fn.name}: batch ${c.batchSize}, PF ${c.parallelizationFactor}${c.efo ? ', EFO' : ''}, ${c.fn.memoryMb} MB ${c.fn.architecture}`).join('; ')})`
        : ''),
  );
  for (const w of s.workers)
    parts.push(
      `worker ${w.fn.name}: batch ${w.batchSize}, max concurrency ${w.maximumConcurrency ?? 'default'}, ${w.fn.memoryMb} MB ${w.fn.architecture}`,
    );
  if (s.archive) parts.push(`Firehose buffer ${s.archive.bufferIntervalSeconds} s / ${s.archive.bufferSizeMb} MB, ${s.archive.compression}`);
  for (const t of s.tables)
    parts.push(
      `DynamoDB ${t.logicalId}: ${t.billingMode}${t.ttlEnabled ? ', TTL' : ''}${t.pointInTimeRecovery ? ', PITR' : ''}, idempotency records of ${t.idempotentFunctions.join(', ')}`,
    );
  parts.push(`${s.alarms} alarm(s), ${s.dashboards} dashboard(s)`);
  return parts.join('; ');
}

export function assumptions(w: Workload): string {
  return `peak ${w.peakFactor}× average, ${w.avgDurationMs} ms per invocation, ${w.logBytesPerInvocation} B of logs per invocation, gzip to ${w.compressionRatio}×, archive after ${w.archiveMonths} months, ${w.customMetrics} custom metrics, ${w.idempotencyResultBytes} B stored per idempotency result; no free tiers; prices ${PRICES_REGION} checked ${PRICES_CHECKED}`;
}

function pad(rows: string[][], right: Set<number>): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
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
  return h.map((r) => [r.check, qty(r.demand), qty(r.limit), r.unit, pct(r.use), r.status]);
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
    '',
    'Verdict:',
    ...verdict.lines.map((l) => `  - ${l}`),
    ...(estimate.notes.length ? ['Notes:', ...estimate.notes.map((n) => `  - ${n}`)] : []),
  ].join('\n');
}
