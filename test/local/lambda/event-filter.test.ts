import { describe, expect, it } from 'vitest';
import { CONSUMERS, filterPatternsFor } from '../../../lambdas/consumers';
import { compileFilterCriteria, compileKinesisFilter, FilterPatternError, sqsFilterView } from '../../../local/lambda/event-filter';

const matcher = (...patterns: object[]) => compileFilterCriteria({ Filters: patterns.map((p) => ({ Pattern: JSON.stringify(p) })) });
const sqs = (body: unknown) =>
  sqsFilterView({
    messageId: 'm',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: '1' },
  });

describe('Lambda event filtering', () => {
  it('keeps everything without criteria and ORs several filters', () => {
    expect(compileFilterCriteria(undefined)(sqs({ a: 1 }))).toBe(true);
    const m = matcher({ body: { type: ['A'] } }, { body: { type: ['B'] } });
    expect(m(sqs({ type: 'A' }))).toBe(true);
    expect(m(sqs({ type: 'B' }))).toBe(true);
    expect(m(sqs({ type: 'C' }))).toBe(false);
  });

  it('matches exact values, nested fields and ANDs keys', () => {
    const m = matcher({ body: { type: ['OrderPlaced'], data: { currency: ['EUR', 'USD'] } } });
    expect(m(sqs({ type: 'OrderPlaced', data: { currency: 'EUR' } }))).toBe(true);
    expect(m(sqs({ type: 'OrderPlaced', data: { currency: 'GBP' } }))).toBe(false);
    expect(m(sqs({ type: 'OrderShipped', data: { currency: 'EUR' } }))).toBe(false);
    expect(m(sqs('not json'))).toBe(false);
  });

  it('supports prefix, suffix, equals-ignore-case, anything-but, numeric, exists, null, empty, wildcard and $or', () => {
    const v = (body: object, pattern: object) => matcher({ body: pattern })(sqs(body));
    expect(v({ s: 'us-east-1' }, { s: [{ prefix: 'us-' }] })).toBe(true);
    expect(v({ s: 'US-east-1' }, { s: [{ prefix: { 'equals-ignore-case': 'us-' } }] })).toBe(true);
    expect(v({ s: 'a.png' }, { s: [{ suffix: '.png' }] })).toBe(true);
    expect(v({ s: 'HeLLo' }, { s: [{ 'equals-ignore-case': 'hello' }] })).toBe(true);
    expect(v({ s: 'x' }, { s: [{ 'anything-but': ['x', 'y'] }] })).toBe(false);
    expect(v({ s: 'z' }, { s: [{ 'anything-but': 'x' }] })).toBe(true);
    expect(v({ s: 'us-1' }, { s: [{ 'anything-but': { prefix: 'us-' } }] })).toBe(false);
    expect(v({ n: 5 }, { n: [{ numeric: ['>', 0, '<=', 5] }] })).toBe(true);
    expect(v({ n: 6 }, { n: [{ numeric: ['>', 0, '<=', 5] }] })).toBe(false);
    expect(v({ n: '5' }, { n: [{ numeric: ['=', 5] }] })).toBe(false);
    expect(v({ a: 1 }, { b: [{ exists: false }] })).toBe(true);
    expect(v({ b: 1 }, { b: [{ exists: false }] })).toBe(false);
    expect(v({ b: 1 }, { b: [{ exists: true }] })).toBe(true);
    expect(v({ b: null }, { b: [null] })).toBe(true);
    expect(v({ b: '' }, { b: [''] })).toBe(true);
    expect(v({ p: 'dir/lib/x.js' }, { p: [{ wildcard: '*/lib/*' }] })).toBe(true);
    expect(v({ tags: ['a', 'b'] }, { tags: ['b'] })).toBe(true); // arrays match when any element does
    expect(matcher({ body: { $or: [{ a: [1] }, { b: [2] }] } })(sqs({ b: 2 }))).toBe(true);
    expect(matcher({ body: { $or: [{ a: [1] }, { b: [2] }] } })(sqs({ b: 3 }))).toBe(false);
  });

  it('matches Kinesis data after parsing it; data that is not JSON matches no filter (Lambda drops it); no filter keeps all', () => {
    const data = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
    const kinesis = (...patterns: object[]) => compileKinesisFilter({ Filters: patterns.map((p) => ({ Pattern: JSON.stringify(p) })) })!;
    expect(kinesis({ data: { type: ['OrderPlaced'] } })(data({ type: 'OrderPlaced' }))).toBe(true);
    expect(kinesis({ data: { type: ['OrderShipped'] } })(data({ type: 'OrderPlaced' }))).toBe(false);
    expect(kinesis({ data: { type: [{ exists: false }] } })(data('not json at all'))).toBe(false);
    expect(compileKinesisFilter(undefined)).toBeUndefined();
    expect(compileKinesisFilter({ Filters: [] })).toBeUndefined();
  });

  it("applies payments' manifest filter as Lambda would: OrderShipped dropped; OrderPlaced, unknown and typeless JSON delivered", () => {
    const payments = compileKinesisFilter({ Filters: filterPatternsFor(CONSUMERS.payments).map((p) => ({ Pattern: JSON.stringify(p) })) })!;
    const data = (v: unknown) => Buffer.from(JSON.stringify(v));
    expect(payments(data({ type: 'OrderPlaced', id: '1' }))).toBe(true);
    expect(payments(data({ type: 'OrderShipped', id: '2' }))).toBe(false);
    expect(payments(data({ type: 'OrderTeleported', id: '3' }))).toBe(true);
    expect(payments(data({ id: '4' }))).toBe(true);
    expect(payments(data([1, 2]))).toBe(true); // JSON without a type field: delivered, the handler reports it
    expect(payments(Buffer.from('{"broken":'))).toBe(false);
  });

  it('rejects a malformed pattern at compile time, naming it', () => {
    expect(() => compileFilterCriteria({ Filters: [{ Pattern: '{nope' }] })).toThrow(FilterPatternError);
    expect(() => matcher({ body: { a: [{ regex: 'x' }] } })(sqs({ a: 'x' }))).toThrow(/unsupported filter operator/);
  });
});
