// Which Node binary runs a function: the major its template's Runtime names (nodejs24.x → 24), as Lambda would.
// Looked for in order: the Node running the local cloud; the project's `node` devDependency
// (node_modules/node/bin/node); any `node` on PATH. None of that major installed: the local cloud's own Node,
// with a one-line warning saying so.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type NodeSource = 'local cloud' | 'devDependency' | 'PATH' | 'fallback';

export interface NodeSelection {
  /** the template's Runtime, e.g. nodejs24.x */
  runtime: string;
  /** the major it names (undefined: not a nodejsNN.x runtime) */
  wanted?: number;
  execPath: string;
  /** the chosen binary's version, without the leading v (e.g. 24.21.0) */
  version: string;
  /** true when the chosen binary's major is the one the runtime names */
  matched: boolean;
  source: NodeSource;
  /** one line, set when the runtime's major is not installed and the local cloud's own Node runs it instead */
  warning?: string;
}

/** What selection looks at; tests pass their own. */
export interface NodeProbe {
  /** the Node running the local cloud */
  execPath: string;
  execVersion: string;
  /** the project's node devDependency binary, and its version (undefined: not installed) */
  devDependency?: { execPath: string; version: string };
  /** directories of PATH, in order */
  pathDirs: readonly string[];
  /** an executable file named node in `dir`, or undefined */
  nodeIn(dir: string): string | undefined;
  /** `<bin> --version` without the v, or undefined when it does not run */
  versionOf(bin: string): string | undefined;
}

/** nodejs24.x → 24; anything else → undefined */
export function runtimeMajor(runtime: string): number | undefined {
  const m = /^nodejs(\d+)\.x$/.exec(runtime);
  return m ? Number(m[1]) : undefined;
}

const majorOf = (version: string): number => Number(/^v?(\d+)/.exec(version)?.[1] ?? NaN);

export function selectNodeBinary(runtime: string, probe: NodeProbe): NodeSelection {
  const wanted = runtimeMajor(runtime);
  const current = { execPath: probe.execPath, version: probe.execVersion.replace(/^v/, '') };
  if (wanted === undefined) {
    return {
      runtime,
      execPath: current.execPath,
      version: current.version,
      matched: false,
      source: 'fallback',
      warning: `runtime ${runtime} names no Node.js major: running it on Node ${current.version} (${current.execPath})`,
    };
  }
  if (majorOf(current.version) === wanted) return { runtime, wanted, ...current, matched: true, source: 'local cloud' };
  const dev = probe.devDependency;
  if (dev && majorOf(dev.version) === wanted)
    return { runtime, wanted, execPath: dev.execPath, version: dev.version.replace(/^v/, ''), matched: true, source: 'devDependency' };
  const seen = new Set<string>([current.execPath, ...(dev ? [dev.execPath] : [])]);
  for (const dir of probe.pathDirs) {
    const bin = probe.nodeIn(dir);
    if (!bin || seen.has(bin)) continue;
    seen.add(bin);
    const version = probe.versionOf(bin);
    if (version !== undefined && majorOf(version) === wanted)
      return { runtime, wanted, execPath: bin, version: version.replace(/^v/, ''), matched: true, source: 'PATH' };
  }
  return {
    runtime,
    wanted,
    ...current,
    matched: false,
    source: 'fallback',
    warning: `${runtime}: no Node ${wanted} installed (not the local cloud's Node, not node_modules/node, not on PATH): running it on Node ${current.version} (${current.execPath})`,
  };
}

function projectRoot(): string {
  return path.resolve(__dirname, '..', '..');
}

/** The probe of this machine: this process, node_modules/node, PATH. */
export function systemProbe(env: NodeJS.ProcessEnv = process.env): NodeProbe {
  const root = projectRoot();
  let devDependency: NodeProbe['devDependency'];
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'node', 'package.json'), 'utf8')) as { version?: string };
    const bin = path.join(root, 'node_modules', 'node', 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
    if (pkg.version && isExecutable(bin)) devDependency = { execPath: fs.realpathSync(bin), version: pkg.version };
  } catch {
    // not installed
  }
  return {
    execPath: process.execPath,
    execVersion: process.versions.node,
    ...(devDependency ? { devDependency } : {}),
    pathDirs: (env.PATH ?? '').split(path.delimiter).filter((d) => d !== ''),
    nodeIn(dir) {
      const bin = path.join(dir, process.platform === 'win32' ? 'node.exe' : 'node');
      if (!isExecutable(bin)) return undefined;
      try {
        return fs.realpathSync(bin);
      } catch {
        return undefined;
      }
    },
    versionOf(bin) {
      const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000, env: { PATH: env.PATH ?? '' } });
      const out = r.status === 0 ? r.stdout.trim() : '';
      return /^v\d+\.\d+\.\d+/.test(out) ? out.replace(/^v/, '') : undefined;
    },
  };
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const cache = new Map<string, NodeSelection>();

/** The binary for a runtime on this machine, looked up once per runtime per process. */
export function nodeForRuntime(runtime: string): NodeSelection {
  let s = cache.get(runtime);
  if (!s) {
    s = selectNodeBinary(runtime, systemProbe());
    cache.set(runtime, s);
  }
  return s;
}
