// Issue #11, point 8: one local cloud per state directory, found before the synth; no stale endpoints.json
// (removed at start, before the synth); readers tell a file left by a dead local cloud from a running one.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PortInUseError } from '../../local/ports';
import { startLocalCloud } from '../../local/index';
import { NoLocalCloudError, acquireInstanceLock, localCloudState, processStartTime, readRunningEndpoints } from '../../local/instance';
import { startFixtureCloud } from './cloud/helpers';
import { tempDir } from '../support/temp';

/** The pid of a process that has exited (so no live process has it, for a while). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

/** A live process other than this one, and how to end it. */
function otherProcess(): { pid: number; kill: () => void } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  return { pid: child.pid!, kill: () => void child.kill('SIGKILL') };
}

function occupy(): Promise<{ port: number; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () =>
      resolve({ port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) }),
    );
  });
}

/** A project folder without cdk.json: a start that reaches the synth fails with "no cdk.json". */
const noCdkJson = (dir: string): string => fs.mkdtempSync(path.join(dir, 'project-'));

const staleEndpoints = (dir: string, pid: number): string => {
  const file = path.join(dir, 'endpoints.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      region: 'us-east-1',
      pid,
      endpoints: { sqs: 'http://127.0.0.1:9', kinesis: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9' },
    }),
  );
  return file;
};

describe('the instance lock (<stateDir>/local-cloud.lock)', () => {
  it('lets one holder in and tells the next one, in one line, who holds it; released, it can be taken again', () => {
    const tmp = tempDir();
    try {
      const lock = acquireInstanceLock(tmp.dir);
      expect(() => acquireInstanceLock(tmp.dir)).toThrow(
        new RegExp(
          `^a local cloud is already running from .* \\(pid ${process.pid}, started \\d\\d:\\d\\d:\\d\\d\\): stop it first \\(Ctrl-C in its terminal, or kill ${process.pid}\\), or use another --state-dir$`,
        ),
      );
      lock.release();
      expect(fs.existsSync(lock.file)).toBe(false);
      acquireInstanceLock(tmp.dir).release();
    } finally {
      tmp.remove();
    }
  });

  it('takes over a lock whose process has exited, or whose pid now belongs to another process', () => {
    const tmp = tempDir();
    const other = otherProcess();
    try {
      const file = path.join(tmp.dir, 'local-cloud.lock');
      fs.writeFileSync(file, JSON.stringify({ pid: deadPid(), startedAt: new Date().toISOString(), argv: [] }));
      acquireInstanceLock(tmp.dir).release();
      if (processStartTime(other.pid) !== undefined) {
        // same pid, another start time: the pid was reused
        fs.writeFileSync(file, JSON.stringify({ pid: other.pid, procStart: '1', startedAt: new Date().toISOString(), argv: [] }));
        acquireInstanceLock(tmp.dir).release();
      }
      fs.writeFileSync(file, 'not json (a writer killed mid-write)');
      acquireInstanceLock(tmp.dir).release();
    } finally {
      other.kill();
      tmp.remove();
    }
  });
});

