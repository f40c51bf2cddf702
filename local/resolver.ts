// Resolves CloudFormation intrinsics against the resources the local cloud created (or stands in for).
import { LocalCloudError, type StackArtifact } from './assembly';

/** `{ Ref: 'AWS::NoValue' }`: the property is removed, as CloudFormation does. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/** What a resource answers to Ref and Fn::GetAtt locally. */
export interface ResourceFacts {
  type: string;
  ref: string;
  attributes: Record<string, string>;
}

/** Shared across stacks: created resources, stack outputs and exports (for Fn::ImportValue / Fn::GetStackOutput). */
export interface ResolverWorld {
  region: string;
  accountId: string;
  partition: string;
  urlSuffix: string;
  /** stackName → logicalId → facts */
  resources: Map<string, Map<string, ResourceFacts>>;
  /** stackName → outputName → lazy value */
  outputs: Map<string, Map<string, () => unknown>>;
  /** export name → lazy value */
  exports: Map<string, () => unknown>;
}

export function createWorld(region: string, accountId: string): ResolverWorld {
  return { region, accountId, partition: 'aws', urlSuffix: 'amazonaws.com', resources: new Map(), outputs: new Map(), exports: new Map() };
}

const SUPPORTED = [
  'Ref',
  'Fn::GetAtt',
  'Fn::ImportValue',
  'Fn::GetStackOutput',
  'Fn::Join',
  'Fn::Sub',
  'Fn::Select',
  'Fn::Split',
  'Fn::If',
  'Fn::Equals',
  'Fn::Not',
  'Fn::And',
  'Fn::Or',
  'Condition',
  'Fn::FindInMap',
  'Fn::Base64',
  'Fn::GetAZs',
  'Fn::ToJsonString',
];

function intrinsicName(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const k = keys[0];
  return k === 'Ref' || k.startsWith('Fn::') ? k : undefined;
}

/** Resolves one stack's intrinsics. Errors name the intrinsic and the path (Stack/LogicalId.Properties...). */
export class StackResolver {
  private readonly conditionCache = new Map<string, boolean>();
  private readonly parameters = new Map<string, unknown>();

  constructor(
    readonly stack: StackArtifact,
    readonly world: ResolverWorld,
  ) {
    for (const [name, p] of Object.entries(stack.template.Parameters ?? {})) {
      if (p.Default === undefined) continue; // a parameter without default fails only when referenced
      // SSM-typed parameters (e.g. the CDK's BootstrapVersion) hold the parameter *path* as default: the value
      // is only checked by the bootstrap Rule, which the local cloud skips.
      const def = p.Type === 'CommaDelimitedList' && typeof p.Default === 'string' ? p.Default.split(',') : p.Default;
      this.parameters.set(name, def);
    }
  }

  get stackName(): string {
    return this.stack.stackName;
  }

  private stackFacts(): Map<string, ResourceFacts> {
    let m = this.world.resources.get(this.stackName);
    if (!m) {
      m = new Map();
      this.world.resources.set(this.stackName, m);
    }
    return m;
  }

  /** Registers what a resource answers to Ref / Fn::GetAtt. */
  register(logicalId: string, facts: ResourceFacts): void {
    this.stackFacts().set(logicalId, facts);
  }

  lookup(logicalId: string): ResourceFacts | undefined {
    return this.world.resources.get(this.stackName)?.get(logicalId);
  }

  /** Makes the stack's Outputs (and their Export names) visible to later stacks; values resolve when read. */
  publishOutputs(): void {
    const outputs = new Map<string, () => unknown>();
    for (const [name, out] of Object.entries(this.stack.template.Outputs ?? {})) {
      if (out.Condition && !this.condition(out.Condition, `${this.stackName}/Outputs.${name}`)) continue;
      let cached: { v: unknown } | undefined;
      const thunk = (): unknown => {
        cached ??= { v: this.resolve(out.Value, `${this.stackName}/Outputs.${name}.Value`) };
        return cached.v;
      };
      outputs.set(name, thunk);
      if (out.Export) {
        const exportName = this.resolveString(out.Export.Name, `${this.stackName}/Outputs.${name}.Export.Name`);
        this.world.exports.set(exportName, thunk);
      }
    }
    this.world.outputs.set(this.stackName, outputs);
  }

  /** Whether a resource (or output) with a Condition exists. */
  enabled(condition: string | undefined, at: string): boolean {
    return condition === undefined || this.condition(condition, at);
  }

