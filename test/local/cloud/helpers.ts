import * as fs from 'node:fs';
import * as path from 'node:path';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '../../../local/index';

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'assemblies');
export const fixture = (name: string): string => path.join(FIXTURES, name);

/** The local cloud most of its tests start: the two-stack fixture app, any free ports, no progress output. */
export function startFixtureCloud(stateDir: string, options: LocalCloudOptions = {}): Promise<LocalCloud> {
  return startLocalCloud({ assemblyDir: fixture('two-stacks-weak'), stateDir, ports: { sqs: 0, kinesis: 0 }, quiet: true, ...options });
}

/** Writes a hand-written cloud assembly (one template per stack, in the given order) and returns its folder. */
export function writeAssembly(
  dir: string,
  stacks: Record<string, { Resources: Record<string, unknown>; Outputs?: Record<string, unknown> }>,
): string {
  const artifacts: Record<string, unknown> = {};
  let previous: string | undefined;
  for (const [name, template] of Object.entries(stacks)) {
    fs.writeFileSync(path.join(dir, `${name}.template.json`), JSON.stringify(template, null, 1));
    artifacts[name] = {
      type: 'aws:cloudformation:stack',
      environment: 'aws://unknown-account/unknown-region',
      properties: { templateFile: `${name}.template.json` },
      dependencies: previous ? [previous] : [],
    };
    previous = name;
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '55.0.0', artifacts }, null, 1));
  return dir;
}

/** An assembly with one resource type the local cloud does not know (AppSync), next to a queue. */
export function unknownTypeAssembly(dir: string): string {
  return writeAssembly(dir, {
    Unknown: { Resources: { Api: { Type: 'AWS::AppSync::GraphQLApi', Properties: {} }, Queue: { Type: 'AWS::SQS::Queue' } } },
  });
}
