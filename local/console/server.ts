// The local console: a web page served by the local cloud on 127.0.0.1 that shows the queue and the stream
// working side by side, and acts on them with the operator tools' own modules.
//
//   GET  /                  the page (plain HTML + CSS + JS modules from ./static; no build step); the
//                           per-start token is embedded in it
//   GET  /static/<file>     its CSS and JS
//   GET  /api/topology      the topology drawn from the synthesized template
//   GET  /api/state         one state sample
//   GET  /api/events        server-sent events: `topology` once, `state` about once a second, `action` per action
//   POST /api/actions/<a>   send | pause | resume | redrive-dlq | redrive-failures | replay
//
// Safety: it listens on 127.0.0.1 only; every request must name this server in Host (127.0.0.1:<port> or
// localhost:<port>: no DNS rebinding); no CORS header is ever sent, so a page from another origin can read
// neither the token nor the state; a POST needs the token in X-Console-Token, a JSON body, and an Origin (when
// the browser sends one, which it does for every POST) that is this server. Every action is logged.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { LocalCloudError } from '../assembly';
import type { FirehoseService } from '../firehose';
import type { LogLine } from '../lambda/log-sink';
import type { FunctionHost } from '../lambda/function-host';
import type { LambdaService } from '../lambda/service';
import type { TopologyRoles } from '../project';
import type { ProvisionResult } from '../provision';
import type { LocalTopology } from '../types';
import {
  isInputError,
  messageOf,
  redriveDlq,
  redriveFailures,
  replay,
  sampleCatalogue,
  sendSample,
  setPaused,
  type ActionContext,
  type ActionResult,
} from './actions';
import { DirectInvocationTap } from './direct-invocations';
import type { ConsoleState } from './state-shape';
import { StateCollector } from './state';
import { buildConsoleTopology, type ConsoleTopology } from './topology';

