import { describe, expect, it } from 'vitest';
import { mappedFunctions } from '../../bench/lib/assembly';
import { projectView } from '../../local/project';
import type { BenchResults } from '../../bench/lib/types';
import { importModulesScript, importScript, requiredSdkModules } from '../../bench/figures/bundles';
import { parseMaxRssKiB } from '../../bench/figures/synth';
import { renderReport } from '../../bench/report';

const results = (): BenchResults => ({
  schema: 1,
  date: '2026-01-01T00:00:00.000Z',
  mode: 'full',
  machine: { node: 'v20.0.0', platform: 'Linux', cpuModel: 'Test CPU', cores: 2, memoryGiB: 4, loadAverage: [0.1, 0.2, 0.3] },
  method: ['interleaved medians'],
  durationMs: 1000,
  figures: [
    {
      id: '1',
      title: 'Bundles',
      method: 'sizes of index.js',
      rows: [
        {
          name: 'worker | size',
          value: 78.7,
          unit: 'KB',
          baseline: { label: 'anchor', value: 485, unit: 'KB' },
          ratio: 0.162,
          target: { text: '≤ 150 KB', pass: true },
          n: 1,
        },
        { name: 'consumer import', value: 92, unit: 'ms', target: { text: '≤ 80 ms', pass: false }, note: 'the SDK client is 50 ms of it' },
      ],
    },
    { id: '4', title: 'End to end', method: '', rows: [], skipped: 'not implemented: needs the local cloud' },
  ],
});

describe('renderReport', () => {
  const md = renderReport(results(), [{ figure: '1', match: /^consumer import/, text: 'ANALYSIS-TEXT' }]);
  it('puts the method and the machine before the results table', () => {
    expect(md.indexOf('## Method')).toBeGreaterThan(-1);
    expect(md.indexOf('## Method')).toBeLessThan(md.indexOf('## Results'));
    expect(md).toContain('Test CPU, 2 cores');
  });
  it('marks passes and misses, and lists each miss with its note', () => {
    expect(md).toMatch(/\| 78\.7 KB \| 485 KB \(anchor\) \| 0\.162× \| ≤ 150 KB \| pass \|/);
    expect(md).toContain('**miss**');
    expect(md).toMatch(/## Misses\n\n- Figure 1, consumer import: 92 ms against ≤ 80 ms\. the SDK client is 50 ms of it/);
  });
  it('prints the analysis of a missed row under it', () => {
    expect(md).toMatch(/of it\n {2}ANALYSIS-TEXT/);
  });
  it('escapes pipes inside cells so the table keeps its columns', () => {
    expect(md).toContain('worker \\| size');
  });
  it('prints one explanation per cause: later misses of the same analysis point back to it', () => {
    const r = results();
    const fig = r.figures[0]!;
    const twice = { ...r, figures: [{ ...fig, rows: [...fig.rows, { ...fig.rows[1]!, name: 'consumer import (again)' }] }] };
    const out = renderReport(twice, [{ figure: '1', match: /^consumer import/, text: 'ANALYSIS-TEXT' }]);
    expect(out.match(/ANALYSIS-TEXT/g)).toHaveLength(1);
    expect(out).toContain('consumer import (again): 92 ms against ≤ 80 ms. the SDK client is 50 ms of it\n  Why: as for the first miss');
  });
  it('shows a skipped figure with its reason and no number', () => {
    expect(md).toMatch(/\| 4 \| End to end \| not measured \| .* skipped \| \| not implemented: needs the local cloud \|/);
  });
});

describe('mappedFunctions', () => {
  it('keeps functions referenced by an event source mapping and drops CDK-internal ones', () => {
    const Resources = {
      Worker: {
        Type: 'AWS::Lambda::Function',
        Metadata: { 'aws:asset:path': 'asset.a' },
        Properties: {
          Handler: 'index.handler',
          Tags: [{ Key: 'queue-and-stream:name', Value: 'job-worker' }],
          Environment: { Variables: { A: 'x', URL: { Ref: 'Q' } } },
        },
      },
      AutoDelete: { Type: 'AWS::Lambda::Function', Metadata: { 'aws:asset:path': 'asset.b' }, Properties: {} },
      Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { FunctionName: { Ref: 'Worker' } } },
    };
    const stack = {
      artifactId: 'S',
      stackName: 'S',
      displayName: 'S',
      assemblyDir: '/out',
      templateFile: '/out/S.template.json',
      template: { Resources },
      dependencies: [],
    };
    const fns = mappedFunctions(projectView([stack]));
    expect(fns.map((f) => f.name)).toEqual(['job-worker']);
    expect(fns[0]!.assetDir).toBe('/out/asset.a');
    expect(fns[0]!.environment['A']).toBe('x');
    expect(typeof fns[0]!.environment['URL']).toBe('string');
  });
});

describe('helpers of the figures', () => {
  it('reads the peak RSS out of GNU time -v output', () => {
    expect(parseMaxRssKiB('\tMaximum resident set size (kbytes): 515136\n')).toBe(515136);
    expect(parseMaxRssKiB('no such line')).toBeNull();
  });
  it('the empty-script baseline differs from the import script only by the require', () => {
    const empty = importScript(null);
    const withImport = importScript('/x/index.js');
    expect(withImport).toContain('require("/x/index.js")');
    expect(empty).not.toContain('require');
    expect(withImport.startsWith(empty.slice(0, 30))).toBe(true);
  });
  it('finds the external SDK packages a bundle requires, once each, sorted', () => {
    const src =
      'var a=require("@aws-sdk/client-sqs"),b=require("@aws-sdk/client-dynamodb");c=require("@aws-sdk/client-sqs");require("zod")';
    expect(requiredSdkModules(src)).toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs']);
    expect(requiredSdkModules('no sdk')).toEqual([]);
  });
  it('the attribution script requires every module of a set, in order', () => {
    const script = importModulesScript(['@aws-sdk/client-dynamodb', '@aws-sdk/util-dynamodb']);
    expect(script).toContain('require("@aws-sdk/client-dynamodb");require("@aws-sdk/util-dynamodb");');
    expect(script.startsWith(importScript(null).slice(0, 30))).toBe(true);
  });
});
