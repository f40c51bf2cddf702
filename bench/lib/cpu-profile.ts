/**
 * Self time per component of V8 CPU profiles (.cpuprofile: the inspector's Profiler.stop or `node --cpu-prof`).
 * A sample's time goes to the frame on top of the stack; frames are grouped by where their code lives: an npm
 * package (by name), a file of this project, a Node.js internal module, or V8's own (GC, program, idle). Frames of
 * a bundled function (esbuild, minified) are mapped back to their source through the bundle's source map, so
 * Powertools, zod and our own handler code show apart inside one index.js.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SourceMap } from 'node:module';

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  /** self time per component, largest first (idle left out) */
  components: Array<{ name: string; ms: number }>;
  /** self time per function, largest first (idle left out) */
  functions: Array<{ name: string; where: string; ms: number }>;
}

/** A split kept in bench/profiles/<label>.json by `npm run bench:profile -- --save <label>` (BENCHMARKS.md shows it). */
export interface SavedProfile {
  label: string;
  date: string;
  commit: string;
  node: string;
  loadAverage: number[];
  events: number;
  jobs: number;
  eventsPerS: number;
  jobsPerS: number;
  processes: Array<{ name: string; busyMs: number; components: Array<{ name: string; ms: number }> }>;
}

/** The saved splits, oldest first. */
export function loadSavedProfiles(dir: string): SavedProfile[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as SavedProfile)
    .sort((a, b) => a.date.localeCompare(b.date));
}

/** Markdown for BENCHMARKS.md: each saved split, its processes' busy time and their largest components. */
export function renderSavedProfiles(profiles: readonly SavedProfile[]): string[] {
  if (profiles.length === 0) return [];
  const lines = [
    "## Where the CPU goes (figure 4's load, `npm run bench:profile`)",
    '',
    'V8 CPU profiles of the local cloud process (load phase) and of every function and emulator process (whole life), self time ' +
      "grouped by where the code lives (an npm package, a project folder, a Node.js module, V8's GC); bundled functions mapped back " +
      'through their source maps. Profiling slows every process; the split, not the rate, is the result. Each table is one run ' +
      '(`npm run bench:profile -- --save <label>`); the full profiles of a run stay in its --out directory.',
    '',
  ];
  for (const p of profiles) {
    lines.push(
      `### ${p.label}`,
      '',
      `${p.date.slice(0, 16).replace('T', ' ')} UTC, ${p.commit}, Node ${p.node}, load average ${p.loadAverage.join(' / ')}: ` +
        `${p.events} events at ${Math.round(p.eventsPerS)}/s, then ${p.jobs} jobs at ${Math.round(p.jobsPerS)}/s (profiled).`,
      '',
      '| process | busy ms | largest components (self ms, share of its busy time) |',
      '|---|---:|---|',
    );
    const total = p.processes.reduce((sum, x) => sum + x.busyMs, 0);
    for (const proc of [...p.processes].sort((a, b) => b.busyMs - a.busyMs)) {
      const top = proc.components
        .slice(0, 6)
        .map((c) => `${c.name} ${Math.round(c.ms)} (${Math.round((100 * c.ms) / proc.busyMs)} %)`)
        .join(', ');
      lines.push(`| ${proc.name} | ${Math.round(proc.busyMs)} (${Math.round((100 * proc.busyMs) / total)} % of all) | ${top} |`);
    }
    lines.push('');
  }
  return lines;
}

const maps = new Map<string, SourceMap | null>();
function sourceMapOf(file: string): SourceMap | null {
  if (maps.has(file)) return maps.get(file)!;
  let map: SourceMap | null = null;
  try {
    const raw = fs.readFileSync(`${file}.map`, 'utf8');
    map = new SourceMap(JSON.parse(raw) as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    map = null;
  }
  maps.set(file, map);
  return map;
}

/** The component a source file belongs to: an npm package, a project path, or a Node.js internal. */
export function componentOf(file: string, root: string): string {
  if (file.startsWith('node:')) {
    const m = /^node:(?:internal\/)?([^/]+)/.exec(file);
    return `node:${m?.[1] ?? file}`;
  }
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  let rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    // a bundle's source map names its sources relative to where it was built: a copied assembly points elsewhere
    const m = /\/((?:lambdas|local|lib|tools|bench|bin)\/.*)$/.exec(file);
    if (!m) return file;
    rel = m[1]!;
  }
  const parts = rel.split(/[\\/]/);
  return parts.length > 2 ? parts.slice(0, 2).join('/') : rel;
}

interface Located {
  component: string;
  where: string;
}

function locate(frame: CpuProfileNode['callFrame'], root: string): Located {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return { component: 'V8: garbage collector', where: '' };
    if (functionName === '(program)') return { component: 'V8: program (native, not attributed)', where: '' };
    if (functionName === '(idle)') return { component: '(idle)', where: '' };
    return { component: `native: ${functionName || '(anonymous)'}`, where: '' };
  }
  let file = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  let line = frame.lineNumber;
  if (file.endsWith('index.js') && file.includes('/asset.')) {
    const entry = sourceMapOf(file)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry && 'originalSource' in entry && entry.originalSource) {
      const bundleDir = path.dirname(file);
      const original = entry.originalSource.startsWith('file://')
        ? entry.originalSource.slice(7)
        : path.resolve(bundleDir, entry.originalSource);
      file = original;
      line = entry.originalLine;
    } else {
      return { component: 'bundle (no source map entry)', where: `${path.basename(path.dirname(file))}/index.js:${line + 1}` };
    }
  }
  const component = componentOf(file, root);
  const rel = path.relative(root, file);
  return { component, where: `${rel.startsWith('..') ? file : rel}:${line + 1}` };
}

/** Self time per component and per function over one or more profiles. */
export function summarizeProfile(profiles: CpuProfile | readonly CpuProfile[], root: string): ProfileSummary {
  const list = Array.isArray(profiles) ? (profiles as readonly CpuProfile[]) : [profiles as CpuProfile];
  const byComponent = new Map<string, number>();
  const byFunction = new Map<string, { name: string; where: string; ms: number }>();
  let totalMs = 0;
  let idleMs = 0;
  for (const profile of list) {
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const located = new Map<number, Located>();
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta
      const ms = (deltas[i + 1] ?? 0) / 1000;
      const node = nodes.get(samples[i]!);
      if (!node) continue;
      totalMs += ms;
      let loc = located.get(node.id);
      if (!loc) {
        loc = locate(node.callFrame, root);
        located.set(node.id, loc);
      }
      if (loc.component === '(idle)') {
        idleMs += ms;
        continue;
      }
      byComponent.set(loc.component, (byComponent.get(loc.component) ?? 0) + ms);
      const name = node.callFrame.functionName || '(anonymous)';
      const key = `${name}@${loc.where}`;
      const f = byFunction.get(key) ?? byFunction.set(key, { name, where: loc.where, ms: 0 }).get(key)!;
      f.ms += ms;
    }
  }
  return {
    totalMs,
    idleMs,
    components: [...byComponent].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms),
    functions: [...byFunction.values()].sort((a, b) => b.ms - a.ms),
  };
}
