/**
 * An HTTP proxy on 127.0.0.1 (OS-chosen port) in front of one emulator that holds every request for a fixed
 * latency before forwarding it: what a call to an AWS service costs in network and service time, laid on
 * top of a local emulator (figure 7). The emulator's own time comes on top of the hold; `stats()` reports it.
 *
 * - Keep-alive on both sides: clients keep their connections (the SDK's agent does), and the proxy reuses
 *   its own to the emulator (a keep-alive agent), so no request pays a TCP handshake the SDK would not pay.
 * - Bounded: at most `maxInFlight` requests held or forwarded at once (more get 503 at once), request bodies
 *   up to `maxBodyBytes` (more get 413), and every exchange is abandoned with 504 after `timeoutMs`.
 * - `observe` sees every exchange once it is answered (the request body and when it arrived, was forwarded
 *   and was answered), for checks made after the clock stopped; nothing is parsed here.
 * - `stop()` clears pending holds, closes every connection on both sides and resolves once the server is closed.
 *
 * Loopback only: the target must be an http://127.0.0.1 or http://localhost URL.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyExchange {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** performance.now() when the request body was complete, when it was forwarded, and when the response ended. */
  readonly arrivedAt: number;
  readonly forwardedAt: number;
  readonly answeredAt: number;
  readonly status: number;
}

export interface LatencyProxyOptions {
  /** The emulator's endpoint, e.g. http://127.0.0.1:4566. */
  readonly target: string;
  /** Fixed hold per request, in ms (0: forward at once). */
  readonly latencyMs: number;
  readonly maxInFlight?: number;
  readonly maxBodyBytes?: number;
  /** Per exchange, hold included. */
  readonly timeoutMs?: number;
  readonly observe?: (exchange: ProxyExchange) => void;
  /** How the hold waits (tests inject an immediate one); defaults to a timer. */
  readonly hold?: (ms: number, timers: Set<NodeJS.Timeout>) => Promise<void>;
}

export interface LatencyProxyStats {
  /** Requests answered by the emulator (any status). */
  readonly forwarded: number;
  /** Requests refused by the proxy's bounds or failed upstream. */
  readonly refused: number;
  readonly maxInFlight: number;
  /** Sum of the emulator's time (forward → response end), ms. */
  readonly upstreamMs: number;
}

export interface LatencyProxy {
  readonly endpoint: string;
  readonly latencyMs: number;
  stats(): LatencyProxyStats;
  stop(): Promise<void>;
}

/** Headers that belong to one connection, not to the exchange (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/**
 * The headers to pass on: without the hop-by-hop ones; a request's content-length too (the proxy sends the
 * buffered body with its own), a response's kept (its body is piped through unchanged).
 */
export function forwardedHeaders(headers: http.IncomingHttpHeaders, keepContentLength = false): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    if (v === undefined || HOP_BY_HOP.has(name) || (name === 'content-length' && !keepContentLength)) continue;
    out[k] = v;
  }
  return out;
}

const timerHold = (ms: number, timers: Set<NodeJS.Timeout>): Promise<void> =>
  ms <= 0
    ? Promise.resolve()
    : new Promise((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, ms);
        timers.add(t);
      });

export async function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:' || !['127.0.0.1', 'localhost'].includes(target.hostname)) {
    throw new Error(`latency proxy: the target must be a loopback http URL, got ${options.target}`);
  }
  if (!(options.latencyMs >= 0 && options.latencyMs <= 60_000))
    throw new RangeError(`latency proxy: latencyMs must be in [0, 60000], got ${options.latencyMs}`);
  const maxInFlight = options.maxInFlight ?? 256;
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const hold = options.hold ?? timerHold;
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let stopping = false;
  const stats = { forwarded: 0, refused: 0, maxInFlight: 0, upstreamMs: 0 };

  const refuse = (res: http.ServerResponse, status: number, message: string): void => {
    stats.refused++;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
    res.end(`latency proxy: ${message}\n`);
  };

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    if (stopping || inFlight >= maxInFlight) {
      req.resume();
      refuse(res, 503, stopping ? 'stopping' : `more than ${maxInFlight} requests in flight`);
      return;
    }
    inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      inFlight--;
      clearTimeout(deadline);
      timers.delete(deadline);
    };
    const deadline = setTimeout(() => {
      if (settled) return;
      done();
      refuse(res, 504, `no answer within ${timeoutMs} ms`);
    }, timeoutMs);
    timers.add(deadline);
    res.on('close', done);

    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= maxBodyBytes) chunks.push(chunk);
    });
    req.on('error', () => {
      done();
      res.destroy();
    });
    req.on('end', () => {
      if (settled) return;
      if (bytes > maxBodyBytes) {
        done();
        refuse(res, 413, `request body over ${maxBodyBytes} bytes`);
        return;
      }
      const body = Buffer.concat(chunks);
      const arrivedAt = performance.now();
      void hold(options.latencyMs, timers).then(() => {
        if (settled || stopping) {
          if (!settled) {
            done();
            refuse(res, 503, 'stopping');
          }
          return;
        }
        const forwardedAt = performance.now();
        const upstream = http.request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            agent,
            headers: { ...forwardedHeaders(req.headers), 'content-length': String(body.length) },
          },
          (up) => {
            const headers = forwardedHeaders(up.headers, true);
            res.writeHead(up.statusCode ?? 502, headers);
            up.pipe(res);
            up.on('end', () => {
              const answeredAt = performance.now();
              stats.forwarded++;
              stats.upstreamMs += answeredAt - forwardedAt;
              options.observe?.({
                method: req.method ?? 'GET',
                url: req.url ?? '/',
                headers: req.headers,
                body,
                arrivedAt,
                forwardedAt,
                answeredAt,
                status: up.statusCode ?? 0,
              });
            });
            up.on('error', () => res.destroy());
          },
        );
        upstream.on('error', (error) => {
          if (settled) return;
          done();
          refuse(res, 502, `upstream ${options.target}: ${error.message}`);
        });
        upstream.end(body);
      });
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    latencyMs: options.latencyMs,
    stats: () => ({ ...stats }),
    stop: async () => {
      if (stopping) return;
      stopping = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
