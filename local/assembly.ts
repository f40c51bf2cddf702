// The one cloud-assembly reader: the stacks of a synthesized cdk.out in deployment order, their templates,
// outputs and asset folders. The local cloud, the cost model and the benchmarks all read cdk.out through it;
// what the project's resources mean (which queue is the job queue, …) is project.ts's business.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationStackArtifact, CloudAssembly as CxCloudAssembly, NestedCloudAssemblyArtifact } from 'aws-cdk-lib/cx-api';

/** Every error the local cloud reports to a user: one line, naming the thing. */
export class LocalCloudError extends Error {
  constructor(
    message: string,
    readonly details?: string,
  ) {
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

/**
 * The stacks of one (possibly nested) assembly, read through aws-cdk-lib/cx-api's CloudAssembly (manifest
 * schema, nested Stage assemblies, template files). What cx-api does not do the way the local cloud needs is
 * kept here: artifact ids of nested stacks are prefixed with their Stage so they stay unique, and the order is
 * left to orderStacks (cx-api's topological sort reports a cycle without the path this error names).
 */
function collectStacks(assembly: CxCloudAssembly, prefix: string, out: StackArtifact[], depth: number): void {
  for (const artifact of assembly.artifacts) {
    if (artifact instanceof NestedCloudAssemblyArtifact) {
      // a CDK Stage: its stacks live in a nested assembly
      if (depth < 5) collectStacks(artifact.nestedAssembly, `${prefix}${artifact.id}/`, out, depth + 1);
      continue;
    }
    if (!(artifact instanceof CloudFormationStackArtifact)) continue;
    let template: CfnTemplate;
    try {
      template = artifact.template as CfnTemplate;
    } catch (err) {
      throw new LocalCloudError(
        `cloud assembly: cannot read the template of stack ${artifact.id} ${artifact.templateFullPath} (${(err as Error).message})`,
      );
    }
    out.push({
      artifactId: prefix + artifact.id,
      stackName: artifact.stackName,
      displayName: artifact.displayName,
      assemblyDir: assembly.directory,
      templateFile: artifact.templateFullPath,
      template,
      dependencies: artifact.dependencies.filter((d) => d instanceof CloudFormationStackArtifact).map((d) => prefix + d.id),
    });
  }
}

/** Orders stacks so each follows its dependencies; a cycle is an error naming the stacks. */
function orderStacks(stacks: StackArtifact[]): StackArtifact[] {
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
    throw new LocalCloudError(`cloud assembly: no manifest.json in ${abs}: not a cloud assembly (is it a cdk.out directory?)`);
  }
  let assembly: CxCloudAssembly;
  try {
    // the version check is skipped: a manifest from a newer CDK CLI is still read as far as this reader needs
    assembly = new CxCloudAssembly(abs, { skipVersionCheck: true, topoSort: false });
  } catch (err) {
    throw new LocalCloudError(`cloud assembly: cannot read the manifest in ${abs} (${(err as Error).message})`);
  }
  const stacks: StackArtifact[] = [];
  collectStacks(assembly, '', stacks, 0);
  if (stacks.length === 0) throw new LocalCloudError(`cloud assembly: ${abs} contains no CloudFormation stacks`);
  return { dir: abs, stacks: orderStacks(stacks) };
}

/**
 * Absolute asset folder of a resource (Metadata aws:asset:path), or undefined when it has none. Read from the
 * template, not from cx-api: its asset manifests list what to publish per stack, not which resource uses which folder.
 */
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