describe('startLocalCloud, before it synthesizes', () => {
  it('stops at once when another process runs a local cloud from the same state directory, touching nothing', async () => {
    const tmp = tempDir();
    const other = otherProcess();
    try {
      fs.writeFileSync(
        path.join(tmp.dir, 'local-cloud.lock'),
        JSON.stringify({ pid: other.pid, procStart: processStartTime(other.pid), startedAt: '2026-12-01T10:00:00.000Z', argv: [] }),
      );
      const endpoints = staleEndpoints(tmp.dir, other.pid); // its file, still valid
      const t0 = Date.now();
      // a start that got as far as the synth would fail with "no cdk.json" instead
      await expect(
        startLocalCloud({ projectDir: noCdkJson(tmp.dir), stateDir: tmp.dir, ports: { sqs: 0, kinesis: 0 }, quiet: true }),
      ).rejects.toThrow(new RegExp(`^a local cloud is already running from .* \\(pid ${other.pid}, started 10:00:00\\)`));
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(fs.existsSync(endpoints)).toBe(true);
    } finally {
      other.kill();
      tmp.remove();
    }
  });

  it('also stops when only an endpoints file names a live process (a local cloud without a lock)', async () => {
    const tmp = tempDir();
    const other = otherProcess();
    try {
      staleEndpoints(tmp.dir, other.pid);
      await expect(
        startLocalCloud({ projectDir: noCdkJson(tmp.dir), stateDir: tmp.dir, ports: { sqs: 0, kinesis: 0 }, quiet: true }),
      ).rejects.toThrow(new RegExp(`^a local cloud is already running from .* \\(pid ${other.pid}, .*endpoints\\.json\\)`));
      expect(fs.existsSync(path.join(tmp.dir, 'local-cloud.lock'))).toBe(false);
    } finally {
      other.kill();
      tmp.remove();
    }
  });

  it('removes an endpoints file left by a local cloud that is gone before the synth, and releases its lock when the start fails', async () => {
    const tmp = tempDir();
    try {
      const file = staleEndpoints(tmp.dir, deadPid());
      const lines: string[] = [];
      // the synth fails at once (no cdk.json): the stale file is gone already, so it went before the synth
      await expect(
        startLocalCloud({ projectDir: noCdkJson(tmp.dir), stateDir: tmp.dir, ports: { sqs: 0, kinesis: 0 }, log: (l) => lines.push(l) }),
      ).rejects.toThrow(/no cdk\.json/);
      expect(fs.existsSync(file)).toBe(false);
      expect(lines[0]).toMatch(/^removed a stale .*endpoints\.json \(its local cloud is gone\)$/);
      expect(fs.existsSync(path.join(tmp.dir, 'local-cloud.lock'))).toBe(false);
    } finally {
      tmp.remove();
    }
  });

  it('reports a fixed port in use, naming its flag, before it synthesizes', async () => {
    const tmp = tempDir();
    const busy = await occupy();
    try {
      const err = await startLocalCloud({
        projectDir: noCdkJson(tmp.dir),
        stateDir: tmp.dir,
        ports: { sqs: 0, kinesis: 0 },
        lambdaPort: busy.port,
        quiet: true,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toBe(
        `port ${busy.port} (Lambda API) is already in use: stop what uses it or choose another port with --port-lambda <port>`,
      );
      const err2 = await startLocalCloud({
        projectDir: noCdkJson(tmp.dir),
        stateDir: tmp.dir,
        ports: { sqs: busy.port, kinesis: 0 },
        quiet: true,
      }).catch((e: unknown) => e);
      expect((err2 as Error).message).toMatch(/--port-sqs <port>$/);
      expect(fs.existsSync(path.join(tmp.dir, 'local-cloud.lock'))).toBe(false);
    } finally {
      await busy.close();
      tmp.remove();
    }
  });
});

describe('reading endpoints.json (readRunningEndpoints, for the shell commands and the operator tools)', () => {
  const NO_CLOUD = /^no local cloud is running \(start it with npm start\): /;

  it('says "no local cloud is running" when the file is missing, left by a dead process, or its ports refuse', async () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'endpoints.json');
      await expect(readRunningEndpoints(file)).rejects.toThrow(new RegExp(`${NO_CLOUD.source}.*endpoints\\.json not found$`));
      const dead = deadPid();
      staleEndpoints(tmp.dir, dead);
      const err = await readRunningEndpoints(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NoLocalCloudError);
      expect((err as Error).message).toMatch(new RegExp(`${NO_CLOUD.source}.*endpoints\\.json was left by pid ${dead}, which has exited$`));
      staleEndpoints(tmp.dir, process.pid); // a live pid, but nothing listens on port 9
      await expect(readRunningEndpoints(file)).rejects.toThrow(
        new RegExp(`${NO_CLOUD.source}http://127\\.0\\.0\\.1:9 \\(from .*endpoints\\.json\\) refuses connections$`),
      );
    } finally {
      tmp.remove();
    }
  });

  it('returns the endpoints of a running local cloud, and "no local cloud" once it stopped', async () => {
    const tmp = tempDir();
    const cloud = await startFixtureCloud(tmp.dir, { startLambda: false });
    try {
      const e = await readRunningEndpoints(cloud.endpointsFile);
      expect(e.endpoints.sqs).toBe(cloud.emulators.endpoints.sqs);
      expect(e.env).toMatchObject({ AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1' });
    } finally {
      await cloud.stop();
    }
    expect(await localCloudState(cloud.endpointsFile)).toMatchObject({ running: false });
    tmp.remove();
  });
});
