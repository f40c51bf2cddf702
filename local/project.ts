// The project view: what this project's resources are, as opposed to what a CloudFormation resource is. Every
// project-specific inference lives here, on top of the generic reader (assembly.ts) and the generic
// provisioners (provision/):
//  - from the synthesized templates alone (projectView): the functions by name and role (their tags), the event
//    source mappings with the function each invokes and what it reads, the mapped handlers, the resources the
//    handlers' environment names (FUNCTION_ENV, lib/contract.ts), the stacks of a stage; the cost model (tools/cost/assembly.ts)
//    and the benchmarks (bench/lib/assembly.ts) read these;
//  - from what the local cloud provisioned (identifyRoles): the job queue and its DLQ, the event stream, the
//    archive bucket, the failures bucket, the idempotency table, which the local cloud's status and console show.
// It lives in local/ (next to the reader it builds on) because the local cloud is its first user and tools/ and
// bench/ already import local/; it imports nothing from tools/ or bench/, and lib/ and lambdas/ never import it.
import { FUNCTION_ENV, FUNCTION_TAGS } from '../lib/contract';
import type { CfnResource, StackArtifact } from './assembly';
import type { LocalBucket, LocalQueue, LocalStream, LocalTable, LocalTopology, OnFailureDestination } from './types';

/** A template's Tags property (a list of { Key, Value }, or a map) as a map. */
function tagsOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const t of value)
      if (t && typeof t === 'object' && 'Key' in t) out[String(t.Key)] = String((t as { Value?: unknown }).Value ?? '');
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out[k] = String(v);
  }
  return out;
}

/** A function's name (its name tag, else its logical id) and role (its role tag: 'worker' or 'consumer') from its Tags. */
export function functionIdentity(logicalId: string, tags: unknown): { name: string; role?: string } {
  const t = tagsOf(tags);
  return { name: t[FUNCTION_TAGS.name] ?? logicalId, ...(t[FUNCTION_TAGS.role] ? { role: t[FUNCTION_TAGS.role] } : {}) };
}

/** Stacks of one stage, by the `QueueAndStream-<Stage>-…` naming of bin/app.ts (all of them when none is named so). */
export function stacksOfStage(stacks: readonly StackArtifact[], stage: string): StackArtifact[] {
  const mine = stacks.filter((s) => isOfStage(s, stage));
  return mine.length ? mine : [...stacks];
}

/** Whether a stack is named for a stage (`-Dev-` / `-Prod-` in its artifact id). */
export function isOfStage(stack: StackArtifact, stage: string): boolean {
  return new RegExp(`(^|[-/])${stage}([-/]|$)`, 'i').test(stack.artifactId);
}

/** One resource of a template, with the stack that declares it. */
export interface TemplateResource {
  stack: StackArtifact;
  logicalId: string;
  resource: CfnResource;
}

