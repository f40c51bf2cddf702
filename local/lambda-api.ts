// The local cloud's Lambda API: the calls the operator tools need, so they use the same SDK calls locally and on AWS.
// - Invoke (`replay --target consumer:<name>`, `redrive events`, `rewind`):
//   POST /2015-03-31/functions/{FunctionName}/invocations, RequestResponse only;
// - GetFunctionConfiguration / UpdateFunctionConfiguration, Environment only (`function-env`: change a running
//   function's variables without restarting the local cloud, as a deploy or a console edit would on AWS):
//   GET | PUT /2015-03-31/functions/{FunctionName}/configuration.
// On 127.0.0.1.
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
const CONFIGURATION_PATH = /^\/2015-03-31\/functions\/([^/]+)\/configuration$/;

/** GetFunctionConfiguration's answer, for what the local cloud knows of a function. */
function configurationOf(fn: LocalFunction, host: FunctionHost): Record<string, unknown> {
  return {
    FunctionName: fn.arn.split(':')[6] ?? fn.name,
    FunctionArn: fn.arn,
    Runtime: fn.runtime,
    Handler: fn.handler,
    Timeout: fn.timeoutSeconds,
    MemorySize: fn.memoryMb,
    Environment: { Variables: host.environmentVariables() },
    State: 'Active',
    LastUpdateStatus: 'Successful',
  };
}

function readBody(req: http.IncomingMessage, then: (body: unknown) => void, onBad: () => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: unknown;
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    } catch {
      return onBad();
    }
    then(body);
  });
}

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
    const url = (req.url ?? '').split('?')[0] ?? '';
    /** The function a path names and its host, or undefined after answering 404. */
    const lookUp = (encoded: string | undefined): { fn: LocalFunction; host: FunctionHost } | undefined => {
      const ref = decodeURIComponent(encoded ?? '');
      const fn = findFunction(options.functions, ref);
      const host = fn ? options.hosts()?.get(fn.name) : undefined;
      if (fn && host) return { fn, host };
      awsError(
        res,
        404,
        'ResourceNotFoundException',
        `Function not found: ${ref} (locally only functions with an event source mapping run)`,
      );
      return undefined;
    };
    const badBody = (): void => awsError(res, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
    const configuration = CONFIGURATION_PATH.exec(url);
    if (configuration && (req.method === 'GET' || req.method === 'PUT')) {
      const found = lookUp(configuration[1]);
      if (!found) return;
      const { fn, host } = found;
      if (req.method === 'GET') return send(res, 200, configurationOf(fn, host));
      return readBody(
        req,
        (body) => {
          const b = (body ?? {}) as { Environment?: { Variables?: unknown } } & Record<string, unknown>;
          const other = Object.keys(b).filter((k) => k !== 'Environment' && k !== 'FunctionName');
          if (other.length > 0)
            return awsError(res, 400, 'InvalidParameterValueException', `only Environment is emulated locally, not ${other.join(', ')}`);
          const vars = b.Environment?.Variables ?? {};
          if (typeof vars !== 'object' || vars === null || Object.values(vars).some((v) => typeof v !== 'string')) {
            return awsError(res, 400, 'InvalidParameterValueException', 'Environment.Variables must map names to strings');
          }
          if (b.Environment !== undefined) host.replaceEnvironment(vars as Record<string, string>);
          send(res, 200, configurationOf(fn, host));
        },
        badBody,
      );
    }
    const match = req.method === 'POST' ? INVOKE_PATH.exec(url) : null;
    if (!match) return awsError(res, 404, 'UnknownOperationException', `not emulated locally: ${req.method} ${req.url}`);
    const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (invocationType !== 'RequestResponse') {
      return awsError(res, 400, 'InvalidParameterValueException', `only RequestResponse invocations are emulated, not ${invocationType}`);
    }
    const found = lookUp(match[1]);
    if (!found) return;
    const { host } = found;
    return readBody(
      req,
      (event) =>
        host.invoke(event).then(
          (out) => {
            const headers = { 'x-amz-executed-version': '$LATEST' };
            if (out.status === 'ok') return send(res, 200, out.result ?? null, headers);
            // As Lambda: the call succeeds (200) and the function error travels in a header and the payload.
            send(res, 200, out.error, { ...headers, 'x-amz-function-error': 'Unhandled' });
          },
          (err: unknown) => awsError(res, 500, 'ServiceException', err instanceof Error ? err.message : String(err)),
        ),
      badBody,
    );
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
