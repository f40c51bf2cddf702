// The house checks of the code itself: Biome (biome.jsonc) passes on the tree, its rules and its formatting both
// (`npm run lint` runs the same `biome check`; `npm run format` fixes the formatting), its import boundary is live (lib/
// and lambdas/, which cdk deploy ships, never import the local cloud, the tools, the bench or the tests), and no
// product file outgrows what a reader takes in at once.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const biome = path.join(root, 'node_modules', '.bin', 'biome');
const biomeRun = (command: 'check' | 'lint', cwd: string) =>
  spawnSync(biome, [command, '--max-diagnostics=50', '.'], { cwd, encoding: 'utf8', timeout: 60_000 });

describe('npm run lint (Biome)', () => {
  it('finds no rule broken and no file unformatted in the tree', () => {
    const out = biomeRun('check', root);
    expect(out.stdout + out.stderr).not.toMatch(/Found \d+ errors?/);
    expect(out.status).toBe(0);
  });

  it('refuses an import of local/, tools/, bench/ or test/ in lib/ and lambdas/, and only there', () => {
    // the project's configuration over a copy holding one probe file per folder
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-lint-'));
    try {
      fs.copyFileSync(path.join(root, 'biome.jsonc'), path.join(dir, 'biome.jsonc'));
      const probe =
        "import { a } from '../../local/emulators';\nimport { b } from '../tools/ops/replay';\nimport { c } from '../../bench/run';\nexport const d = [a, b, c];\n";
      for (const file of ['lib/probe.ts', 'lambdas/shared/probe.ts', 'local/probe.ts', 'tools/probe.ts']) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), probe);
      }
      const out = biomeRun('lint', dir);
      const text = out.stdout + out.stderr;
      expect(out.status).not.toBe(0);
      const flagged = [...text.matchAll(/^(\S+\.ts):\d+:\d+ lint\/style\/noRestrictedImports/gm)].map((m) => m[1]);
      expect(flagged.sort()).toEqual([
        'lambdas/shared/probe.ts',
        'lambdas/shared/probe.ts',
        'lambdas/shared/probe.ts',
        'lib/probe.ts',
        'lib/probe.ts',
        'lib/probe.ts',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('file size', () => {
  // A file over this many lines does more than one thing: split it by concern (docs/tests.md).
  const MAX_LINES = 400;
  const PRODUCT_DIRS = ['bin', 'lib', 'lambdas', 'local', 'tools'];

  it(`keeps every product file (${PRODUCT_DIRS.join('/, ')}/) at ${MAX_LINES} lines or fewer`, () => {
    const files = PRODUCT_DIRS.flatMap((dir) =>
      fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f)),
    ).filter((f) => /\.(ts|js|mjs)$/.test(f));
    expect(files.length).toBeGreaterThan(50);
    const long = files
      .map((f) => ({ file: f, lines: fs.readFileSync(path.join(root, f), 'utf8').split('\n').length - 1 }))
      .filter((f) => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
