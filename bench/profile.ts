/**
 * `npm run bench:profile [-- --events 2000 --jobs 2000 --assembly <dir> --out <dir>]`: where figure 4's CPU goes.
 *
 * Runs figure 4's load (N OrderPlaced events through every consumer and the archive, then M send-email jobs
 * through the worker) on a local cloud started in this process, with a V8 CPU profile of this process (the
 * emulators, the pollers, the Firehose stand-in: the inspector, started after the local cloud is up and stopped
 * once the load is done) and of every function process (`--cpu-prof`, through the NODE_OPTIONS of a copy of the
 * assembly; a preloaded hook turns SIGTERM into a normal exit so the profile is written). Prints and writes
 * (<out>/profile.md) the self time per component of each process; the .cpuprofile files stay in <out> for
 * Chrome DevTools or speedscope.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Session as InspectorSession } from 'node:inspector/promises';
import { Command, InvalidArgumentError } from 'commander';
import { synthOnce } from './figures/synth';
import { measureEvents, measureJobs, queueDrained, startSession, stopSession } from './figures/end-to-end';
import { summarizeProfile, type CpuProfile, type ProfileSummary, type SavedProfile } from './lib/cpu-profile';
import { execFileSync } from 'node:child_process';

const count = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError('a whole number in [1, 100000]');
  return n;
};

const program = new Command('bench:profile')
  .description("CPU profile of figure 4's load: the local cloud process and every function process, self time per component")
  .option(
    '--events <n>',
    'events published through every consumer and the archive (the jobs they cause drain before the jobs phase)',
    count,
    2000,
  )
  .option('--jobs <n>', 'send-email jobs through the worker', count, 2000)
  .option('--assembly <dir>', 'a synthesized cloud assembly (default: synthesize the project into a temp dir)')
  .option('--out <dir>', 'where the .cpuprofile files and profile.md go', path.join(os.tmpdir(), `qs-profile-${Date.now()}`))
  .option(
    '--save <label>',
    `also keep the split as ${path.join('bench', 'profiles', '<label>.json')}: BENCHMARKS.md shows every saved one (re-render with npm run bench -- --report-only)`,
  );

/** Preloaded into every function process: exit normally on SIGTERM so --cpu-prof writes its profile. */
const EXIT_HOOK = "process.on('SIGTERM', () => process.exit(0));\n";

/** A copy of the assembly whose functions run with --cpu-prof (their NODE_OPTIONS extended). */
function profiledAssembly(source: string, dir: string, profileDir: string, hook: string): void {
  fs.cpSync(source, dir, { recursive: true });
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as {
      Resources?: Record<string, { Type: string; Properties?: { Environment?: { Variables?: Record<string, unknown> } } }>;
    };
    for (const r of Object.values(template.Resources ?? {})) {
      if (r.Type !== 'AWS::Lambda::Function') continue;
      r.Properties ??= {};
      r.Properties.Environment ??= {};
      const vars = r.Properties.Environment.Variables ?? {};
      const before = typeof vars['NODE_OPTIONS'] === 'string' ? vars['NODE_OPTIONS'] : '';
      vars['NODE_OPTIONS'] = `${before} --cpu-prof --cpu-prof-dir=${profileDir} --require=${hook}`.trim();
      r.Properties.Environment.Variables = vars;
    }
    fs.writeFileSync(path.join(dir, file), JSON.stringify(template));
  }
}

function render(title: string, s: ProfileSummary): string[] {
  const busy = s.totalMs - s.idleMs;
  const lines = [
    `### ${title}`,
    '',
    `sampled ${Math.round(s.totalMs)} ms, busy ${Math.round(busy)} ms (idle ${Math.round(s.idleMs)} ms)`,
    '',
  ];
  lines.push('| component | self ms | share of busy |', '|---|---:|---:|');
  for (const c of s.components.slice(0, 14)) lines.push(`| ${c.name} | ${Math.round(c.ms)} | ${((100 * c.ms) / busy).toFixed(1)} % |`);
  lines.push('', '| top functions (self) | self ms |', '|---|---:|');
  for (const f of s.functions.slice(0, 12)) lines.push(`| \`${f.name}\` ${f.where} | ${Math.round(f.ms)} |`);
  lines.push('');
  return lines;
}

