// Each function runs on the Node major its template's Runtime names: selection from fixture runtimes and
// binaries, then a real function host on this machine.
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FunctionHost } from '../../../local/lambda/function-host';
import { createLogSink } from '../../../local/lambda/log-sink';
import { runtimeMajor, selectNodeBinary, systemProbe, type NodeProbe } from '../../../local/lambda/node-runtime';
import { fixtureFunction } from './harness';

/** A machine: the local cloud on Node 24, node_modules/node 24, and these `node` binaries on PATH (dir → version). */
function probe(o: { exec?: string; dev?: string | null; onPath?: Record<string, string | null> } = {}): NodeProbe & { asked: string[] } {
  const onPath = o.onPath ?? {};
  const asked: string[] = [];
  return {
    asked,
    execPath: '/opt/cloud/node',
    execVersion: o.exec ?? '24.21.0',
    ...(o.dev === null ? {} : { devDependency: { execPath: '/p/node_modules/node/bin/node', version: o.dev ?? '24.21.0' } }),
    pathDirs: Object.keys(onPath),
    nodeIn: (dir) => (dir in onPath ? path.join(dir, 'node') : undefined),
    versionOf: (bin) => {
      asked.push(bin);
      return onPath[path.dirname(bin)] ?? undefined;
    },
  };
}

describe('runtime → Node binary', () => {
  it('reads the major from nodejsNN.x', () => {
    expect(runtimeMajor('nodejs24.x')).toBe(24);
    expect(runtimeMajor('nodejs22.x')).toBe(22);
    expect(runtimeMajor('nodejs18.x')).toBe(18);
    expect(runtimeMajor('python3.12')).toBeUndefined();
  });

  it('nodejs24.x: the local cloud’s own Node when its major matches, without probing anything', () => {
    const p = probe({ onPath: { '/usr/bin': '20.20.2' } });
    expect(selectNodeBinary('nodejs24.x', p)).toEqual({
      runtime: 'nodejs24.x',
      wanted: 24,
      execPath: '/opt/cloud/node',
      version: '24.21.0',
      matched: true,
      source: 'local cloud',
    });
    expect(p.asked).toEqual([]);
  });

  it('nodejs24.x with the local cloud on Node 20: the node devDependency', () => {
    const s = selectNodeBinary('nodejs24.x', probe({ exec: 'v20.20.2', onPath: { '/usr/bin': '20.20.2' } }));
    expect(s).toMatchObject({ execPath: '/p/node_modules/node/bin/node', version: '24.21.0', matched: true, source: 'devDependency' });
  });

  it('nodejs22.x: the first node on PATH whose --version is 22, skipping others', () => {
    const p = probe({
      onPath: { '/usr/local/bin': '20.20.2', '/broken': null, '/home/u/.nvm/versions/node/v22.12.0/bin': '22.12.0', '/later': '22.1.0' },
    });
    const s = selectNodeBinary('nodejs22.x', p);
    expect(s).toMatchObject({
      wanted: 22,
      execPath: '/home/u/.nvm/versions/node/v22.12.0/bin/node',
      version: '22.12.0',
      matched: true,
      source: 'PATH',
    });
    expect(s.warning).toBeUndefined();
    expect(p.asked).toEqual(['/usr/local/bin/node', '/broken/node', '/home/u/.nvm/versions/node/v22.12.0/bin/node']);
  });

  it('nodejs18.x with no Node 18 anywhere: the local cloud’s Node, with a one-line warning naming both', () => {
    const s = selectNodeBinary('nodejs18.x', probe({ dev: null, onPath: { '/usr/bin': '20.20.2' } }));
    expect(s).toMatchObject({ wanted: 18, execPath: '/opt/cloud/node', version: '24.21.0', matched: false, source: 'fallback' });
    expect(s.warning).toBe(
      "nodejs18.x: no Node 18 installed (not the local cloud's Node, not node_modules/node, not on PATH): running it on Node 24.21.0 (/opt/cloud/node)",
    );
    expect(s.warning).not.toContain('\n');
  });

  it('missing binaries: no devDependency, nothing on PATH answers --version', () => {
    const s = selectNodeBinary('nodejs22.x', probe({ dev: null, onPath: { '/a': null, '/b': null } }));
    expect(s).toMatchObject({ matched: false, source: 'fallback', execPath: '/opt/cloud/node' });
    expect(s.warning).toMatch(/^nodejs22\.x: no Node 22 installed/);
  });
});

describe('on this machine', () => {
  const hosts: FunctionHost[] = [];
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.stop()));
  });
  const endpoints = {
    region: 'us-east-1',
    accountId: '000000000000',
    sqs: 'http://127.0.0.1:1',
    kinesis: 'http://127.0.0.1:2',
    s3: 'http://127.0.0.1:1',
  };

  it('a function runs on the Node its runtime names when that major is installed, else on the local cloud’s with the warning in its log', async () => {
    const machine = systemProbe();
    const installed = new Set<number>([Number(process.versions.node.split('.')[0])]);
    if (machine.devDependency) installed.add(Number(machine.devDependency.version.split('.')[0]));
    for (const dir of machine.pathDirs) {
      const bin = machine.nodeIn(dir);
      const v = bin ? machine.versionOf(bin) : undefined;
      if (v) installed.add(Number(v.split('.')[0]));
    }
    for (const major of [24, 22, 20, 18]) {
      const lines: string[] = [];
      const logSink = createLogSink({ tee: (l) => lines.push(l.line) });
      const h = new FunctionHost({ fn: fixtureFunction(`node${major}`, 'env', { runtime: `nodejs${major}.x` }), endpoints, logSink });
      hosts.push(h);
      const r = await h.invoke({});
      expect(r.status).toBe('ok');
      const ran = (r as { result: { node: string; execPath: string } }).result;
      if (installed.has(major)) {
        expect(ran.node, `nodejs${major}.x`).toMatch(new RegExp(`^v${major}\\.`));
        expect(h.node.matched).toBe(true);
        expect(lines.filter((l) => l.startsWith('WARNING'))).toEqual([]);
      } else {
        expect(ran.node).toBe(process.version);
        expect(h.node).toMatchObject({ matched: false, source: 'fallback' });
        expect(lines).toContain(`WARNING ${h.node.warning}`);
      }
      expect(ran.node).toBe(`v${h.node.version}`);
    }
  });
});
