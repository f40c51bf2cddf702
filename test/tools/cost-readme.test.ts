// docs/cost.md's generated block (the README links it) must be exactly what `npm run cost -- --examples --stage prod --readme` prints.
// The prod app is synthesized in-process, the way bin/app.ts builds it (same cdk.json context, same stage
// config), with NodejsFunction bundling skipped: bundling only changes asset hashes, which the cost model
// never reads. No committed snapshot, so a change in lib/ that moves a number fails here until the README
// is regenerated.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMERS, consumerNames } from '../../lambdas/consumers';
import { createQueueAndStream } from '../../lib/queue-and-stream';
import { stageConfig } from '../../lib/stage-config';
import { readAssembly, type AssemblySettings } from '../../tools/cost/assembly';
import { buildReport, parseOptions, workloadOf } from '../../tools/cost/cli';
import { EXAMPLES } from '../../tools/cost/model';
import { consumerTraffic, evenMix } from '../../tools/cost/traffic';
import {
  currentReadmeBlock,
  README_COMMAND,
  README_END,
  README_FILE,
  README_START,
  readmeBlock,
  replaceReadmeBlock,
} from '../../tools/cost/readme';

const REPO = path.resolve(__dirname, '../..');
let dir: string | undefined;
let prod: AssemblySettings;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-and-stream-cost-readme-'));
  const context = (JSON.parse(fs.readFileSync(path.join(REPO, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  const app = new App({ outdir: dir, context: { ...context, stage: 'prod', 'aws:cdk:bundling-stacks': [] } });
  // as `npm run cost -- --stage prod` synthesizes it: with -c allowFakeSideEffects=true (costs do not depend on it)
  createQueueAndStream(
    app,
    stageConfig('prod', {
      env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
      allowFakeSideEffects: true,
    }),
  );
  app.synth();
  prod = readAssembly(dir, 'prod');
}, 120_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('cost section (docs/cost.md)', () => {
  it(`equals the generated block (regenerate: ${README_COMMAND})`, () => {
    const readme = fs.readFileSync(path.join(REPO, README_FILE), 'utf8');
    const current = currentReadmeBlock(readme);
    expect(current, `${README_FILE} has no ${README_START} … ${README_END} block`).toBeDefined();
    expect(current).toBe(readmeBlock(prod, parseOptions(['--examples', '--stage', 'prod', '--readme'])));
  });

  it('costs idempotency records for the worker and the consumers the manifest gives DynamoDB records, no others', () => {
    expect(prod.tables).toHaveLength(1);
    const withRecords = consumerNames.filter((n) => CONSUMERS[n].idempotency === 'dynamodb');
    expect([...prod.tables[0].idempotentFunctions].sort()).toEqual(['job-worker', ...withRecords].sort());
  });

  it("reads from each mapping's filter the event types the manifest says the consumer handles", () => {
    expect(prod.consumers.map((c) => [c.fn.name, [...consumerTraffic(c, evenMix()).deliveredTypes].sort()])).toEqual(
      consumerNames.map((n) => [n, [...CONSUMERS[n].handles].sort()]),
    );
    expect(prod.consumers.map((c) => [c.fn.name, c.fn.enqueuesTo !== undefined])).toEqual(
      consumerNames.map((n) => [n, CONSUMERS[n].enqueues.length > 0]),
    );
  });

  it("keeps the Large example under the issue's $6,000 a month", () => {
    const large = EXAMPLES.find((e) => e.name === 'large')!;
    const report = buildReport(prod, workloadOf(parseOptions(['--examples', '--stage', 'prod']), large.workload));
    expect(report.estimate.total).toBeLessThanOrEqual(6_000);
  });
});

describe('cost block placement', () => {
  const block = '\nnew\n';

  it('adds the markers right after the "# Cost" heading when absent', () => {
    expect(replaceReadmeBlock('# Cost\n\n## Provisioned\n', block)).toBe(
      `# Cost\n\n${README_START}\nnew\n${README_END}\n\n## Provisioned\n`,
    );
  });

  it('replaces only what is between the markers', () => {
    const before = `# Cost\n\n${README_START}\nold\n${README_END}\n\nkept\n`;
    expect(replaceReadmeBlock(before, block)).toBe(`# Cost\n\n${README_START}\nnew\n${README_END}\n\nkept\n`);
  });

  it('refuses a page without the heading or with one marker only', () => {
    expect(() => replaceReadmeBlock('# x\n\n## Cost\n', block)).toThrow(/docs\/cost\.md has no "# Cost" heading/);
    expect(() => replaceReadmeBlock(`# Cost\n${README_START}\n`, block)).toThrow(/one cost marker without the other/);
  });
});
