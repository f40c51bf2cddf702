// Creates what the templates declare on the emulators and derives the LocalTopology the lambda half runs.
// Layered like the emulators it drives: analyze.ts checks the assembly, registry.ts maps each resource type to
// its module (sqs-queue.ts, kinesis-stream.ts, …), this file walks the stacks in order and resolves intrinsics;
// which resource plays which part of the project (the job queue, the stream, …) is local/project.ts's business.
import { LocalCloudError } from '../assembly';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../lib/contract';
import { createLocalClients } from '../clients';
import { identifyRoles, type TopologyRoles } from '../project';
import { StackResolver, createWorld, type ResolverWorld } from '../resolver';
import type { LocalEndpoints, LocalTable, LocalTopology } from '../types';
import { analyzeAssembly, orderResources, type AssemblyAnalysis } from './analyze';
import { ProvisionContext, type LocalStreamConsumer, type ProvisionOptions } from './context';
import { standInFacts } from './no-local-effect';
import { PROVISIONERS } from './registry';

export interface ProvisionResult extends AssemblyAnalysis {
  topology: LocalTopology;
  consumers: LocalStreamConsumer[];
  /** DynamoDB tables (the lambda half needs only their endpoint, in topology.endpoints) */
  tables: LocalTable[];
  roles: TopologyRoles;
  /** start-up notes: substitutions the emulators forced (ON_DEMAND → 4 shards, no EFO, clamped retention) */
  notes: string[];
  warnings: string[];
  /** resolved stack outputs, stackName → outputName → value (unresolvable ones omitted) */
  outputs: Record<string, Record<string, unknown>>;
}

/** Creates every enabled resource of every stack, in dependency order, through the registry. */
async function createAll(ctx: ProvisionContext, world: ResolverWorld, analysis: AssemblyAnalysis): Promise<void> {
  const skipped = new Set([...analysis.excludedFunctions, ...analysis.unsupported].map((n) => `${n.stackName}/${n.logicalId}`));
  for (const stack of ctx.options.assembly.stacks) {
    const resolver = new StackResolver(stack, world);
    for (const logicalId of orderResources(stack)) {
      const resource = stack.template.Resources![logicalId];
      const at = `${stack.stackName}/${logicalId}`;
      if (!resolver.enabled(resource.Condition, at)) continue;
      const provisioner = PROVISIONERS[resource.Type];
      if (skipped.has(at) || !provisioner) {
        resolver.register(logicalId, standInFacts(stack, logicalId, resource.Type));
        const u = analysis.unsupported.find((x) => `${x.stackName}/${x.logicalId}` === at);
        if (u) ctx.warnings.push(`not run locally: ${u.type} ${at}: ${u.reason}`);
        continue;
      }
      const p = (key: string): unknown => resolver.resolve(resource.Properties?.[key], `${at}.Properties.${key}`);
      resolver.register(logicalId, await provisioner({ stack, logicalId, resource, p, at: `${at}.Properties` }, ctx));
    }
    resolver.publishOutputs();
  }
}

/** The stacks' outputs, resolved; an output that references something with no local value (e.g. a dashboard URL) is left out. */
function resolvedOutputs(world: ResolverWorld): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [stack, outputs] of world.outputs) {
    out[stack] = {};
    for (const [name, thunk] of outputs) {
      try {
        out[stack][name] = thunk();
      } catch {
        // no local value
      }
    }
  }
  return out;
}

/** Creates queues, streams, consumers and buckets in dependency order and returns the topology for the lambda half. */
export async function provision(options: ProvisionOptions): Promise<ProvisionResult> {
  const analysis = analyzeAssembly(options.assembly, { allowUnsupported: options.allowUnsupported });
  const clients = createLocalClients(options.endpoints);
  try {
    const ctx = new ProvisionContext(options, clients);
    const world = createWorld(LOCAL_REGION, LOCAL_ACCOUNT_ID);
    await createAll(ctx, world, analysis);
    const endpoints: LocalEndpoints = { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID, ...options.endpoints };
    const topology: LocalTopology = {
      endpoints,
      queues: ctx.queues,
      streams: ctx.streams,
      buckets: ctx.buckets,
      functions: ctx.functions,
      sqsMappings: ctx.sqsMappings,
      kinesisMappings: ctx.kinesisMappings,
      deliveryStreams: ctx.deliveryStreams,
    };
    return {
      ...analysis,
      topology,
      consumers: ctx.consumers,
      tables: ctx.tables,
      roles: identifyRoles(topology, ctx.tables),
      notes: ctx.notes,
      warnings: ctx.warnings,
      outputs: resolvedOutputs(world),
    };
  } catch (err) {
    if (err instanceof LocalCloudError) throw err;
    throw new LocalCloudError(`provisioning failed: ${(err as Error).message}`);
  } finally {
    clients.destroy();
  }
}
