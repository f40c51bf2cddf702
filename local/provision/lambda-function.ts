// AWS::Lambda::Function → a LocalFunction the lambda half runs from its asset folder (or its inline code).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalCloudError, requireAssetDir } from '../assembly';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../lib/contract';
import { functionIdentity } from '../project';
import type { ResourceFacts } from '../resolver';
import type { LocalFunction } from '../types';
import type { ProvisionContext, ResourceInput } from './context';
import { num, physicalName } from './values';

export async function provisionFunction({ stack, logicalId, resource, p }: ResourceInput, ctx: ProvisionContext): Promise<ResourceFacts> {
  const physical = (p('FunctionName') as string | undefined) ?? physicalName(stack.stackName, logicalId, 64, /[^A-Za-z0-9_-]/g);
  const arn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${physical}`;
  const handler = String(p('Handler') ?? '');
  if (!handler) throw new LocalCloudError(`function ${stack.stackName}/${logicalId}: no Handler`);
  let codeDir = requireAssetDir(stack, logicalId, resource);
  if (codeDir === undefined) {
    // inline code (Code.ZipFile): write it where the lambda half can load it
    const code = (p('Code') as { ZipFile?: string } | undefined)?.ZipFile;
    if (typeof code !== 'string')
      throw new LocalCloudError(
        `function ${stack.stackName}/${logicalId}: no local code (no aws:asset:path metadata and no inline ZipFile)`,
      );
    codeDir = path.resolve(
      ctx.options.stateDir ?? path.join(ctx.options.assembly.dir, '..', '.local'),
      'inline-code',
      `${stack.stackName}-${logicalId}`,
    );
    fs.mkdirSync(codeDir, { recursive: true });
    fs.writeFileSync(path.join(codeDir, `${handler.split('.')[0]}.js`), code);
  }
  const env = ((p('Environment') as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
  const { name, role } = functionIdentity(logicalId, p('Tags'));
  const fn: LocalFunction = {
    logicalId,
    name,
    ...(role ? { role } : {}),
    arn,
    handler,
    codeDir,
    runtime: String(p('Runtime')),
    timeoutSeconds: num(p('Timeout'), 3, `${logicalId}.Timeout`),
    memoryMb: num(p('MemorySize'), 128, `${logicalId}.MemorySize`),
    environment: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
  };
  ctx.addFunction(fn, physical);
  return { type: 'AWS::Lambda::Function', ref: physical, attributes: { Arn: arn } };
}
