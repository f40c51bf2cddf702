// Reads a synthesized cloud assembly (cdk.out): the local cloud's single source of truth.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every error the local cloud reports to a user: one line, naming the thing. */
export class LocalCloudError extends Error {
  constructor(message: string, readonly details?: string) {
    super(message);
    this.name = 'LocalCloudError';
  }
}

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
}

export interface CfnOutput {
  Value: unknown;
  Export?: { Name: unknown };
  Condition?: string;
}

export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Outputs?: Record<string, CfnOutput>;
  Rules?: Record<string, unknown>;
}

export interface StackArtifact {
  /** artifact id in manifest.json (unique within the whole assembly, nested ones prefixed) */
  artifactId: string;
  stackName: string;
  displayName: string;
  /** directory of the (possibly nested) assembly holding this stack: asset paths are relative to it */
  assemblyDir: string;
  templateFile: string;
  template: CfnTemplate;
  /** artifact ids of the stacks this one depends on */
  dependencies: string[];
}

export interface CloudAssembly {
  dir: string;
  /** in dependency order: a stack comes after every stack it depends on */
  stacks: StackArtifact[];
}

interface ManifestArtifact {
  type: string;
  properties?: { templateFile?: string; stackName?: string; directoryName?: string };
  dependencies?: string[];
  displayName?: string;
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new LocalCloudError(`cloud assembly: cannot read ${what} ${file}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new LocalCloudError(`cloud assembly: ${what} ${file} is not JSON (${(err as Error).message})`);
  }
}

function collectStacks(dir: string, prefix: string, out: StackArtifact[], depth: number): void {
  const manifest = readJson(path.join(dir, 'manifest.json'), 'manifest') as { artifacts?: Record<string, ManifestArtifact> };
  const artifacts = manifest.artifacts ?? {};
  const stackIds = new Set(Object.entries(artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack').map(([id]) => id));
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName && depth < 5) {
      // a CDK Stage: its stacks live in a nested assembly
      collectStacks(path.join(dir, artifact.properties.directoryName), `${prefix}${id}/`, out, depth + 1);
      continue;
    }
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const templateFile = artifact.properties?.templateFile;
    if (!templateFile) throw new LocalCloudError(`cloud assembly: stack artifact ${id} has no templateFile`);
    const template = readJson(path.join(dir, templateFile), `template of stack ${id}`) as CfnTemplate;
    out.push({
      artifactId: prefix + id,
      stackName: artifact.properties?.stackName ?? id,
      displayName: artifact.displayName ?? id,
      assemblyDir: dir,
      templateFile: path.join(dir, templateFile),
      template,
      dependencies: (artifact.dependencies ?? []).filter((d) => stackIds.has(d)).map((d) => prefix + d),
    });
  }
}

/** Orders stacks so each follows its dependencies; a cycle is an error naming the stacks. */
export function orderStacks(stacks: StackArtifact[]): StackArtifact[] {
  const byId = new Map(stacks.map((s) => [s.artifactId, s]));
  const ordered: StackArtifact[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: StackArtifact, trail: string[]): void => {
    const st = state.get(s.artifactId);
    if (st === 'done') return;
    if (st === 'visiting') throw new LocalCloudError(`cloud assembly: stack dependency cycle ${[...trail, s.artifactId].join(' → ')}`);
    state.set(s.artifactId, 'visiting');
    for (const dep of s.dependencies) {
      const d = byId.get(dep);
      if (d) visit(d, [...trail, s.artifactId]);
    }
    state.set(s.artifactId, 'done');
    ordered.push(s);
  };
  for (const s of stacks) visit(s, []);
  return ordered;
}

/** Loads manifest.json and every stack template (nested Stage assemblies included), in dependency order. */
export function loadAssembly(dir: string): CloudAssembly {
  const abs = path.resolve(dir);
  if (!fs.existsSync(path.join(abs, 'manifest.json'))) {
    throw new LocalCloudError(`cloud assembly: no manifest.json in ${abs} (is it a cdk.out directory?)`);
  }
  const stacks: StackArtifact[] = [];
  collectStacks(abs, '', stacks, 0);
  if (stacks.length === 0) throw new LocalCloudError(`cloud assembly: ${abs} contains no CloudFormation stacks`);
  return { dir: abs, stacks: orderStacks(stacks) };
}

/** Absolute asset folder of a resource (Metadata aws:asset:path), or undefined when it has none. */
export function assetDir(stack: StackArtifact, resource: CfnResource): string | undefined {
  const rel = resource.Metadata?.['aws:asset:path'];
  if (typeof rel !== 'string') return undefined;
  return path.resolve(stack.assemblyDir, rel);
}

/** Like assetDir, but a missing folder is an error naming the function and the path. */
export function requireAssetDir(stack: StackArtifact, logicalId: string, resource: CfnResource): string | undefined {
  const dir = assetDir(stack, resource);
  if (dir !== undefined && !fs.existsSync(dir)) {
    throw new LocalCloudError(`function ${stack.stackName}/${logicalId}: asset folder ${dir} does not exist (re-run the synth)`);
  }
  return dir;
}
