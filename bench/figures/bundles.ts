/**
 * Figure 1: every project function's bundle (minified index.js from the synthesized assembly, its .map apart)
 * and its import time in a fresh Node process with the SDK resolvable as on Lambda, against (a) an empty
 * script's process start and (b) the issue's anchor handlers, rebuilt and measured in the same run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAssemblyFunctions, type AssemblyFunction } from '../lib/assembly';
import { timeProcess } from '../lib/proc';
import { median, round, runInterleaved } from '../lib/stats';
import type { BenchOptions, FigureResult, Row } from '../lib/types';

export const SIZE_TARGET_KB = 150;
export const IMPORT_TARGET_MS = 80;
const KB = 1000;

interface Anchor {
  readonly name: string;
  readonly source: string;
  readonly external: readonly string[];
  readonly quoted: string;
}

const ANCHORS: readonly Anchor[] = [
  {
    name: 'anchor: batch + logger + zod `import { z }`',
    source: 'anchor-classic-zod.ts',
    external: ['@aws-sdk/*'],
    quoted: 'issue: 485 KB / ~38 ms',
  },
  {
    name: 'anchor: batch + logger + zod `import * as z` + bundled SQS client',
    source: 'anchor-bundled-sdk.ts',
    external: [],
    quoted: 'issue: ~580 KB / ~75 ms',
  },
];

interface Bundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly mapBytes: number;
  readonly env: Record<string, string>;
  readonly externalSdk: boolean;
  /** The @aws-sdk/* packages the bundle requires from the runtime, sorted. */
  readonly sdkModules: readonly string[];
}

/** The external @aws-sdk/* packages a bundle requires (esbuild leaves them as plain require calls). */
export function requiredSdkModules(source: string): string[] {
  return [...new Set([...source.matchAll(/require\("(@aws-sdk\/[a-z0-9-]+)"\)/g)].map((m) => m[1]!))].sort();
}

/** Builds an anchor the way NodejsFunction builds ours: esbuild, bundle, minify, external source map, node24, CJS. */
async function buildAnchor(options: BenchOptions, anchor: Anchor): Promise<string> {
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  const outfile = path.join(options.tmp, 'anchors', path.basename(anchor.source, '.ts'), 'index.js');
  await esbuild.build({
    entryPoints: [path.join(options.root, 'bench', 'fixtures', anchor.source)],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    external: [...anchor.external],
    logLevel: 'error',
  });
  return outfile;
}

const sizeOf = (file: string): number => (fs.existsSync(file) ? fs.statSync(file).size : 0);

/** What a Lambda execution environment provides, minus the function's own variables. */
function lambdaLikeEnv(root: string, name: string): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    // The SDK as the runtime provides it: resolvable from outside the bundle.
    NODE_PATH: path.join(root, 'node_modules'),
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  };
}

/** The child's script for attribution: times `require` of each of `modules` in one process, in order. */
export function importModulesScript(modules: readonly string[]): string {
  const load = modules.map((m) => `require(${JSON.stringify(m)});`).join('');
  return `const t0=process.hrtime.bigint();${load}process.stdout.write(String(Number(process.hrtime.bigint()-t0)/1e6));`;
}

/** The child's script: times `require` of the bundle from inside, and checks it exports the handler. */
export function importScript(file: string | null, expectHandler = true): string {
  const check = expectHandler ? `if(typeof m.handler!=='function')throw new Error('no handler export');` : '';
  const load = file === null ? '' : `const m=require(${JSON.stringify(file)});${check}`;
  return `const t0=process.hrtime.bigint();${load}process.stdout.write(String(Number(process.hrtime.bigint()-t0)/1e6));`;
}

type Mode = 'deployed' | 'nomaps';

