// Checks an assembly before anything starts, and orders each stack's resources for creation.
import { LocalCloudError, assetDir, requireAssetDir, type CfnResource, type CloudAssembly, type StackArtifact } from '../assembly';
import { referencedIds } from '../resolver';
import { hasNoLocalEffect } from './no-local-effect';
import { isEmulated } from './registry';

export interface ResourceNote {
  stackName: string;
  logicalId: string;
  type: string;
}

export interface AssemblyAnalysis {
  /** accepted, no local effect */
  notEmulated: ResourceNote[];
  /** CDK custom-resource provider functions (CDK internals with no event source) */
  excludedFunctions: ResourceNote[];
  /** unknown types / non-Node runtimes, downgraded to warnings by --allow-unsupported */
  unsupported: (ResourceNote & { reason: string })[];
}

const props = (r: CfnResource | undefined): Record<string, unknown> => r?.Properties ?? {};

/** Custom-resource provider functions: ServiceToken targets of Custom:: resources, their framework's user handlers, __entrypoint__ handlers. */
function providerFunctionIds(template: StackArtifact['template']): Set<string> {
  const resources = template.Resources ?? {};
  const isFn = (id: string): boolean => resources[id]?.Type === 'AWS::Lambda::Function';
  const ids = new Set<string>();
  for (const r of Object.values(resources)) {
    if (r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource') {
      for (const id of referencedIds(props(r).ServiceToken)) if (isFn(id)) ids.add(id);
    }
  }
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::Lambda::Function' && String(props(r).Handler ?? '').startsWith('__entrypoint__')) ids.add(id);
  }
  // the provider framework's onEvent function names the user handler in its environment
  let grew = true;
  while (grew) {
    grew = false;
    for (const id of [...ids]) {
      for (const ref of referencedIds((props(resources[id]).Environment as Record<string, unknown> | undefined)?.Variables)) {
        if (isFn(ref) && !ids.has(ref)) {
          ids.add(ref);
          grew = true;
        }
      }
    }
  }
  return ids;
}

function isNodeRuntime(runtime: unknown): boolean {
  return typeof runtime === 'string' && runtime.startsWith('nodejs');
}

/** Sorts one function into the analysis (excluded, unsupported) or checks it has local code. */
function analyzeFunction(
  analysis: AssemblyAnalysis,
  stack: StackArtifact,
  logicalId: string,
  r: CfnResource,
  providers: Set<string>,
): void {
  const note = { stackName: stack.stackName, logicalId, type: r.Type };
  if (providers.has(logicalId)) {
    analysis.excludedFunctions.push(note);
    return;
  }
  if (!isNodeRuntime(props(r).Runtime)) {
    analysis.unsupported.push({
      ...note,
      reason: `runtime ${String(props(r).Runtime ?? '(none)')} (the local Lambda service runs Node.js only)`,
    });
    return;
  }
  requireAssetDir(stack, logicalId, r);
  const code = props(r).Code as Record<string, unknown> | undefined;
  if (assetDir(stack, r) === undefined && typeof code?.ZipFile !== 'string') {
    throw new LocalCloudError(
      `function ${stack.stackName}/${logicalId}: no local code (no aws:asset:path metadata and no inline ZipFile; synthesize with the CDK CLI)`,
    );
  }
}

/**
 * Checks every resource type before anything starts: unknown types (and functions the local Lambda service
 * cannot run) are errors naming the type and logical id unless allowUnsupported; asset folders must exist.
 */
export function analyzeAssembly(assembly: CloudAssembly, options: { allowUnsupported?: boolean } = {}): AssemblyAnalysis {
  const analysis: AssemblyAnalysis = { notEmulated: [], excludedFunctions: [], unsupported: [] };
  for (const stack of assembly.stacks) {
    const providers = providerFunctionIds(stack.template);
    for (const [logicalId, r] of Object.entries(stack.template.Resources ?? {})) {
      const note = { stackName: stack.stackName, logicalId, type: r.Type };
      if (r.Type === 'AWS::Lambda::Function') analyzeFunction(analysis, stack, logicalId, r, providers);
      else if (isEmulated(r.Type)) continue;
      else if (hasNoLocalEffect(r.Type)) analysis.notEmulated.push(note);
      else analysis.unsupported.push({ ...note, reason: 'resource type not supported by the local cloud' });
    }
  }
  if (analysis.unsupported.length > 0 && !options.allowUnsupported) {
    const u = analysis.unsupported[0];
    const more = analysis.unsupported.length > 1 ? ` (and ${analysis.unsupported.length - 1} more)` : '';
    throw new LocalCloudError(
      `unsupported: ${u.type} ${u.stackName}/${u.logicalId}: ${u.reason}${more}; --allow-unsupported skips it with a warning`,
    );
  }
  return analysis;
}

/** Orders a stack's resources so each comes after what it references (Ref, GetAtt, Sub, DependsOn). */
export function orderResources(stack: StackArtifact): string[] {
  const resources = stack.template.Resources ?? {};
  const deps = new Map<string, string[]>();
  for (const [id, r] of Object.entries(resources)) {
    const refs = referencedIds(r.Properties ?? {});
    for (const d of [r.DependsOn ?? []].flat()) refs.add(d);
    deps.set(
      id,
      [...refs].filter((x) => x in resources && x !== id),
    );
  }
  const out: string[] = [];
  const state = new Map<string, number>();
  const visit = (id: string, trail: string[]): void => {
    if (state.get(id) === 2) return;
    if (state.get(id) === 1) throw new LocalCloudError(`stack ${stack.stackName}: circular reference ${[...trail, id].join(' → ')}`);
    state.set(id, 1);
    for (const d of deps.get(id) ?? []) visit(d, [...trail, id]);
    state.set(id, 2);
    out.push(id);
  };
  for (const id of Object.keys(resources)) visit(id, []);
  return out;
}
