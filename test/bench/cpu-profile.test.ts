import { describe, expect, it } from 'vitest';
import { componentOf, renderSavedProfiles, summarizeProfile, type CpuProfile, type SavedProfile } from '../../bench/lib/cpu-profile';

const ROOT = '/repo';
const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 0, columnNumber: 0 },
  children,
});

describe('componentOf', () => {
  it('groups by npm package (scoped ones by scope/name), by project folder, and by Node.js module', () => {
    expect(componentOf('/repo/node_modules/dynalite/db/conditionParser.js', ROOT)).toBe('dynalite');
    expect(componentOf('/repo/node_modules/@smithy/core/dist-cjs/index.js', ROOT)).toBe('@smithy/core');
    expect(componentOf('/repo/node_modules/a/node_modules/@aws-sdk/core/x.js', ROOT)).toBe('@aws-sdk/core');
    expect(componentOf('/repo/local/lambda/kinesis-poller.ts', ROOT)).toBe('local/lambda');
    expect(componentOf('/repo/bench/profile.ts', ROOT)).toBe('bench/profile.ts');
    expect(componentOf('node:internal/streams/writable', ROOT)).toBe('node:streams');
    expect(componentOf('node:events', ROOT)).toBe('node:events');
  });
});

describe('summarizeProfile', () => {
  // root → a (kinesalite) → b (@smithy/core); idle and GC beside them
  const profile: CpuProfile = {
    nodes: [
      frame(1, '(root)', '', [2, 4, 5]),
      frame(2, 'getRecords', 'file:///repo/node_modules/kinesalite/actions/getRecords.js', [3]),
      frame(3, 'serialize', 'file:///repo/node_modules/@smithy/core/dist-cjs/index.js'),
      frame(4, '(idle)', ''),
      frame(5, '(garbage collector)', ''),
    ],
    startTime: 0,
    endTime: 10_000,
    // the time a sample stands for is the next delta (µs)
    samples: [2, 3, 3, 4, 5, 2],
    timeDeltas: [0, 1000, 2000, 3000, 4000, 500, 0],
  };

  it('gives each sample its time to the frame on top, leaves idle out of the components, and sorts largest first', () => {
    const s = summarizeProfile(profile, ROOT);
    expect(s.totalMs).toBe(10.5);
    expect(s.idleMs).toBe(4);
    expect(s.components).toEqual([
      { name: '@smithy/core', ms: 5 },
      { name: 'kinesalite', ms: 1 },
      { name: 'V8: garbage collector', ms: 0.5 },
    ]);
    expect(s.functions[0]).toMatchObject({ name: 'serialize', where: 'node_modules/@smithy/core/dist-cjs/index.js:1', ms: 5 });
  });

  it('adds several profiles (the processes of one function) together', () => {
    const s = summarizeProfile([profile, profile], ROOT);
    expect(s.components[0]).toEqual({ name: '@smithy/core', ms: 10 });
    expect(s.idleMs).toBe(8);
  });
});

describe('renderSavedProfiles', () => {
  const saved: SavedProfile = {
    label: 'after',
    date: '2026-12-07T02:00:00.000Z',
    commit: 'abc1234',
    node: 'v24.21.0',
    loadAverage: [1, 1, 1],
    events: 1000,
    jobs: 1000,
    eventsPerS: 400.4,
    jobsPerS: 300,
    processes: [
      { name: 'local cloud process', busyMs: 300, components: [{ name: 'kinesalite', ms: 150 }] },
      { name: 'job-worker', busyMs: 700, components: [{ name: '@smithy/core', ms: 350 }] },
    ],
  };

  it('renders nothing without a saved split', () => {
    expect(renderSavedProfiles([])).toEqual([]);
  });

  it('shows each process busiest first, its share of all busy time and its largest components', () => {
    const md = renderSavedProfiles([saved]).join('\n');
    expect(md).toContain('### after');
    expect(md).toContain('1000 events at 400/s, then 1000 jobs at 300/s');
    expect(md.indexOf('| job-worker | 700 (70 % of all) | @smithy/core 350 (50 %) |')).toBeLessThan(
      md.indexOf('| local cloud process | 300 (30 % of all)'),
    );
  });
});

describe('componentOf, sources of a bundle built elsewhere', () => {
  it('finds the project folder inside a path outside the root (a copied assembly)', () => {
    expect(componentOf('/tmp/qs-profile-x/lambdas/shared/stream-consumer.ts', ROOT)).toBe('lambdas/shared');
    expect(componentOf('/elsewhere/file.js', ROOT)).toBe('/elsewhere/file.js');
  });
});