/** Follows Ref / Fn::GetAtt / Fn::GetStackOutput / Fn::ImportValue to the resource a value points at, across stacks. */
function resolveResource(value: unknown, stack: StackArtifact, stacks: readonly StackArtifact[], depth = 0): TemplateResource | undefined {
  if (depth > 5 || value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const local = (id: unknown): TemplateResource | undefined => {
    if (typeof id !== 'string') return undefined;
    const resource = stack.template.Resources?.[id];
    return resource ? { stack, logicalId: id, resource } : undefined;
  };
  if ('Ref' in v) return local(v.Ref);
  if ('Fn::GetAtt' in v) {
    const g = v['Fn::GetAtt'];
    return local(Array.isArray(g) ? g[0] : typeof g === 'string' ? g.split('.')[0] : undefined);
  }
  if ('Fn::GetStackOutput' in v) {
    // CDK's newer cross-stack reference: { StackName, OutputName, Region }
    const g = (v['Fn::GetStackOutput'] ?? {}) as { StackName?: unknown; OutputName?: unknown };
    const s = stacks.find((x) => x.artifactId === g.StackName || x.stackName === g.StackName);
    const out = typeof g.OutputName === 'string' ? s?.template.Outputs?.[g.OutputName] : undefined;
    return s && out ? resolveResource(out.Value, s, stacks, depth + 1) : undefined;
  }
  if ('Fn::ImportValue' in v && typeof v['Fn::ImportValue'] === 'string') {
    for (const s of stacks) {
      for (const out of Object.values(s.template.Outputs ?? {})) {
        if (out.Export?.Name === v['Fn::ImportValue']) return resolveResource(out.Value, s, stacks, depth + 1);
      }
    }
  }
  return undefined;
}

/** Which service an ARN-ish value points at when it cannot be resolved to a resource (a literal or a join). */
function arnService(value: unknown): string | undefined {
  const m = /arn:[^:"]*:(kinesis|sqs|dynamodb|kafka):[^"]*?(\/consumer\/)?/.exec(JSON.stringify(value ?? ''));
  if (!m) return undefined;
  return m[2] ? 'kinesis-consumer' : m[1];
}

const SOURCE_KINDS: Record<string, string> = {
  'AWS::Kinesis::Stream': 'kinesis',
  'AWS::Kinesis::StreamConsumer': 'kinesis-consumer',
  'AWS::SQS::Queue': 'sqs',
};

/** A function of the template with its identity (tags) and its environment as synthesized. */
export interface ProjectFunction extends TemplateResource {
  name: string;
  role?: string;
  /** Environment.Variables, intrinsics unresolved */
  environment: Record<string, unknown>;
}

/** An event source mapping: the function it invokes and what it reads ('sqs', 'kinesis', 'kinesis-consumer', …). */
export interface ProjectMapping extends TemplateResource {
  fn?: ProjectFunction;
  source?: TemplateResource;
  /** by the source's resource type, else by the service its ARN names; undefined when neither says */
  kind?: string;
}

/** The project as the synthesized templates declare it, read without starting anything. */
export interface ProjectView {
  stacks: StackArtifact[];
  /** every resource, stacks in deployment order, each template in its order */
  resources: TemplateResource[];
  ofType(type: string): TemplateResource[];
  /** a value's target resource (Ref, GetAtt, cross-stack outputs and exports) */
  resolve(value: unknown, from: StackArtifact): TemplateResource | undefined;
  mappings: ProjectMapping[];
  /** the functions an event source mapping invokes (the worker, the consumers), in template order; CDK-internal functions have none */
  handlers: ProjectFunction[];
  /** the resource a function's environment variable (one of FUNCTION_ENV) names, e.g. its idempotency table */
  named(fn: ProjectFunction, variable: string): TemplateResource | undefined;
}

function projectFunction(r: TemplateResource): ProjectFunction {
  const p = r.resource.Properties ?? {};
  const environment = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
  return { ...r, ...functionIdentity(r.logicalId, p.Tags), environment };
}

export function projectView(stacks: readonly StackArtifact[]): ProjectView {
  const all = [...stacks];
  const resources = all.flatMap((stack) =>
    Object.entries(stack.template.Resources ?? {}).map(([logicalId, resource]) => ({ stack, logicalId, resource })),
  );
  const ofType = (type: string): TemplateResource[] => resources.filter((r) => r.resource.Type === type);
  const resolve = (value: unknown, from: StackArtifact): TemplateResource | undefined => resolveResource(value, from, all);
  const mappings = ofType('AWS::Lambda::EventSourceMapping').map((m): ProjectMapping => {
    const p = m.resource.Properties ?? {};
    const source = resolve(p.EventSourceArn, m.stack);
    const target = resolve(p.FunctionName, m.stack);
    const fn = target?.resource.Type === 'AWS::Lambda::Function' ? projectFunction(target) : undefined;
    return {
      ...m,
      ...(fn ? { fn } : {}),
      ...(source ? { source } : {}),
      kind: source ? SOURCE_KINDS[source.resource.Type] : arnService(p.EventSourceArn),
    };
  });
  const mapped = new Set(mappings.map((m) => m.fn && `${m.fn.stack.artifactId}/${m.fn.logicalId}`));
  const handlers = ofType('AWS::Lambda::Function')
    .filter((f) => mapped.has(`${f.stack.artifactId}/${f.logicalId}`))
    .map(projectFunction);
  const named = (fn: ProjectFunction, variable: string): TemplateResource | undefined => resolve(fn.environment[variable], fn.stack);
  return { stacks: all, resources, ofType, resolve, mappings, handlers, named };
}

/** Which provisioned resources play the project's well-known parts (derived from the mappings, never from names). */
export interface TopologyRoles {
  jobs?: LocalQueue;
  jobsDlq?: LocalQueue;
  events?: LocalStream;
  archive?: LocalBucket;
  failures?: LocalBucket;
  /** the table the functions' IDEMPOTENCY_TABLE_NAME names */
  idempotency?: LocalTable;
}

/** Derives the project's well-known parts from the mappings (and the functions' environment): the worker's queue, its DLQ, the consumers' stream, ... */
export function identifyRoles(topology: LocalTopology, tables: readonly LocalTable[] = []): TopologyRoles {
  const roles: TopologyRoles = {};
  const fnRole = (id: string): string | undefined => topology.functions.find((f) => f.logicalId === id)?.role;
  const sqs = topology.sqsMappings.find((m) => fnRole(m.functionLogicalId) === 'worker') ?? topology.sqsMappings[0];
  if (sqs) {
    roles.jobs = sqs.queue;
    const dlqArn = sqs.queue.redrivePolicy?.deadLetterTargetArn;
    roles.jobsDlq = topology.queues.find((q) => q.arn === dlqArn);
  }
  const counts = new Map<LocalStream, number>();
  for (const m of topology.kinesisMappings) counts.set(m.stream, (counts.get(m.stream) ?? 0) + 1);
  roles.events = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? topology.deliveryStreams[0]?.sourceStream;
  roles.archive = topology.deliveryStreams.find((d) => d.sourceStream === roles.events)?.bucket ?? topology.deliveryStreams[0]?.bucket;
  const s3Failure = topology.kinesisMappings
    .map((m) => m.onFailure)
    .find((d): d is Extract<OnFailureDestination, { kind: 's3' }> => d?.kind === 's3');
  roles.failures = s3Failure ? topology.buckets.find((b) => b.name === s3Failure.bucketName) : undefined;
  const idempotencyTableName = topology.functions.map((f) => f.environment[FUNCTION_ENV.idempotencyTableName]).find((n) => n !== undefined);
  roles.idempotency = tables.find((t) => t.name === idempotencyTableName);
  for (const k of Object.keys(roles) as (keyof TopologyRoles)[]) if (roles[k] === undefined) delete roles[k];
  return roles;
}
