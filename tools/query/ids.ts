/** Envelope ids for `npm run replay -- --query … | --ids-from …`: from a query's rows or from a file. */
import * as fs from 'node:fs';
import { OpsError, messageOf } from '../ops/errors';
import type { QueryResult } from './result';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The distinct values of the result's `id` column, in first-seen order. */
export function idsOfResult(result: Pick<QueryResult, 'columns' | 'rows'>, queryName: string): string[] {
  const at = result.columns.findIndex((c) => c.name.toLowerCase() === 'id');
  if (at < 0)
    throw new OpsError(
      `query ${queryName} returns no id column (its columns: ${result.columns.map((c) => c.name).join(', ')}); replay selects events by envelope id`,
      2,
    );
  return distinct(result.rows.map((r) => r[at]).filter((v): v is string => typeof v === 'string' && v !== ''));
}

/**
 * Ids from a file: one per line (blank lines and # comments ignored), or what `npm run query` printed with --json
 * (its rows' `id`) or --csv (its `id` column). Every id must be a UUID (the envelope's id format).
 */
export function parseIdsText(text: string, file: string): string[] {
  const trimmed = text.trim();
  let ids: string[];
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new OpsError(`${file}: not JSON: ${messageOf(error)}`, 2);
    }
    const rows = Array.isArray(parsed) ? parsed : (parsed as { rows?: unknown }).rows;
    if (!Array.isArray(rows)) throw new OpsError(`${file}: JSON without rows (expected npm run query --json output or an array)`, 2);
    ids = rows
      .map((r) => (typeof r === 'string' ? r : (r as { id?: unknown } | null)?.id))
      .filter((v): v is string => typeof v === 'string');
  } else {
    const lines = trimmed
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const header = lines[0]?.split(',').map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
    if (header && header.length > 1 && header.includes('id')) {
      const at = header.indexOf('id');
      ids = lines
        .slice(1)
        .map((l) => l.split(',')[at]?.trim().replace(/^"|"$/g, '') ?? '')
        .filter(Boolean);
    } else {
      ids = lines[0]?.toLowerCase() === 'id' ? lines.slice(1) : lines;
    }
  }
  const bad = ids.find((id) => !UUID.test(id));
  if (bad !== undefined) throw new OpsError(`${file}: "${bad.slice(0, 60)}" is not an envelope id (a UUID)`, 2);
  return distinct(ids);
}

export function readIdsFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new OpsError(`cannot read ${file}: ${messageOf(error)}`, 2);
  }
  return parseIdsText(text, file);
}

const distinct = (xs: readonly string[]): string[] => [...new Set(xs)];