async function main(): Promise<void> {
  const o = program.parse().opts<{ events: number; jobs: number; assembly?: string; out: string; save?: string }>();
  if (o.save !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(o.save)) program.error('--save takes a label of a-z, 0-9 and -');
  const root = path.resolve(__dirname, '..');
  const out = path.resolve(o.out);
  const fnDir = path.join(out, 'functions');
  fs.mkdirSync(fnDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-profile-'));
  const log = (l: string): void => console.error(l);
  const options = { quick: false, root, tmp, log };
  try {
    let assembly = o.assembly ? path.resolve(o.assembly) : '';
    if (!assembly) {
      log('synthesizing the project…');
      assembly = path.join(tmp, 'synth');
      await synthOnce(options, assembly);
    }
    const hook = path.join(tmp, 'exit-on-sigterm.cjs');
    fs.writeFileSync(hook, EXIT_HOOK);
    const profiled = path.join(tmp, 'assembly');
    profiledAssembly(assembly, profiled, fnDir, hook);

    // emulators in processes of their own (dynalite) inherit this: their profile is written when they stop
    const emulatorDir = path.join(out, 'emulators');
    fs.mkdirSync(emulatorDir, { recursive: true });
    process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --cpu-prof --cpu-prof-dir=${emulatorDir}`.trim();
    const session = await startSession(options, profiled, 'profile');
    const inspector = new InspectorSession();
    inspector.connect();
    let mainProfile: CpuProfile;
    let rates = { eventsPerS: 0, jobsPerS: 0 };
    // which function a profile belongs to: the code directory its bundle was loaded from
    const codeDirs = new Map<string, string>();
    for (const [name, host] of session.cloud.lambda?.hosts ?? []) {
      const dir = (host as { fn?: { codeDir?: string } }).fn?.codeDir;
      if (dir) codeDirs.set(path.resolve(dir), name);
    }
    const t0 = performance.now();
    try {
      // a warm-up round first, so every function process is started and its code compiled
      await measureEvents(session, 200, 120_000);
      await measureJobs(session, 200, 120_000);
      await queueDrained(session, 300_000);
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.setSamplingInterval', { interval: 500 });
      await inspector.post('Profiler.start');
      const ev = await measureEvents(session, o.events, 300_000);
      await queueDrained(session, 300_000); // the jobs the consumers enqueued, before the jobs phase
      const jobsMs = await measureJobs(session, o.jobs, 300_000);
      mainProfile = ((await inspector.post('Profiler.stop')) as { profile: CpuProfile }).profile;
      rates = { eventsPerS: (o.events * 1000) / ev.ms, jobsPerS: (o.jobs * 1000) / jobsMs };
      log(
        `load: ${o.events} events in ${Math.round(ev.ms)} ms (${Math.round((o.events * 1000) / ev.ms)}/s), ${o.jobs} jobs in ${Math.round(jobsMs)} ms (${Math.round((o.jobs * 1000) / jobsMs)}/s)`,
      );
    } finally {
      inspector.disconnect();
      // normal exit of every function process: --cpu-prof writes its file
      for (const host of session.cloud.lambda?.hosts.values() ?? []) for (const pid of host.pids()) process.kill(pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 1500));
      await stopSession(session);
    }
    fs.writeFileSync(path.join(out, 'local-cloud.cpuprofile'), JSON.stringify(mainProfile));

    const md = [
      `# CPU profile of figure 4's load (${o.events} events, ${o.jobs} jobs; ${new Date().toISOString()}, ${Math.round((performance.now() - t0) / 1000)} s)`,
      '',
    ];
    const processes: SavedProfile['processes'] = [];
    const add = (name: string, summary: ProfileSummary): void => {
      md.push(...render(name, summary));
      processes.push({ name, busyMs: summary.totalMs - summary.idleMs, components: summary.components.slice(0, 12) });
    };
    add('local cloud process (kinesalite, fauxqs, pollers, Firehose stand-in; load phase only)', summarizeProfile(mainProfile, root));
    for (const f of fs.readdirSync(emulatorDir).filter((x) => x.endsWith('.cpuprofile'))) {
      const profile = JSON.parse(fs.readFileSync(path.join(emulatorDir, f), 'utf8')) as CpuProfile;
      add(`emulator process (dynalite; whole life)`, summarizeProfile(profile, root));
    }
    // function profiles cover the process's whole life (init, warm-up, load): grouped per function by the cwd in their name
    const byFunction = new Map<string, CpuProfile[]>();
    for (const f of fs.readdirSync(fnDir).filter((x) => x.endsWith('.cpuprofile'))) {
      const profile = JSON.parse(fs.readFileSync(path.join(fnDir, f), 'utf8')) as CpuProfile;
      const fn = functionOf(profile, codeDirs) ?? 'unknown function';
      (byFunction.get(fn) ?? byFunction.set(fn, []).get(fn)!).push(profile);
    }
    for (const [fn, profiles] of [...byFunction].sort()) {
      add(`${fn} (${profiles.length} process(es), whole life incl. init and warm-up)`, summarizeProfile(profiles, root));
    }
    fs.writeFileSync(path.join(out, 'profile.md'), md.join('\n'));
    if (o.save !== undefined) {
      const saved: SavedProfile = {
        label: o.save,
        date: new Date().toISOString(),
        commit: gitHead(root),
        node: process.version,
        loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
        events: o.events,
        jobs: o.jobs,
        ...rates,
        processes,
      };
      const file = path.join(root, 'bench', 'profiles', `${o.save}.json`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`);
      log(`saved ${path.relative(root, file)}`);
    }
    console.log(md.join('\n'));
    log(`profiles and profile.md in ${out}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function gitHead(root: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'local', 'lambdas', 'lib'], { cwd: root, encoding: 'utf8' }).trim();
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return 'unknown';
  }
}

/** The function a profile belongs to: the one whose code directory holds a script the profile ran. */
function functionOf(profile: CpuProfile, codeDirs: ReadonlyMap<string, string>): string | undefined {
  for (const n of profile.nodes) {
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    for (const [dir, name] of codeDirs) if (url.startsWith(dir + path.sep)) return name;
  }
  return undefined;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
