// The README is the first file a reviewer reads: what a test can check in it, a test checks.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const ci = readFileSync(path.join(root, '.ci', 'run'), 'utf8');

describe('README', () => {
  it('gives the two commands near its top: the local cloud and the tests', () => {
    const top = readme.split('\n').slice(0, 20).join('\n');
    expect(top).toContain('npm install && npm start');
    expect(top).toContain('npm test');
  });

  it('CI runs exactly the README test command', () => {
    expect(ci).toMatch(/^npm test$/m);
  });

  it('names only npm scripts that exist', () => {
    const used = new Set([...readme.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!));
    for (const script of used) expect(pkg.scripts, `npm run ${script}`).toHaveProperty(script);
  });

  it('points at files that exist', () => {
    const paths = [...readme.matchAll(/`((?:bin|lib|lambdas|local|tools|test|bench|reliability)\/[\w./-]+)`/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) expect(() => readFileSync(path.join(root, p.replace(/\/$/, '')))).not.toThrow(/ENOENT/);
  });

  it('has the architecture diagram and the sections a reviewer looks for', () => {
    expect(readme).toContain('```mermaid');
    for (const heading of ['## Default settings', '## Deploy', '## Operate', '## Cost', '## Cleanup', '## Reliability', '## Queue or stream?']) {
      expect(readme).toContain(heading);
    }
  });

  it('shows the fault suite report verbatim', () => {
    const block = readme.match(/<!-- reliability:start -->\n([\s\S]*?)\n<!-- reliability:end -->/)?.[1];
    expect(block?.trim()).toBe(readFileSync(path.join(root, 'reliability', 'report.md'), 'utf8').trim());
  });
});
