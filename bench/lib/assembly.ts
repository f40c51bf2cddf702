/** The project's Lambda functions as the benchmarks need them, from the project view (local/project.ts) of cdk.out. */
import { assetDir, loadAssembly } from '../../local/assembly';
import { projectView, type ProjectView } from '../../local/project';

export interface AssemblyFunction {
  readonly stack: string;
  readonly logicalId: string;
  /** The function's name tag, else the logical id. */
  readonly name: string;
  /** Absolute path of the asset directory (holds index.js). */
  readonly assetDir: string;
  readonly handler: string;
  readonly memoryMiB: number | undefined;
  /** Environment variables; values that are intrinsics (Ref, GetAtt…) are replaced by `placeholder`. */
  readonly environment: Record<string, string>;
}

export const PLACEHOLDER = 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-placeholder';

/**
 * The functions an AWS::Lambda::EventSourceMapping invokes (the project view's handlers) that have an asset
 * folder. CDK-internal functions (e.g. the S3 auto-delete provider) have no mapping and are left out.
 */
export function mappedFunctions(view: ProjectView): AssemblyFunction[] {
  const out: AssemblyFunction[] = [];
  for (const fn of view.handlers) {
    const dir = assetDir(fn.stack, fn.resource);
    if (dir === undefined) continue;
    const props = fn.resource.Properties ?? {};
    out.push({
      stack: fn.stack.artifactId,
      logicalId: fn.logicalId,
      name: fn.name,
      assetDir: dir,
      handler: String(props.Handler ?? 'index.handler'),
      memoryMiB: typeof props.MemorySize === 'number' ? props.MemorySize : undefined,
      environment: Object.fromEntries(Object.entries(fn.environment).map(([k, v]) => [k, typeof v === 'string' ? v : PLACEHOLDER])),
    });
  }
  return out;
}

/** Every mapped function of every stack in the assembly directory, and the functions left out (`stack/logicalId`). */
export function readAssemblyFunctions(assemblyDir: string): { functions: AssemblyFunction[]; skipped: string[] } {
  const view = projectView(loadAssembly(assemblyDir).stacks);
  const functions = mappedFunctions(view);
  const kept = new Set(functions.map((f) => `${f.stack}/${f.logicalId}`));
  const skipped = view
    .ofType('AWS::Lambda::Function')
    .map((f) => `${f.stack.artifactId}/${f.logicalId}`)
    .filter((id) => !kept.has(id));
  return { functions, skipped };
}
