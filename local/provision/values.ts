// Reading template property values and generating physical names: shared by every resource provisioner.
import * as crypto from 'node:crypto';
import { LocalCloudError } from '../assembly';

export function num(value: unknown, fallback: number, at: string): number {
  if (value === undefined || value === null) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new LocalCloudError(`expected a number at ${at}, got ${JSON.stringify(value)}`);
  return n;
}

export function bool(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  return value === true || value === 'true';
}

/** Generated physical names: stable across runs, valid for the service. */
export function physicalName(stackName: string, logicalId: string, maxLength: number, allowed: RegExp): string {
  const raw = `${stackName}-${logicalId}`.replace(allowed, '-');
  if (raw.length <= maxLength) return raw;
  const hash = crypto.createHash('sha1').update(raw).digest('hex').slice(0, 8);
  return `${raw.slice(0, maxLength - 9)}-${hash}`;
}
