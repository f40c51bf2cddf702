// The local cloud's fixed ports: their defaults, the flag that moves each, and the checks that say which one is
// taken before anything starts.
import * as net from 'node:net';
import { LocalCloudError } from './assembly';
import type { KinesisEngine } from './emulators';

export const DEFAULT_PORTS = {
  /** fauxqs serves SQS and S3 on one port */
  sqs: 4566,
  kinesis: 4567,
  dynamodb: 4568,
} as const;

export interface EmulatorPorts {
  sqs: number;
  kinesis: number;
  /** default 0 (any free port) for callers that predate DynamoDB; startLocalCloud passes DEFAULT_PORTS.dynamodb */
  dynamodb?: number;
}

export class PortInUseError extends LocalCloudError {
  constructor(
    readonly port: number,
    what: string,
    flag: string,
  ) {
    super(`port ${port} (${what}) is already in use: stop what uses it or choose another port with ${flag} <port>`);
    this.name = 'PortInUseError';
  }
}

export const PORT_FLAGS: Record<keyof EmulatorPorts, { what: string; flag: string }> = {
  sqs: { what: 'SQS + S3, fauxqs', flag: '--port-sqs' },
  kinesis: { what: 'Kinesis', flag: '--port-kinesis' },
  dynamodb: { what: 'DynamoDB, dynalite', flag: '--port-dynamodb' },
};

export function isAddrInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'EADDRINUSE';
}

/** Checks a port can be bound (on all interfaces when `host` is undefined, as a child emulator binds). */
export function probePort(port: number, host?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Checks, before anything is synthesized or started, that every fixed port (not 0) can be bound the way its
 * emulator will bind it; the first one in use is a PortInUseError naming its flag.
 */
export async function assertPortsFree(ports: Partial<EmulatorPorts> & { lambda?: number }, kinesis: KinesisEngine): Promise<void> {
  const checks: { port: number | undefined; host: string | undefined; what: string; flag: string }[] = [
    { port: ports.sqs, host: '127.0.0.1', ...PORT_FLAGS.sqs },
    // kinesis-local binds every interface (it has no host setting)
    { port: ports.kinesis, host: kinesis === 'kinesis-local' ? undefined : '127.0.0.1', ...PORT_FLAGS.kinesis },
    { port: ports.dynamodb, host: '127.0.0.1', ...PORT_FLAGS.dynamodb },
    { port: ports.lambda, host: '127.0.0.1', what: 'Lambda API', flag: '--port-lambda' },
  ];
  for (const c of checks) {
    if (c.port && !(await probePort(c.port, c.host))) throw new PortInUseError(c.port, c.what, c.flag);
  }
}

/** A free port chosen by the OS on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
