import { describe, expect, it } from 'vitest';
import { deriveId, newEvent, newJob, parseEvent, parseJob, serializeEnvelope, validateEvent } from '../../lambdas/shared/envelope';
import { InvalidEnvelopeError } from '../../lambdas/shared/errors';
import { orderPlaced, sendEmailJob } from './factories';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newEvent / newJob', () => {
  it('fills id, kind, version and timestamp, and round-trips through the wire form', () => {
    const event = orderPlaced({ orderId: 'o-42' });
    expect(event).toMatchObject({ kind: 'event', type: 'OrderPlaced', version: 1, partitionKey: 'o-42' });
    expect(event.id).toMatch(UUID);
    expect(Date.parse(event.occurredAt)).not.toBeNaN();
    expect(parseEvent(serializeEnvelope(event))).toEqual({ ok: true, envelope: event });

    const job = newJob(
      'send-email',
      { to: 'a@example.com', template: 'order-shipped', orderId: 'o-42' },
      { jobKey: 'o-42', causationId: event.id },
    );
    expect(job).toMatchObject({ kind: 'job', type: 'send-email', version: 1, jobKey: 'o-42', causationId: event.id });
    expect(parseJob(serializeEnvelope(job))).toEqual({ ok: true, envelope: job });
  });

  it('throws InvalidEnvelopeError naming the field when data does not fit the type', () => {
    const build = () =>
      newEvent('OrderShipped', { orderId: 'o', customerEmail: 'not-an-email', carrier: 'DHL', trackingNumber: 'T' }, { partitionKey: 'o' });
    expect(build).toThrow(InvalidEnvelopeError);
    expect(build).toThrow('invalid-data: data.customerEmail: expected a valid email');
    expect(() => newEvent('OrderPlaced', orderPlaced().data, { partitionKey: '' })).toThrow('partitionKey: expected at least 1 character');
  });
});

describe('parseEvent: every kind of bad input gets a reason and a message naming the field', () => {
  const good = orderPlaced();
  const cases: Array<[string, string | Uint8Array, string, string]> = [
    ['plain text', 'hello world', 'not-json', 'body is not JSON'],
    ['truncated JSON', serializeEnvelope(good).slice(0, 40), 'not-json', 'body is not JSON'],
    ['binary (non-UTF-8) bytes', new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0x81]), 'not-json', 'not UTF-8'],
    ['a JSON array', '[1,2]', 'not-an-envelope', '(root): expected object, received array'],
    ['JSON null', 'null', 'not-an-envelope', '(root): expected object, received null'],
    ['a job envelope on the event path', serializeEnvelope(sendEmailJob()), 'not-an-envelope', 'kind: expected "event", received "job"'],
    [
      'a missing partition key',
      JSON.stringify({ ...good, partitionKey: undefined }),
      'not-an-envelope',
      'partitionKey: required (expected string)',
    ],
    [
      'a non-integer version',
      JSON.stringify({ ...good, version: 1.5 }),
      'not-an-envelope',
      'version: expected integer, received non-integer number',
    ],
    [
      'an unknown type',
      JSON.stringify({ ...good, type: 'OrderExploded' }),
      'unknown-type',
      'type: "OrderExploded" is not a registered event type',
    ],
    [
      'a wrong version',
      JSON.stringify({ ...good, version: 2 }),
      'unsupported-version',
      'version: OrderPlaced v2 is not supported (supported: v1)',
    ],
    [
      'a string where a number belongs',
      JSON.stringify({ ...good, data: { ...good.data, totalCents: '2500' } }),
      'invalid-data',
      'data.totalCents: expected number, received string',
    ],
    [
      'a bad nested item',
      JSON.stringify({ ...good, data: { ...good.data, items: [{ sku: 'A', quantity: 0, unitPriceCents: 1 }] } }),
      'invalid-data',
      'data.items[0].quantity: expected at least 1',
    ],
    [
      'a lower-case currency',
      JSON.stringify({ ...good, data: { ...good.data, currency: 'eur' } }),
      'invalid-data',
      'data.currency: does not match',
    ],
  ];

  it.each(cases)('%s → %s', (_name, input, reason, message) => {
    const result = parseEvent(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(reason);
    expect(result.message).toContain(message);
  });

  it('reports the envelope id when the input had one', () => {
    const result = parseEvent(JSON.stringify({ ...good, version: 9 }));
    expect(result).toMatchObject({ ok: false, envelopeId: good.id });
  });

  it('rejects input over maxBytes as oversized before parsing it', () => {
    const result = parseEvent('x'.repeat(101), { maxBytes: 100 });
    expect(result).toEqual({ ok: false, reason: 'oversized', message: 'body is 101 bytes, over the 100-byte limit' });
    // bytes, not characters: 40 three-byte characters are 120 bytes
    expect(parseEvent('€'.repeat(40), { maxBytes: 100 })).toMatchObject({ reason: 'oversized' });
  });

  it('never throws, whatever it is given', () => {
    const weird = [
      '',
      ' ',
      '0',
      '"str"',
      'true',
      '{}',
      '{"kind":"event","id":1}',
      '{"__proto__":{"x":1}}',
      '['.repeat(10_000),
      `{"data":${'{"a":'.repeat(2000)}1${'}'.repeat(2001)}`,
    ];
    for (const input of weird) {
      expect(() => parseEvent(input)).not.toThrow();
      expect(parseEvent(input).ok).toBe(false);
    }
  });

  it('keeps the replay marker the replay tools add', () => {
    const replayed = { ...good, replay: { replayId: 'r-1', replayedAt: new Date().toISOString(), target: 'consumer:analytics' } };
    expect(validateEvent(replayed)).toMatchObject({ ok: true, envelope: { replay: { replayId: 'r-1' } } });
  });
});

describe('parseJob', () => {
  it('names the field of invalid job data', () => {
    const job = sendEmailJob();
    const result = parseJob(JSON.stringify({ ...job, data: { ...job.data, template: 'newsletter' } }));
    expect(result).toMatchObject({
      ok: false,
      reason: 'invalid-data',
      message: 'data.template: expected "order-confirmation" | "order-shipped", received "newsletter"',
    });
  });

  it('rejects an event envelope on the job path and an unknown job type', () => {
    expect(parseJob(serializeEnvelope(orderPlaced()))).toMatchObject({ ok: false, reason: 'not-an-envelope' });
    expect(parseJob(JSON.stringify({ ...sendEmailJob(), type: 'mine-bitcoin' }))).toMatchObject({ ok: false, reason: 'unknown-type' });
  });
});

describe('deriveId', () => {
  it('gives the same UUID (v5) for the same parts and different ones otherwise', () => {
    const a = deriveId('event-1', 'send-email');
    expect(a).toMatch(UUID);
    expect(a[14]).toBe('5');
    expect(deriveId('event-1', 'send-email')).toBe(a);
    expect(deriveId('event-1', 'process-payment')).not.toBe(a);
    // parts are not merely concatenated
    expect(deriveId('ab', 'c')).not.toBe(deriveId('a', 'bc'));
  });
});
