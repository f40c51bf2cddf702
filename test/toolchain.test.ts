// The project's own toolchain runs on the Node major its functions run on in Lambda: `npm start`, `npm test` and
// CI go through npm scripts, which put node_modules/.bin first on PATH, where the `node` devDependency is. What the
// README and docs/local-cloud.md ("Run it locally") say about it, checked.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shownValue } from '../lib/documented';
import { HOUSE_FUNCTION_DEFAULTS } from '../lib/house-function-defaults';
import { runtimeMajor } from '../local/lambda/node-runtime';

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const lambdaMajor = runtimeMajor(HOUSE_FUNCTION_DEFAULTS.runtime.value.name);
const major = (v: string): number => Number(/(\d+)/.exec(v)?.[1]);
/** npm run, npm test, npx: npm sets npm_lifecycle_event for the scripts it runs */
const underNpm = process.env.npm_lifecycle_event !== undefined;

describe('toolchain Node = Lambda runtime Node', () => {
  it('the functions run on nodejsNN.x and the node devDependency is that major', () => {
    expect(lambdaMajor).toBe(24);
    expect(shownValue(HOUSE_FUNCTION_DEFAULTS.runtime)).toBe(`nodejs${lambdaMajor}.x`);
    expect(major(pkg.devDependencies['node'] ?? '')).toBe(lambdaMajor);
    const installed = JSON.parse(readFileSync(path.join(root, 'node_modules', 'node', 'package.json'), 'utf8')) as { version: string };
    expect(major(installed.version)).toBe(lambdaMajor);
  });

  it.runIf(underNpm)(`run through npm (${process.env.npm_lifecycle_event ?? '-'}), the tests themselves run on that Node`, () => {
    expect(major(process.versions.node)).toBe(lambdaMajor);
  });

  it('engines is the floor the README gives for installing the project; the npm scripts then bring their own Node', () => {
    const floor = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
    expect(floor, `engines.node ${pkg.engines.node}`).toBeDefined();
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const localCloud = readFileSync(path.join(root, 'docs', 'local-cloud.md'), 'utf8');
    expect(readme).toContain(`Node.js ${floor} or newer and npm are all you need`);
    expect(localCloud).toContain(`a fresh clone on any Node ≥ ${floor} (the \`engines\` floor)`);
    // the floor is below the runtime: an older system Node is what the node devDependency is there for
    expect(major(floor!)).toBeLessThan(lambdaMajor!);
  });
});
