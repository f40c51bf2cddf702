/**
 * Replay progress on disk: the archive position (object key + line) up to which every record has been
 * resolved (sent, or failed and written to the failures file). A rerun with the same arguments skips
 * everything at or before it, so nothing is sent twice. Written atomically (temp file + rename).
 *
 * The remaining duplicate window: a crash after a send succeeded and before the checkpoint write re-sends
 * that one chunk (≤ 500 records to the stream, ≤ one batch to a consumer) on resume; consumers absorb it by
 * the envelope id.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OpsError } from './errors';

export interface Position {
  readonly key: string;
  /** last line resolved in `key`; Number.MAX_SAFE_INTEGER = the whole object */
  readonly line: number;
}

export interface Checkpoint {
  readonly version: 1;
  /** hash of the arguments that define the replay (a different replay never reuses a checkpoint) */
  readonly argsHash: string;
  readonly replayId: string;
  readonly startedAt: string;
  position?: Position;
  done: boolean;
  /** cumulative over every run of this replay */
  totals: { read: number; sent: number; skipped: number; failed: number; filteredOut: number };
  updatedAt: string;
}

export const WHOLE_OBJECT = Number.MAX_SAFE_INTEGER;

/** Stable hash of the replay-defining arguments (not of --rate, --dry-run, progress or output flags). */
export function argsHash(args: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(args)
      .sort()
      .map((k) => [k, args[k]]),
  );
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export const defaultCheckpointFile = (hash: string, projectDir = process.cwd()): string =>
  path.join(projectDir, '.local', `replay-${hash}.json`);

/**
 * The failures file kept beside a checkpoint (records that failed after their retries, one JSON line each);
 * both are removed first when the operator asked for --restart. A dry run has neither.
 */
export function runFiles(
  checkpointFile: string | undefined,
  restart: boolean | undefined,
): { checkpointFile?: string; failuresFile?: string } {
  if (checkpointFile === undefined) return {};
  const failuresFile = checkpointFile.replace(/(\.json)?$/, '.failed.ndjson');
  if (restart) {
    fs.rmSync(checkpointFile, { force: true });
    fs.rmSync(failuresFile, { force: true });
  }
  return { checkpointFile, failuresFile };
}

export function loadCheckpoint(file: string, hash: string): Checkpoint | undefined {
  if (!fs.existsSync(file)) return undefined;
  const cp = JSON.parse(fs.readFileSync(file, 'utf8')) as Checkpoint;
  if (cp.version !== 1 || cp.argsHash !== hash) {
    throw new OpsError(`checkpoint ${file} belongs to a different replay (arguments differ): pass another --checkpoint or --restart`);
  }
  return cp;
}

/** What a resumable run (replay, rewind) reports about its checkpoint, its failures file and its end. */
export interface RunRecord {
  readonly resumed: boolean;
  interrupted: boolean;
  readonly alreadyComplete: boolean;
  readonly checkpointFile?: string;
  readonly failuresFile?: string;
  elapsedMs: number;
}

/** The RunRecord of a run that starts now, after `previous` (an earlier run's checkpoint, if there is one). */
export function startRunRecord(
  previous: { readonly done: boolean } | undefined,
  files: { checkpointFile?: string; failuresFile?: string },
): RunRecord {
  return {
    resumed: previous !== undefined,
    interrupted: false,
    alreadyComplete: previous?.done === true,
    ...(files.checkpointFile ? { checkpointFile: files.checkpointFile, failuresFile: files.failuresFile! } : {}),
    elapsedMs: 0,
  };
}

/** Appends one record that failed after its retries to the failures file (a dry run has none: nothing written). */
export function appendFailure(failuresFile: string | undefined, failure: object): void {
  if (!failuresFile) return;
  fs.mkdirSync(path.dirname(failuresFile), { recursive: true });
  fs.appendFileSync(failuresFile, `${JSON.stringify(failure)}\n`);
}

/** Atomic write (temp file + rename) of any checkpoint (replay's, rewind's). */
export function saveCheckpoint<T extends { updatedAt: string }>(file: string, cp: T): void {
  cp.updatedAt = new Date().toISOString();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(cp, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/**
 * Answers, object by object IN REPLAY ORDER, whether an archive position (key, line) was resolved by an earlier
 * run. Objects written in the same second are replayed in content order, not key order (archive-reader), so
 * "before the checkpoint" means "yielded before the checkpoint's object", not "a smaller key". The caller
 * lists from the checkpoint's second on (`resumeKeys`); if the checkpoint's object is gone, key order decides.
 */
export function resumeGate(position: Position | undefined, keys: readonly string[]): (key: string, line: number) => boolean {
  if (!position) return () => false;
  if (!keys.includes(position.key)) return (key, line) => key < position.key || (key === position.key && line <= position.line);
  let reached = false;
  return (key, line) => {
    if (key === position.key) {
      reached = true;
      return line <= position.line;
    }
    return !reached;
  };
}