export { DEFAULT_CONSOLE_PORT } from './defaults';
const STATIC_DIR = path.join(__dirname, 'static');
const STATIC_TYPES: Record<string, string> = {
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface ConsoleOptions {
  port: number;
  topology: LocalTopology;
  roles: TopologyRoles;
  provisioned: Pick<ProvisionResult, 'tables' | 'notEmulated' | 'excludedFunctions' | 'notes'>;
  timeScale: number;
  /** the local cloud's endpoints.json: the actions open it as the command-line tools do */
  endpointsFile: string;
  stateDir: string;
  lambda: () => LambdaService | undefined;
  firehose: () => FirehoseService | undefined;
  /** every action, one line (the terminal) */
  log: (line: string) => void;
  /** ms between state samples while a page listens (default 1000) */
  intervalMs?: number;
}

export interface ConsoleServer {
  readonly url: string;
  readonly port: number;
  /** the per-start token a POST must carry (the served page embeds it) */
  readonly token: string;
  /** hand every function log line here (the DLQ view shows the worker's errors) */
  onFunctionLog(line: Pick<LogLine, 'functionName' | 'line'>): void;
  /** the Lambda API's view of the hosts: invocations through it are counted as direct ones */
  tapHosts(hosts: ReadonlyMap<string, FunctionHost> | undefined): ReadonlyMap<string, FunctionHost> | undefined;
  sample(): Promise<ConsoleState>;
  stop(): Promise<void>;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

export async function startConsole(o: ConsoleOptions): Promise<ConsoleServer> {
  const token = randomBytes(24).toString('base64url');
  const topology: ConsoleTopology = buildConsoleTopology(o.topology, o.roles, o.provisioned, o.timeScale);
  const tap = new DirectInvocationTap();
  const collector = new StateCollector({ topology: o.topology, roles: o.roles, lambda: o.lambda, firehose: o.firehose, tap });
  await collector.start();
  const ctx: ActionContext = {
    topology: o.topology,
    roles: o.roles,
    endpointsFile: o.endpointsFile,
    stateDir: o.stateDir,
    lambda: o.lambda,
  };
  const catalogue = sampleCatalogue();
  const clients = new Set<http.ServerResponse>();
  const html = fs.readFileSync(path.join(STATIC_DIR, 'index.html'), 'utf8');
  let port = 0;
  let last: ConsoleState | undefined;
  let sampling: Promise<ConsoleState> | undefined;
  let running = 0;

  const sample = (): Promise<ConsoleState> =>
    (sampling ??= collector
      .sample()
      .then((s) => (last = s))
      .finally(() => (sampling = undefined)));

  const broadcast = (event: string, data: unknown): void => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of clients) res.write(frame);
  };

  const tick = setInterval(() => {
    if (clients.size === 0) return;
    sample().then(
      (s) => broadcast('state', s),
      () => undefined, // an emulator stopping: the next tick (or the local cloud's own fatal handler) tells
    );
  }, o.intervalMs ?? 1000);
  // keeps proxies and the browser from timing the stream out while nothing changes
  const keepAlive = setInterval(() => {
    for (const res of clients) res.write(': keep-alive\n\n');
  }, 15_000);

  const allowedHosts = (): Set<string> => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = (): Set<string> => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: http.ServerResponse, status: number, message: string): void => send(res, status, { error: message });

  const tokenOk = (given: string | string[] | undefined): boolean => {
    if (typeof given !== 'string') return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const actions: Record<string, (body: Record<string, unknown>) => Promise<ActionResult> | ActionResult> = {
    send: (b) => sendSample(ctx, b),
    pause: (b) => setPaused(ctx, b, true),
    resume: (b) => setPaused(ctx, b, false),
    'redrive-dlq': (b) => redriveDlq(ctx, b),
    'redrive-failures': (b) => redriveFailures(ctx, b),
    replay: (b) => replay(ctx, b),
  };

  const describe = (name: string, b: Record<string, unknown>): string =>
    `${name} ${Object.entries(b)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ')}`.trim();

  const runAction = (name: string, body: Record<string, unknown>, res: http.ServerResponse): void => {
    const what = describe(name, body);
    const started = Date.now();
    o.log(`console: ${what} ...`);
    running++;
    Promise.resolve()
      .then(() => actions[name]!(body))
      .then(
        (r) => {
          const ms = Date.now() - started;
          o.log(`console: ${what}: ${r.ok ? 'done' : 'done with failures'} in ${ms} ms\n${r.text.replace(/^/gm, '  ')}`);
          const entry = { action: name, request: body, ok: r.ok, text: r.text, ms, at: Date.now() };
          broadcast('action', entry);
          send(res, 200, { ...entry, summary: r.summary });
          // the effect of an action shows at once, not at the next tick
          if (clients.size > 0)
            void sample().then(
              (s) => broadcast('state', s),
              () => undefined,
            );
        },
        (err: unknown) => {
          const input = isInputError(err);
          o.log(`console: ${what}: ${input ? 'refused' : 'FAILED'}: ${messageOf(err)}`);
          const entry = {
            action: name,
            request: body,
            ok: false,
            text: `${input ? 'refused' : 'failed'}: ${messageOf(err)}`,
            ms: Date.now() - started,
            at: Date.now(),
          };
          broadcast('action', entry);
          send(res, input ? 400 : 500, { ...entry, error: messageOf(err) });
        },
      )
      .finally(() => running--);
  };

  const server = http.createServer((req, res) => {
    const host = req.headers.host ?? '';
    if (!allowedHosts().has(host.toLowerCase()))
      return refuse(res, 403, `unexpected Host ${JSON.stringify(host)}: open http://127.0.0.1:${port}/`);
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (url.pathname === '/' || url.pathname === '/index.html') {
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' });
        return res.end(html.replace('__CONSOLE_TOKEN__', token));
      }
      if (url.pathname.startsWith('/static/')) {
        const name = url.pathname.slice('/static/'.length);
        const type = STATIC_TYPES[path.extname(name)];
        if (!/^[a-z0-9-]+\.[a-z]+$/.test(name) || !type) return refuse(res, 404, 'not found');
        const file = path.join(STATIC_DIR, name);
        if (!fs.existsSync(file)) return refuse(res, 404, 'not found');
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type });
        return res.end(fs.readFileSync(file));
      }
      if (url.pathname === '/api/topology') return send(res, 200, { ...topology, samples: catalogue });
      if (url.pathname === '/api/state') {
        return void sample().then(
          (s) => send(res, 200, s),
          (err: unknown) => refuse(res, 503, messageOf(err)),
        );
      }
      if (url.pathname === '/api/events') {
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
        res.write(`retry: 2000\nevent: topology\ndata: ${JSON.stringify({ ...topology, samples: catalogue })}\n\n`);
        if (last) res.write(`event: state\ndata: ${JSON.stringify(last)}\n\n`);
        clients.add(res);
        req.on('close', () => clients.delete(res));
        if (!last)
          void sample().then(
            (s) => broadcast('state', s),
            () => undefined,
          );
        return;
      }
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204, SECURITY_HEADERS);
        return res.end();
      }
      return refuse(res, 404, 'not found');
    }
    if (req.method === 'POST') {
      const m = /^\/api\/actions\/([a-z-]+)$/.exec(url.pathname);
      if (!m || !actions[m[1]!]) return refuse(res, 404, 'no such action');
      const origin = req.headers.origin;
      if (origin !== undefined && !allowedOrigins().has(origin)) return refuse(res, 403, `cross-origin request refused (Origin ${origin})`);
      if (!tokenOk(req.headers['x-console-token'])) return refuse(res, 403, 'missing or wrong console token: reload the page');
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(res, 415, 'send JSON');
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 64 * 1024) req.destroy();
        else chunks.push(c);
      });
      req.on('end', () => {
        let body: unknown;
        try {
          body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        } catch {
          return refuse(res, 400, 'the body is not JSON');
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body)) return refuse(res, 400, 'the body must be a JSON object');
        runAction(m[1]!, body as Record<string, unknown>, res);
      });
      return;
    }
    res.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD, POST' });
    res.end();
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new LocalCloudError(
                `port ${o.port} (console) is already in use: stop what holds it, pass --port-console <port>, or --no-console`,
              )
            : err,
        ),
      );
      server.listen(o.port, '127.0.0.1', resolve);
    });
  } catch (err) {
    clearInterval(tick);
    clearInterval(keepAlive);
    await collector.stop();
    throw err;
  }
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    token,
    onFunctionLog: (l) => collector.onFunctionLog(l),
    tapHosts: (hosts) => tap.hosts(hosts),
    sample,
    async stop() {
      clearInterval(tick);
      clearInterval(keepAlive);
      for (const res of clients) res.end();
      clients.clear();
      for (const deadline = Date.now() + 2000; running > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sampling?.catch(() => undefined);
      await collector.stop();
    },
  };
}
