import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sumEmf } from '../../bench/figures/capacity-child';
import {
  checkKeyOrder,
  manifestFilter,
  orderStream,
  parseSqsSends,
  perSecond,
  streamRecord,
  type SentJob,
} from '../../bench/figures/capacity';
import { forwardedHeaders, startLatencyProxy, type LatencyProxy, type ProxyExchange } from '../../bench/lib/latency-proxy';

describe('orderStream', () => {
  it('keys spread: half OrderPlaced, half OrderShipped, 75 distinct keys per 100 records, every shipment after its placement', () => {
    const events = orderStream(400, 'spread', 't');
    expect(events.filter((e) => e.type === 'OrderPlaced')).toHaveLength(200);
    for (let b = 0; b < 4; b++) expect(new Set(events.slice(b * 100, b * 100 + 100).map((e) => e.partitionKey)).size).toBe(75);
    const placedAt = new Map(
      events
        .map((e, i) => [e, i] as const)
        .filter(([e]) => e.type === 'OrderPlaced')
        .map(([e, i]) => [e.partitionKey, i]),
    );
    for (const [i, e] of events.entries())
      if (e.type === 'OrderShipped' && placedAt.has(e.partitionKey)) expect(placedAt.get(e.partitionKey)!).toBeLessThan(i);
    expect(events.every((e) => e.partitionKey === (e.data as { orderId: string }).orderId)).toBe(true);
  });
  it('one hot key: every record shares one partition key; fresh ids per stream', () => {
    const events = orderStream(100, 'hot', 'h');
    expect(new Set(events.map((e) => e.partitionKey)).size).toBe(1);
    expect(new Set(events.map((e) => e.id)).size).toBe(100);
    expect(orderStream(2, 'hot', 'h')[0]!.id).not.toBe(events[0]!.id);
  });
  it('records carry base64 JSON envelopes and increasing sequence numbers', () => {
    const [a, b] = orderStream(2, 'spread', 's').map((e, i) => streamRecord(e, i, 0));
    expect(JSON.parse(Buffer.from(a!.kinesis.data, 'base64').toString('utf8')).kind).toBe('event');
    expect(BigInt(b!.kinesis.sequenceNumber)).toBeGreaterThan(BigInt(a!.kinesis.sequenceNumber));
  });
});

describe('manifestFilter', () => {
  it('lets through to payments only the OrderPlaced records, to notifications all of them', () => {
    const records = orderStream(10, 'spread', 'f').map((e, i) => streamRecord(e, i, 0));
    expect(records.filter(manifestFilter('payments'))).toHaveLength(5);
    expect(records.filter(manifestFilter('notifications'))).toHaveLength(10);
  });
});

describe('checkKeyOrder', () => {
  const job = (causationId: string, request: number, entry: number, arrivedAt: number, answeredAt: number): SentJob => ({
    causationId,
    jobId: `j-${causationId}`,
    request,
    entry,
    arrivedAt,
    answeredAt,
  });
  const expected = [
    { eventId: 'a1', key: 'A' },
    { eventId: 'b1', key: 'B' },
    { eventId: 'a2', key: 'A' },
  ];
  it('accepts jobs of one key in stream order, in one request or in later ones', () => {
    const c = checkKeyOrder(expected, [job('a1', 0, 0, 0, 10), job('b1', 0, 1, 0, 10), job('a2', 1, 0, 11, 20)]);
    expect(c).toMatchObject({ missing: [], violations: [], pairs: 1, concurrent: 0 });
    expect(checkKeyOrder(expected, [job('a1', 0, 0, 0, 10), job('b1', 0, 1, 0, 10), job('a2', 0, 2, 0, 10)]).violations).toEqual([]);
  });
  it('counts requests in flight together apart, without calling them a violation', () => {
    const c = checkKeyOrder(expected, [job('a1', 0, 0, 0, 10), job('b1', 1, 0, 1, 11), job('a2', 1, 1, 1, 11)]);
    expect(c).toMatchObject({ violations: [], pairs: 1, concurrent: 1 });
  });
  it("flags a later record's job placed first in one request, or enqueued before the earlier one was sent", () => {
    expect(checkKeyOrder(expected, [job('a2', 0, 0, 0, 10), job('a1', 0, 1, 0, 10), job('b1', 0, 2, 0, 10)]).violations).toHaveLength(1);
    expect(checkKeyOrder(expected, [job('a2', 0, 0, 0, 10), job('b1', 0, 1, 0, 10), job('a1', 1, 0, 12, 20)]).violations).toHaveLength(1);
  });
  it('reports records with no job and jobs sent twice', () => {
    const c = checkKeyOrder(expected, [job('a1', 0, 0, 0, 10), job('a1', 1, 0, 11, 20)]);
    expect(c.missing).toEqual(['b1', 'a2']);
    expect(c.repeated).toBe(1);
  });
});

