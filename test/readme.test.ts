// The README is the first file a reviewer reads, and docs/ holds what it links: what a test can check in them,
// a test checks. The generated tables are checked where they are generated: test/infra/defaults-table.test.ts
// (docs/defaults.md, the alarms of docs/operate.md, the consumers of docs/architecture.md) and
// test/tools/cost-readme.test.ts (docs/cost.md).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');
const readme = read('README.md');
const docs = readdirSync(path.join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`);
/** README.md and every docs/*.md, by repository path. */
const pages: ReadonlyArray<readonly [string, string]> = [['README.md', readme], ...docs.map((f) => [f, read(f)] as const)];
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
const ci = read('.ci/run');

/** Markdown outside fenced code blocks (a `# comment` in a bash block is no heading). */
const prose = (md: string): string => md.replace(/^```[\s\S]*?^```/gm, '');

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens, -1, -2 for repeats. */
function anchorsOf(md: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, text] of prose(md).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = text!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Every relative Markdown link of a page (no http(s), no mailto), as [target file, anchor]. */
function linksOf(file: string, md: string): Array<[string, string | undefined]> {
  return [...prose(md).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((href) => !/^[a-z]+:/i.test(href))
    .map((href) => {
      const [target, anchor] = href.split('#') as [string, string | undefined];
      return [target === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), target)), anchor];
    });
}

describe('README', () => {
  it('gives the two commands near its top: the local cloud and the tests', () => {
    const top = readme.split('\n').slice(0, 20).join('\n');
    expect(top).toContain('npm install && npm start');
    expect(top).toContain('npm test');
  });

  it('CI runs exactly the README test command', () => {
    expect(ci).toMatch(/^npm test$/m);
  });

  it('carries on its first screen the diagram, where things are and the decision guide', () => {
    const end = readme.indexOf('\n## Docs');
    expect(end, 'README has a "## Docs" list after its first screen').toBeGreaterThan(0);
    const first = readme.slice(0, end);
    expect(first.split('\n').length, 'the first screen stays short').toBeLessThanOrEqual(80);
    expect(first).toContain('```mermaid');
    expect(first).toContain('](docs/queue-or-stream.md)');
    for (const folder of ['bin', 'lib', 'lambdas', 'local', 'tools', 'bench', 'test', 'docs'])
      expect(first).toContain(`| \`${folder}/\` |`);
  });

  it('links every page of docs/ (one hop from the README)', () => {
    const linked = new Set(linksOf('README.md', readme).map(([target]) => target));
    for (const page of docs) expect(linked, `README.md links ${page}`).toContain(page);
  });

  it('keeps the why of every library one hop away', () => {
    expect(readme).toContain('](docs/libraries.md)');
    expect(read('docs/libraries.md')).toContain('| library | used for | why not hand-written / why this one |');
  });
});

describe('README and docs/', () => {
  it.each(pages)('%s: every link resolves, and every heading it links exists', (file, md) => {
    for (const [target, anchor] of linksOf(file, md)) {
      expect(existsSync(path.join(root, target)), `${file} links ${target}, which does not exist`).toBe(true);
      if (anchor !== undefined && target.endsWith('.md')) {
        expect([...anchorsOf(read(target))], `${file} links ${target}#${anchor}`).toContain(anchor);
      }
    }
  });

  it.each(pages)('%s: names only npm scripts that exist', (_file, md) => {
    const used = new Set([...md.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!));
    for (const script of used) expect(pkg.scripts, `npm run ${script}`).toHaveProperty(script);
  });

  it.each(pages)('%s: points at files that exist', (_file, md) => {
    const paths = [...md.matchAll(/`((?:bin|lib|lambdas|local|tools|test|bench|reliability|queries|docs)\/[\w./-]+)`/g)].map((m) => m[1]!);
    for (const p of paths) expect(() => readFileSync(path.join(root, p.replace(/\/$/, '')))).not.toThrow(/ENOENT/);
  });

  it('name enough paths for the check above to mean something', () => {
    const paths = pages.flatMap(([, md]) => [...md.matchAll(/`((?:bin|lib|lambdas|local|tools|test|bench|reliability)\/[\w./-]+)`/g)]);
    expect(paths.length).toBeGreaterThan(10);
  });

  it('have the sections a reviewer looks for, each in its page', () => {
    const sections: Record<string, string[]> = {
      'docs/architecture.md': ['# Architecture', '## Where to find things', '## The two paths', '### The envelope'],
      'docs/local-cloud.md': ['# Run it locally', '## Console', '## Talk to it from a shell'],
      'docs/defaults.md': ['# Default settings'],
      'docs/deploy.md': ['# Deploy', '## Cleanup'],
      'docs/operate.md': ['# Operate', '## Alarms', '## Query the archive', '## Operator tools'],
      'docs/cost.md': ['# Cost'],
      'docs/reliability.md': ['# Reliability'],
      'docs/tests.md': ['# Tests'],
      'docs/queue-or-stream.md': ['# Queue or stream?'],
    };
    for (const [file, headings] of Object.entries(sections)) {
      for (const heading of headings)
        expect(read(file), `${file}: ${heading}`).toMatch(new RegExp(`^${heading.replace(/[?]/g, '\\?')}`, 'm'));
    }
  });

  it('show the fault suite report verbatim (docs/reliability.md)', () => {
    const block = read('docs/reliability.md').match(/<!-- reliability:start -->\n([\s\S]*?)\n<!-- reliability:end -->/)?.[1];
    expect(block?.trim()).toBe(read('reliability/report.md').trim());
  });
});
