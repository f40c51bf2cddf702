/** Reads the project's Lambda functions out of a synthesized cloud assembly (templates only, no CDK import). */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface AssemblyFunction {
  readonly stack: string;
  readonly logicalId: string;
  /** The `queue-and-stream:name` tag, else the logical id. */
  readonly name: string;
  /** Absolute path of the asset directory (holds index.js). */
  readonly assetDir: string;
  readonly handler: string;
  readonly memoryMiB: number | undefined;
  /** Environment variables; values that are intrinsics (Ref, GetAtt…) are replaced by `placeholder`. */
  readonly environment: Record<string, string>;
}

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export const PLACEHOLDER = 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-placeholder';

/**
 * The functions an AWS::Lambda::EventSourceMapping points at (by Ref or Fn::GetAtt): the project's own
 * handlers. CDK-internal functions (e.g. the S3 auto-delete provider) have no mapping and are left out.
 */
export function mappedFunctions(stack: string, resources: Readonly<Record<string, Resource>>, assemblyDir: string): AssemblyFunction[] {
  const mapped = new Set<string>();
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const fn = r.Properties?.['FunctionName'] as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | string | undefined;
    if (typeof fn === 'object' && fn !== null) {
      const id = fn.Ref ?? fn['Fn::GetAtt']?.[0];
      if (id) mapped.add(id);
    }
  }
  const out: AssemblyFunction[] = [];
  for (const [logicalId, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Function' || !mapped.has(logicalId)) continue;
    const asset = r.Metadata?.['aws:asset:path'];
    if (typeof asset !== 'string') continue;
    const props = r.Properties ?? {};
    const tags = (props['Tags'] as { Key: string; Value: unknown }[] | undefined) ?? [];
    const nameTag = tags.find((t) => t.Key === 'queue-and-stream:name')?.Value;
    const variables = ((props['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
    const environment = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : PLACEHOLDER]));
    out.push({
      stack,
      logicalId,
      name: typeof nameTag === 'string' ? nameTag : logicalId,
      assetDir: path.resolve(assemblyDir, asset),
      handler: String(props['Handler'] ?? 'index.handler'),
      memoryMiB: typeof props['MemorySize'] === 'number' ? props['MemorySize'] : undefined,
      environment,
    });
  }
  return out;
}

/** Every mapped function of every stack in the assembly directory, and how many functions were skipped. */
export function readAssemblyFunctions(assemblyDir: string): { functions: AssemblyFunction[]; skipped: string[] } {
  const functions: AssemblyFunction[] = [];
  const skipped: string[] = [];
  for (const file of fs.readdirSync(assemblyDir).filter((f) => f.endsWith('.template.json')).sort()) {
    const template = JSON.parse(fs.readFileSync(path.join(assemblyDir, file), 'utf8')) as { Resources?: Record<string, Resource> };
    const resources = template.Resources ?? {};
    const stack = file.replace(/\.template\.json$/, '');
    const mine = mappedFunctions(stack, resources, assemblyDir);
    functions.push(...mine);
    const kept = new Set(mine.map((f) => f.logicalId));
    for (const [id, r] of Object.entries(resources)) if (r.Type === 'AWS::Lambda::Function' && !kept.has(id)) skipped.push(`${stack}/${id}`);
  }
  return { functions, skipped };
}