describe('parseSqsSends', () => {
  const exchange = (
    target: string,
    body: unknown,
    arrivedAt: number,
  ): Pick<ProxyExchange, 'headers' | 'body' | 'arrivedAt' | 'answeredAt'> => ({
    headers: { 'x-amz-target': target },
    body: Buffer.from(JSON.stringify(body)),
    arrivedAt,
    answeredAt: arrivedAt + 8,
  });
  it('reads the jobs of SendMessageBatch and SendMessage requests in arrival order and ignores other calls', () => {
    const m = (id: string) => JSON.stringify({ id: `job-${id}`, causationId: id });
    const out = parseSqsSends([
      exchange('AmazonSQS.SendMessage', { MessageBody: m('c') }, 5),
      exchange('AmazonSQS.SendMessageBatch', { Entries: [{ MessageBody: m('a') }, { MessageBody: m('b') }] }, 1),
      exchange('AmazonSQS.GetQueueAttributes', {}, 2),
    ]);
    expect(out.jobs.map((j) => [j.causationId, j.request, j.entry])).toEqual([
      ['a', 0, 0],
      ['b', 0, 1],
      ['c', 1, 0],
    ]);
    expect(out).toMatchObject({ requests: 2, unparsed: 0 });
  });
});

describe('sumEmf and perSecond', () => {
  it('sums every declared metric of the EMF lines, lists included, and skips log lines', () => {
    const emf = (values: Record<string, unknown>) =>
      JSON.stringify({ _aws: { CloudWatchMetrics: [{ Metrics: Object.keys(values).map((Name) => ({ Name })) }] }, ...values });
    const out = sumEmf([
      `{"level":"INFO","message":"event processed"}\n${emf({ EventsProcessed: 3 })}\n`,
      `${emf({ EventsProcessed: [2, 5], JobsEnqueued: 1 })}\n`,
    ]);
    expect(out).toEqual({ EventsProcessed: 10, JobsEnqueued: 1 });
  });
  it('records per second over the summed invocation times', () => {
    expect(perSecond(200, [50, 150])).toBe(1000);
  });
});

describe('latency proxy', () => {
  let proxy: LatencyProxy | undefined;
  let upstream: http.Server | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
    proxy = undefined;
    upstream = undefined;
  });

  it("drops hop-by-hop headers, and a request's content-length (it sends its own)", () => {
    expect(forwardedHeaders({ connection: 'keep-alive', 'content-length': '3', 'x-amz-target': 'T' })).toEqual({ 'x-amz-target': 'T' });
    expect(forwardedHeaders({ 'content-length': '3', 'transfer-encoding': 'chunked' }, true)).toEqual({ 'content-length': '3' });
  });

  it('holds every request for its latency, forwards body and answer, keeps the client connection alive, and stops cleanly', async () => {
    const bodies: string[] = [];
    upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString());
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ echo: Buffer.concat(chunks).toString(), target: req.headers['x-amz-target'] }));
      });
    });
    await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', () => r()));
    const holds: number[] = [];
    const seen: ProxyExchange[] = [];
    proxy = await startLatencyProxy({
      target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      latencyMs: 7,
      hold: async (ms) => void holds.push(ms),
      observe: (x) => seen.push(x),
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const post = (body: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(
          `${proxy!.endpoint}/`,
          { method: 'POST', agent, headers: { 'x-amz-target': 'AmazonSQS.SendMessage' } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          },
        );
        req.on('socket', (s) => sockets.add(s));
        req.on('error', reject);
        req.end(body);
      });
    const a = await post('one');
    const b = await post('two');
    expect(a).toEqual({ status: 200, text: JSON.stringify({ echo: 'one', target: 'AmazonSQS.SendMessage' }) });
    expect(b.text).toContain('two');
    expect(holds).toEqual([7, 7]);
    expect(bodies).toEqual(['one', 'two']);
    expect(sockets.size).toBe(1);
    expect(seen.map((x) => x.body.toString())).toEqual(['one', 'two']);
    expect(proxy.stats()).toMatchObject({ forwarded: 2, refused: 0 });
    agent.destroy();
    await proxy.stop();
    await expect(post('three')).rejects.toThrow();
    proxy = undefined;
  });

  it('refuses a target that is not on loopback', async () => {
    await expect(startLatencyProxy({ target: 'http://example.com:80', latencyMs: 1 })).rejects.toThrow(/loopback/);
  });
});
