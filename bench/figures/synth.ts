/**
 * Figure 6: `cdk synth` wall time and peak memory of the project's app against the smallest CDK app (one
 * empty stack) synthesized by the same CLI and app runner, interleaved, each into a fresh directory (so
 * NodejsFunction bundles every time, as on a clean checkout).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { median, round, runInterleaved } from '../lib/stats';
import { timeProcess } from '../lib/proc';
import type { BenchOptions, FigureResult, Row } from '../lib/types';

const TIME_BIN = '/usr/bin/time';

export interface SynthSample {
  readonly wallMs: number;
  /** Peak RSS of the largest single process of the tree (GNU time -v), in MiB; null without GNU time. */
  readonly peakRssMiB: number | null;
}

export interface SynthFigure {
  readonly result: FigureResult;
  /** The cloud assembly of the project's last synth, for figure 1. */
  readonly assemblyDir: string;
}

/** Parses "Maximum resident set size (kbytes): N" out of GNU time -v output; null when absent. */
export function parseMaxRssKiB(timeOutput: string): number | null {
  const match = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(timeOutput);
  return match ? Number(match[1]) : null;
}

export async function synthOnce(options: BenchOptions, outDir: string, app?: string): Promise<SynthSample> {
  const cdk = require.resolve('aws-cdk/bin/cdk', { paths: [options.root] });
  const args = [cdk, 'synth', '--quiet', '--no-notices', '-o', outDir, ...(app ? ['--app', app] : [])];
  const gnuTime = fs.existsSync(TIME_BIN);
  const env = { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' };
  const run = gnuTime
    ? await timeProcess(TIME_BIN, ['-v', process.execPath, ...args], { cwd: options.root, env, timeoutMs: 300_000 })
    : await timeProcess(process.execPath, args, { cwd: options.root, env, timeoutMs: 300_000 });
  const kib = gnuTime ? parseMaxRssKiB(run.stderr) : null;
  return { wallMs: run.wallMs, peakRssMiB: kib === null ? null : kib / 1024 };
}

export async function synthFigure(options: BenchOptions): Promise<SynthFigure> {
  const started = Date.now();
  const rounds = options.quick ? 1 : 3;
  const emptyApp = `npx tsx ${path.join('bench', 'fixtures', 'empty-app.ts')}`;
  const samples: Record<'project' | 'empty', SynthSample[]> = { project: [], empty: [] };
  let assemblyDir = '';
  let i = 0;
  await runInterleaved(['project', 'empty'] as const, rounds, async (variant) => {
    const out = path.join(options.tmp, `synth-${variant}-${i++}`);
    const sample = await synthOnce(options, out, variant === 'empty' ? emptyApp : undefined);
    samples[variant].push(sample);
    if (variant === 'project') assemblyDir = out;
    options.log(`  synth ${variant}: ${(sample.wallMs / 1000).toFixed(1)} s, peak ${sample.peakRssMiB?.toFixed(0) ?? '?'} MiB`);
    return sample.wallMs;
  });

  const wall = { project: median(samples.project.map((s) => s.wallMs)), empty: median(samples.empty.map((s) => s.wallMs)) };
  const rss = (v: 'project' | 'empty'): number | null => {
    const values = samples[v].map((s) => s.peakRssMiB).filter((x): x is number => x !== null);
    return values.length ? median(values) : null;
  };
  const rows: Row[] = [
    {
      name: 'cdk synth: wall time',
      value: round(wall.project / 1000),
      unit: 's',
      baseline: { label: 'empty CDK app, same CLI', value: round(wall.empty / 1000), unit: 's' },
      ratio: round(wall.project / wall.empty),
      n: rounds,
      note: `the project's own share: ${round((wall.project - wall.empty) / 1000)} s (4 esbuild bundles, cdk-nag, two stacks)`,
    },
  ];
  const projectRss = rss('project');
  const emptyRss = rss('empty');
  if (projectRss !== null && emptyRss !== null) {
    rows.push({
      name: 'cdk synth: peak memory (largest process)',
      value: round(projectRss),
      unit: 'MiB',
      baseline: { label: 'empty CDK app, same CLI', value: round(emptyRss), unit: 'MiB' },
      ratio: round(projectRss / emptyRss),
      n: rounds,
    });
  }
  return {
    assemblyDir,
    result: {
      id: '6',
      title: 'cdk synth wall time and memory',
      method:
        `\`node node_modules/aws-cdk/bin/cdk synth --quiet -o <fresh tmp dir>\` of the project (app \`npx tsx bin/app.ts\`) vs the same ` +
        `command with \`--app "${emptyApp}"\` (one empty stack), interleaved, ${rounds} each, median. Wall time spawn→exit; peak memory is ` +
        `GNU time -v's maximum resident set size, which is that of the largest single process of the tree (the app under tsx), not the sum. ` +
        `Update checks and CLI telemetry off (CDK_DISABLE_VERSION_CHECK, CDK_DISABLE_CLI_TELEMETRY). No target in the issue: informative.`,
      rows,
      raw: samples,
      durationMs: Date.now() - started,
    },
  };
}
