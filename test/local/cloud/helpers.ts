import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'assemblies');
export const fixture = (name: string): string => path.join(FIXTURES, name);

export function tempDir(prefix = 'local-cloud-'): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** true while a process with this pid exists */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Writes a hand-written cloud assembly (one template per stack, in the given order) and returns its folder. */
export function writeAssembly(dir: string, stacks: Record<string, { Resources: Record<string, unknown>; Outputs?: Record<string, unknown> }>): string {
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
  return writeAssembly(dir, { Unknown: { Resources: { Api: { Type: 'AWS::AppSync::GraphQLApi', Properties: {} }, Queue: { Type: 'AWS::SQS::Queue' } } } });
}