export async function bundlesFigure(options: BenchOptions, assemblyDir: string): Promise<FigureResult> {
  const started = Date.now();
  const rounds = options.quick ? 3 : 15;
  const { functions, skipped } = readAssemblyFunctions(assemblyDir);
  if (functions.length === 0) throw new Error(`no function with an event source mapping in ${assemblyDir}`);

  const bundles: Bundle[] = functions.map((f: AssemblyFunction) => {
    const file = path.join(f.assetDir, 'index.js');
    const sdkModules = requiredSdkModules(fs.readFileSync(file, 'utf8'));
    return {
      name: f.name,
      file,
      bytes: sizeOf(file),
      mapBytes: sizeOf(`${file}.map`),
      env: { ...lambdaLikeEnv(options.root, f.name), ...f.environment },
      externalSdk: sdkModules.length > 0,
      sdkModules,
    };
  });
  const anchors: (Bundle & { quoted: string })[] = [];
  for (const anchor of ANCHORS) {
    const file = await buildAnchor(options, anchor);
    anchors.push({
      name: anchor.name,
      file,
      bytes: sizeOf(file),
      mapBytes: sizeOf(`${file}.map`),
      // Same variables as our functions, including NODE_OPTIONS=--enable-source-maps in the deployed mode.
      env: {
        ...lambdaLikeEnv(options.root, 'anchor'),
        ...bundles[0]!.env,
        JOB_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-placeholder',
      },
      externalSdk: anchor.external.length > 0,
      sdkModules: [],
      quoted: anchor.quoted,
    });
  }
  const all = [...bundles, ...anchors];
  const EMPTY = '(empty script)';
  // Attribution (deployed mode only): each runtime SDK package the functions require, alone, and each
  // function's set of them together in one process (they share @smithy/* and @aws-sdk/core, so the singles
  // do not add up). Variant names of SDK sets are the packages joined by " + ".
  const singles = [...new Set(bundles.flatMap((b) => b.sdkModules))].sort();
  const sets = [...new Set(bundles.filter((b) => b.sdkModules.length > 1).map((b) => b.sdkModules.join(' + ')))];
  const sdkVariants = [...singles, ...sets.filter((set) => !singles.includes(set))];
  const isSdk = new Set(sdkVariants);
  const variants: string[] = [];
  for (const mode of ['deployed', 'nomaps'] as Mode[]) {
    variants.push(
      `${mode}|${EMPTY}`,
      ...(mode === 'deployed' ? sdkVariants.map((v) => `${mode}|${v}`) : []),
      ...all.map((b) => `${mode}|${b.name}`),
    );
  }
  const inProcess: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
  const byName = new Map(all.map((b) => [b.name, b]));
  const sourceMapsOn = bundles[0]!.env['NODE_OPTIONS'] ?? '';

  const wall = await runInterleaved(variants, rounds, async (variant) => {
    const [mode, name] = variant.split('|') as [Mode, string];
    const bundle = byName.get(name);
    const env = { ...(bundle?.env ?? { ...lambdaLikeEnv(options.root, 'empty'), NODE_OPTIONS: sourceMapsOn }) };
    if (mode === 'nomaps') delete env['NODE_OPTIONS'];
    const script = isSdk.has(name) ? importModulesScript(name.split(' + ')) : importScript(bundle ? bundle.file : null);
    const run = await timeProcess(process.execPath, ['-e', script], { env, cwd: options.tmp, timeoutMs: 30_000 });
    inProcess[variant]!.push(Number(run.stdout));
    return run.wallMs;
  });

  const med = (mode: Mode, name: string) => median(wall[`${mode}|${name}`]!);
  const net = (mode: Mode, name: string) => med(mode, name) - med(mode, EMPTY);
  const inProc = (mode: Mode, name: string) => median(inProcess[`${mode}|${name}`]!);
  const anchorFor = (b: Bundle) => (b.externalSdk ? anchors[1]! : anchors[0]!);

  const rows: Row[] = [];
  for (const b of bundles) {
    const anchor = anchorFor(b);
    const kb = b.bytes / KB;
    rows.push({
      name: `${b.name}: bundle size (index.js, minified)`,
      value: round(kb),
      unit: 'KB',
      baseline: { label: anchor.name, value: round(anchor.bytes / KB), unit: 'KB' },
      ratio: round(b.bytes / anchor.bytes),
      target: { text: `≤ ${SIZE_TARGET_KB} KB`, pass: kb <= SIZE_TARGET_KB },
      note: `source map apart: ${round(b.mapBytes / KB)} KB (index.js.map)${b.externalSdk ? `; requires ${b.sdkModules.join(', ')} from the runtime` : ''}`,
    });
    const ms = net('deployed', b.name);
    rows.push({
      name: `${b.name}: import time (fresh process − empty process)`,
      value: round(ms),
      unit: 'ms',
      baseline: { label: anchor.name, value: round(net('deployed', anchor.name)), unit: 'ms' },
      ratio: round(ms / net('deployed', anchor.name)),
      target: { text: `≤ ${IMPORT_TARGET_MS} ms`, pass: ms <= IMPORT_TARGET_MS },
      n: rounds,
      note:
        `process ${round(med('deployed', b.name))} ms vs empty script ${round(med('deployed', EMPTY))} ms (${sourceMapsOn || 'no NODE_OPTIONS'}); ` +
        `require() alone ${round(inProc('deployed', b.name))} ms; without source maps ${round(net('nomaps', b.name))} ms net, require() ${round(inProc('nomaps', b.name))} ms` +
        (b.externalSdk
          ? `; of which the runtime SDK it requires (${b.sdkModules.join(' + ')}) ${round(net('deployed', b.sdkModules.join(' + ')))} ms net ` +
            `(require() ${round(inProc('deployed', b.sdkModules.join(' + ')))} ms), leaving ≈ ${round(ms - net('deployed', b.sdkModules.join(' + ')))} ms for the bundle's own code`
          : ''),
    });
  }
  for (const v of sdkVariants) {
    const users = bundles.filter((b) => b.sdkModules.includes(v) || b.sdkModules.join(' + ') === v).map((b) => b.name);
    rows.push({
      name: `${v}${v.includes(' + ') ? ' together' : ' alone'} (from NODE_PATH, as the runtime's SDK): import`,
      value: round(net('deployed', v)),
      unit: 'ms',
      n: rounds,
      note: `require() ${round(inProc('deployed', v))} ms; informative: required at init by ${users.join(', ')}`,
    });
  }
  for (const a of anchors) {
    rows.push({
      name: `${a.name}: bundle / import`,
      value: round(a.bytes / KB),
      unit: 'KB',
      n: rounds,
      note: `${round(net('deployed', a.name))} ms net import (require() ${round(inProc('deployed', a.name))} ms); map ${round(a.mapBytes / KB)} KB; ${a.quoted}`,
    });
  }

  return {
    id: '1',
    title: 'Handler bundles: size and import time',
    method:
      `Functions = every AWS::Lambda::Function that an AWS::Lambda::EventSourceMapping references in the synthesized assembly ` +
      `(left out: ${skipped.length ? skipped.join(', ') : 'none'}). Size = bytes of the asset's index.js (1 KB = 1000 bytes), .map apart. ` +
      `Import = wall time of \`node -e "require(index.js)"\` in a fresh process minus that of the same script without the require ` +
      `(empty-script process start), medians of ${rounds} processes each, all variants interleaved round-robin. Each process gets the ` +
      `function's own environment from the template (NODE_OPTIONS=--enable-source-maps as deployed; intrinsic values replaced by a placeholder), ` +
      `Lambda-like variables (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME…) and NODE_PATH=node_modules so that the external @aws-sdk/* resolves as the ` +
      `runtime's SDK does. Attribution: each runtime SDK package the functions require, and each function's set of them, imported alone in ` +
      `the same interleaved run (a set costs less than the sum of its packages: they share @smithy/* and @aws-sdk/core). Baseline: the issue's anchor handlers rebuilt with NodejsFunction's esbuild settings (bundle, minify, ` +
      `external source map, node24, CJS) and measured in the same interleaved run; the anchor with a bundled SQS client is the baseline ` +
      `of functions that use SQS. Also measured without NODE_OPTIONS (no source maps).`,
    rows,
    raw: {
      wallMs: wall,
      requireMs: inProcess,
      bytes: Object.fromEntries(all.map((b) => [b.name, { js: b.bytes, map: b.mapBytes }])),
    },
    durationMs: Date.now() - started,
  };
}