  condition(name: string, at: string): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    const expr = this.stack.template.Conditions?.[name];
    if (expr === undefined) throw new LocalCloudError(`condition ${name} is not defined in stack ${this.stackName} (used at ${at})`);
    const v = this.resolve(expr, `${this.stackName}/Conditions.${name}`);
    if (typeof v !== 'boolean') throw new LocalCloudError(`condition ${name} in stack ${this.stackName} does not evaluate to a boolean`);
    this.conditionCache.set(name, v);
    return v;
  }

  resolveString(value: unknown, at: string): string {
    const v = this.resolve(value, at);
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new LocalCloudError(`expected a string at ${at}, got ${JSON.stringify(v)}`);
  }

  resolve(value: unknown, at: string): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      return value.map((v, i) => this.resolve(v, `${at}[${i}]`)).filter((v) => v !== NO_VALUE);
    }
    const fn = intrinsicName(value);
    if (fn) return this.intrinsic(fn, (value as Record<string, unknown>)[fn], at);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = this.resolve(v, `${at}.${k}`);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }

  private ref(name: string, at: string): unknown {
    switch (name) {
      case 'AWS::Region':
        return this.world.region;
      case 'AWS::AccountId':
        return this.world.accountId;
      case 'AWS::Partition':
        return this.world.partition;
      case 'AWS::URLSuffix':
        return this.world.urlSuffix;
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:${this.world.partition}:cloudformation:${this.world.region}:${this.world.accountId}:stack/${this.stackName}/local`;
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
    }
    if (this.parameters.has(name)) return this.parameters.get(name);
    if (this.stack.template.Parameters?.[name]) {
      throw new LocalCloudError(`parameter ${name} of stack ${this.stackName} has no default (referenced at ${at})`);
    }
    const facts = this.lookup(name);
    if (facts) return facts.ref;
    const res = this.stack.template.Resources?.[name];
    if (res) throw new LocalCloudError(`Ref ${name} (${res.Type}) at ${at}: the resource is not available locally`);
    throw new LocalCloudError(`Ref ${name} at ${at}: no such parameter or resource in stack ${this.stackName}`);
  }

  private getAtt(logicalId: string, attr: string, at: string): string {
    const facts = this.lookup(logicalId);
    const res = this.stack.template.Resources?.[logicalId];
    if (!facts) {
      if (res) throw new LocalCloudError(`Fn::GetAtt ${logicalId}.${attr} (${res.Type}) at ${at}: the resource is not available locally`);
      throw new LocalCloudError(`Fn::GetAtt ${logicalId}.${attr} at ${at}: no such resource in stack ${this.stackName}`);
    }
    const v = facts.attributes[attr];
    if (v === undefined)
      throw new LocalCloudError(`Fn::GetAtt ${logicalId}.${attr} (${facts.type}) at ${at}: attribute not supported locally`);
    return v;
  }

  private sub(template: string, vars: Record<string, unknown>, at: string): string {
    return template.replace(/\$\{([^}]*)\}/g, (_m, expr: string) => {
      if (expr.startsWith('!')) return `\${${expr.slice(1)}}`;
      const name = expr.trim();
      if (name in vars) return this.resolveString(vars[name], `${at}.${name}`);
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const dot = name.indexOf('.');
        return this.getAtt(name.slice(0, dot), name.slice(dot + 1), at);
      }
      const v = this.ref(name, at);
      if (typeof v === 'string' || typeof v === 'number') return String(v);
      throw new LocalCloudError(`Fn::Sub variable ${name} at ${at} is not a string`);
    });
  }

  private intrinsic(fn: string, arg: unknown, at: string): unknown {
    const here = `${at}.${fn}`;
    switch (fn) {
      case 'Ref':
        return this.ref(this.resolveString(arg, here), at);
      case 'Fn::GetAtt': {
        const parts = typeof arg === 'string' ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)] : (arg as unknown[]);
        if (!Array.isArray(parts) || parts.length !== 2) throw new LocalCloudError(`malformed Fn::GetAtt at ${at}`);
        return this.getAtt(this.resolveString(parts[0], here), this.resolveString(parts[1], here), at);
      }
      case 'Fn::ImportValue': {
        const name = this.resolveString(arg, here);
        const thunk = this.world.exports.get(name);
        if (!thunk) throw new LocalCloudError(`Fn::ImportValue ${name} at ${at}: no stack in the assembly exports it`);
        return thunk();
      }
      case 'Fn::GetStackOutput': {
        const a = this.resolve(arg, here) as { StackName?: string; OutputName?: string };
        const thunk = a.StackName && a.OutputName ? this.world.outputs.get(a.StackName)?.get(a.OutputName) : undefined;
        if (!thunk)
          throw new LocalCloudError(`Fn::GetStackOutput ${a.StackName}.${a.OutputName} at ${at}: no such stack output in the assembly`);
        return thunk();
      }
      case 'Fn::Join': {
        const [delim, list] = this.args(arg, 2, fn, at);
        const items = this.resolve(list, here);
        if (!Array.isArray(items)) throw new LocalCloudError(`Fn::Join at ${at}: second argument is not a list`);
        return items.map((v, i) => this.resolveString(v, `${here}[${i}]`)).join(this.resolveString(delim, here));
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') return this.sub(arg, {}, here);
        const [tpl, vars] = this.args(arg, 2, fn, at);
        return this.sub(this.resolveString(tpl, here), (vars ?? {}) as Record<string, unknown>, here);
      }
      case 'Fn::Select': {
        const [index, list] = this.args(arg, 2, fn, at);
        const i = Number(this.resolve(index, here));
        const items = this.resolve(list, here);
        if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length) {
          throw new LocalCloudError(`Fn::Select at ${at}: index ${i} out of range`);
        }
        return items[i];
      }
      case 'Fn::Split': {
        const [delim, str] = this.args(arg, 2, fn, at);
        return this.resolveString(str, here).split(this.resolveString(delim, here));
      }
      case 'Fn::If': {
        const [cond, a, b] = this.args(arg, 3, fn, at);
        return this.condition(this.resolveString(cond, here), at) ? this.resolve(a, `${here}[1]`) : this.resolve(b, `${here}[2]`);
      }
      case 'Fn::Equals': {
        const [a, b] = this.args(arg, 2, fn, at);
        return JSON.stringify(this.resolve(a, here)) === JSON.stringify(this.resolve(b, here));
      }
      case 'Fn::Not':
        return !this.bool(this.args(arg, 1, fn, at)[0], here);
      case 'Fn::And':
        return this.list(arg, fn, at).every((c) => this.bool(c, here));
      case 'Fn::Or':
        return this.list(arg, fn, at).some((c) => this.bool(c, here));
      case 'Fn::FindInMap': {
        const [m, k1, k2] = this.args(arg, 3, fn, at).map((v) => this.resolveString(v, here));
        const v = this.stack.template.Mappings?.[m]?.[k1]?.[k2];
        if (v === undefined) throw new LocalCloudError(`Fn::FindInMap ${m}.${k1}.${k2} at ${at}: no such mapping entry`);
        return v;
      }
      case 'Fn::Base64':
        return Buffer.from(this.resolveString(arg, here)).toString('base64');
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((z) => `${this.world.region}${z}`);
      case 'Fn::ToJsonString':
        return JSON.stringify(this.resolve(arg, here));
    }
    throw new LocalCloudError(`unsupported intrinsic ${fn} at ${at} (supported: ${SUPPORTED.join(', ')})`);
  }

  private bool(v: unknown, at: string): boolean {
    // a condition list element may be { Condition: name }
    if (v && typeof v === 'object' && !Array.isArray(v) && 'Condition' in v && Object.keys(v).length === 1) {
      return this.condition(String((v as { Condition: unknown }).Condition), at);
    }
    const r = this.resolve(v, at);
    if (typeof r !== 'boolean') throw new LocalCloudError(`expected a condition at ${at}`);
    return r;
  }

  private list(arg: unknown, fn: string, at: string): unknown[] {
    if (!Array.isArray(arg)) throw new LocalCloudError(`malformed ${fn} at ${at}: expected a list`);
    return arg;
  }

  private args(arg: unknown, n: number, fn: string, at: string): unknown[] {
    if (!Array.isArray(arg) || arg.length < (fn === 'Fn::Sub' ? 1 : n))
      throw new LocalCloudError(`malformed ${fn} at ${at}: expected ${n} arguments`);
    return arg;
  }
}

/** Logical ids a value refers to within its own stack (Ref, Fn::GetAtt, Fn::Sub variables): for ordering. */
export function referencedIds(value: unknown, out = new Set<string>()): Set<string> {
  if (value === null || typeof value !== 'object') return out;
  if (Array.isArray(value)) {
    for (const v of value) referencedIds(v, out);
    return out;
  }
  const fn = intrinsicName(value);
  const arg = fn ? (value as Record<string, unknown>)[fn] : undefined;
  if (fn === 'Ref' && typeof arg === 'string' && !arg.startsWith('AWS::')) out.add(arg);
  else if (fn === 'Fn::GetAtt') {
    if (Array.isArray(arg) && typeof arg[0] === 'string') out.add(arg[0]);
    else if (typeof arg === 'string') out.add(arg.split('.')[0]);
  } else if (fn === 'Fn::Sub') {
    const tpl = typeof arg === 'string' ? arg : Array.isArray(arg) ? arg[0] : undefined;
    const vars = Array.isArray(arg) && arg[1] && typeof arg[1] === 'object' ? (arg[1] as Record<string, unknown>) : {};
    if (typeof tpl === 'string') {
      for (const m of tpl.matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const name = m[1].trim().split('.')[0];
        if (!name.startsWith('AWS::') && !(name in vars)) out.add(name);
      }
    }
    referencedIds(vars, out);
    return out;
  }
  for (const v of Object.values(value)) referencedIds(v, out);
  return out;
}
