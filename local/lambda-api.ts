// The local cloud's Lambda Invoke endpoint: the one AWS Lambda API call the operator tools need
// (`replay --target consumer:<name>`, `redrive events`), so they use the same SDK call locally and on AWS.
// POST /2015-03-31/functions/{FunctionName}/invocations, RequestResponse only, on 127.0.0.1.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalCloudError } from './assembly';
import type { FunctionHost } from './lambda/function-host';
import type { LocalFunction } from './types';

export interface LambdaApi {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** A function is addressed as on AWS: by name, by ARN (optionally qualified), or — locally — by its tag name or logical id. */
export function findFunction(functions: readonly LocalFunction[], ref: string): LocalFunction | undefined {
  const bare = ref.startsWith('arn:') ? (ref.split(':')[6] ?? ref) : ref;
  return functions.find((f) => f.arn === ref || f.name === bare || f.logicalId === bare || f.arn.split(':')[6] === bare);
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function awsError(res: http.ServerResponse, status: number, type: string, message: string): void {
  send(res, status, { Type: 'User', message }, { 'x-amzn-errortype': type });
}

export async function startLambdaApi(options: {
  port: number;
  functions: readonly LocalFunction[];
  /** looked up per request: the Lambda service starts after this endpoint is known */
  hosts: () => ReadonlyMap<string, FunctionHost> | undefined;
}): Promise<LambdaApi> {
  const server = http.createServer((req, res) => {
    const match = req.method === 'POST' ? INVOKE_PATH.exec((req.url ?? '').split('?')[0] ?? '') : null;
    if (!match) return awsError(res, 404, 'UnknownOperationException', `not emulated locally: ${req.method} ${req.url}`);
    const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (invocationType !== 'RequestResponse') {
      return awsError(res, 400, 'InvalidParameterValueException', `only RequestResponse invocations are emulated, not ${invocationType}`);
    }
    const ref = decodeURIComponent(match[1] ?? '');
    const fn = findFunction(options.functions, ref);
    const host = fn ? options.hosts()?.get(fn.name) : undefined;
    if (!fn || !host) {
      return awsError(res, 404, 'ResourceNotFoundException', `Function not found: ${ref} (locally only functions with an event source mapping run)`);
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let event: unknown;
      try {
        event = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      } catch {
        return awsError(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
      }
      host.invoke(event).then(
        (out) => {
          const headers = { 'x-amz-executed-version': '$LATEST' };
          if (out.status === 'ok') return send(res, 200, out.result ?? null, headers);
          // As Lambda: the call succeeds (200) and the function error travels in a header and the payload.
          send(res, 200, out.error, { ...headers, 'x-amz-function-error': 'Unhandled' });
        },
        (err: unknown) => awsError(res, 500, 'ServiceException', err instanceof Error ? err.message : String(err)),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new LocalCloudError(`port ${options.port} (Lambda API) is already in use: stop what holds it or pass --port-lambda <port>`)
          : err,
      ),
    );
    server.listen(options.port, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
