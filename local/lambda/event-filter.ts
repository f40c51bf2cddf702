import type { FilterCriteria } from '../types';

// Lambda event filtering (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html):
// EventBridge-style patterns; a record is kept when ANY filter matches; within a pattern every key must match.
// Operators: exact value, null, "" (empty), prefix, suffix, equals-ignore-case, anything-but (value, list, prefix,
// suffix, equals-ignore-case), numeric (=, <, <=, >, >= with ranges), exists, wildcard, $or.

export type RecordMatcher = (record: Record<string, unknown>) => boolean;

export class FilterPatternError extends Error {}

/** Compiles the template's FilterCriteria once; undefined or empty criteria keep every record. */
export function compileFilterCriteria(criteria: FilterCriteria | undefined): RecordMatcher {
  const filters = criteria?.Filters ?? [];
  if (filters.length === 0) return () => true;
  const patterns = filters.map((f, i) => {
    try {
      const parsed: unknown = JSON.parse(f.Pattern);
      if (!isObject(parsed)) throw new Error('pattern must be a JSON object');
      return parsed;
    } catch (err) {
      throw new FilterPatternError(`filter ${i}: invalid pattern ${JSON.stringify(f.Pattern)}: ${(err as Error).message}`);
    }
  });
  return (record) => patterns.some((p) => matchObject(p, record));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function matchObject(pattern: Record<string, unknown>, value: unknown): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(rule) || !rule.some((alt) => isObject(alt) && matchObject(alt, value))) return false;
      continue;
    }
    const present = isObject(value) && Object.hasOwn(value, key);
    const field = present ? (value as Record<string, unknown>)[key] : undefined;
    if (isObject(rule)) {
      if (!present || !matchObject(rule, field)) return false;
    } else if (Array.isArray(rule)) {
      if (!matchLeaf(rule, present, field)) return false;
    } else {
      throw new FilterPatternError(`pattern value for "${key}" must be an array or an object`);
    }
  }
  return true;
}

function matchLeaf(rules: unknown[], present: boolean, field: unknown): boolean {
  // exists: false is the one rule that matches an absent field
  const values = !present ? [] : Array.isArray(field) ? field : [field];
  return rules.some((rule) => {
    if (isObject(rule) && 'exists' in rule) return rule.exists === present && (present ? field !== undefined : true);
    if (!present) return false;
    return values.some((v) => matchValue(rule, v));
  });
}

function matchValue(rule: unknown, v: unknown): boolean {
  if (rule === null) return v === null;
  if (typeof rule === 'string') return v === rule;
  if (typeof rule === 'number') return typeof v === 'number' && v === rule;
  if (typeof rule === 'boolean') return v === rule;
  if (!isObject(rule)) return false;
  const [op, arg] = Object.entries(rule)[0] ?? [];
  switch (op) {
    case 'prefix':
      return (
        typeof v === 'string' &&
        (isObject(arg) ? v.toLowerCase().startsWith(String(arg['equals-ignore-case']).toLowerCase()) : v.startsWith(String(arg)))
      );
    case 'suffix':
      return (
        typeof v === 'string' &&
        (isObject(arg) ? v.toLowerCase().endsWith(String(arg['equals-ignore-case']).toLowerCase()) : v.endsWith(String(arg)))
      );
    case 'equals-ignore-case':
      return typeof v === 'string' && v.toLowerCase() === String(arg).toLowerCase();
    case 'wildcard':
      return typeof v === 'string' && wildcard(String(arg)).test(v);
    case 'numeric':
      return typeof v === 'number' && numeric(arg as unknown[], v);
    case 'anything-but':
      return anythingBut(arg, v);
    default:
      throw new FilterPatternError(`unsupported filter operator ${JSON.stringify(op)}`);
  }
}

function anythingBut(arg: unknown, v: unknown): boolean {
  if (Array.isArray(arg)) return !arg.some((a) => matchValue(a, v));
  if (isObject(arg)) return !matchValue(arg, v);
  return !matchValue(arg, v);
}

function numeric(ops: unknown[], v: number): boolean {
  for (let i = 0; i + 1 < ops.length; i += 2) {
    const op = ops[i];
    const n = Number(ops[i + 1]);
    const ok = op === '=' ? v === n : op === '<' ? v < n : op === '<=' ? v <= n : op === '>' ? v > n : op === '>=' ? v >= n : false;
    if (!ok) return false;
  }
  return true;
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

/** The items a Kinesis mapping with these criteria delivers to its function, each item being a record's JSON data. */
export function deliveredThroughFilter<T>(criteria: FilterCriteria | undefined, items: readonly T[]): T[] {
  const matches = compileKinesisFilter(criteria);
  return matches === undefined ? [...items] : items.filter((item) => matches(Buffer.from(JSON.stringify(item))));
}

/** What an SQS filter sees: the Lambda record, with `body` parsed when it is JSON. */
export function sqsFilterView(record: Record<string, unknown>): Record<string, unknown> {
  return { ...record, body: parseJson(record.body as string) };
}

/**
 * A Kinesis mapping's filter, or undefined when it has none (every record is delivered, nothing to decode).
 * Lambda filters Kinesis records on `data` only, and a record whose data is not valid JSON matches no
 * filter: Lambda drops it (with-kinesis-filtering.html, "the data field and your filter criteria for the
 * data field must be in valid JSON format"). The same holds here, so a filtered consumer never sees it.
 */
export function compileKinesisFilter(criteria: FilterCriteria | undefined): ((data: Uint8Array) => boolean) | undefined {
  if ((criteria?.Filters ?? []).length === 0) return undefined;
  const matches = compileFilterCriteria(criteria);
  return (data) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(data).toString('utf8'));
    } catch {
      return false;
    }
    return matches({ data: parsed });
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // a plain string can still match exact-value rules on the field itself
  }
}
