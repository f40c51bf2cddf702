// What every resource provisioner shares: the emulator clients, the options, and what has been created so far
// (later resources find earlier ones here: a mapping its queue or stream, a delivery stream its bucket).
import type { CfnResource, CloudAssembly, StackArtifact } from '../assembly';
import type { LocalClients } from '../clients';
import type { KinesisCapabilities } from '../emulators';
import type { ResourceFacts } from '../resolver';
import type {
  LocalBucket,
  LocalDeliveryStream,
  LocalFunction,
  LocalKinesisMapping,
  LocalQueue,
  LocalSqsMapping,
  LocalStream,
  LocalTable,
} from '../types';

export interface ProvisionOptions {
  assembly: CloudAssembly;
  /** `dynamodb` is required only by an assembly that declares a table */
  endpoints: { sqs: string; s3: string; kinesis: string; dynamodb?: string };
  kinesis: KinesisCapabilities;
  allowUnsupported?: boolean;
  /** where inline (Code.ZipFile) function code is written; default <assembly>/../.local */
  stateDir?: string;
  /**
   * The emulators kept their state from an earlier run (--persist): a stream or table that already exists is the
   * one the template declares, taken over with its records and items instead of being an error.
   */
  reuseExisting?: boolean;
}

export interface LocalStreamConsumer {
  logicalId: string;
  name: string;
  arn: string;
  stream: LocalStream;
  /** false when the emulator has no enhanced fan-out: the consumer's mappings read with GetRecords */
  registered: boolean;
}

/** Everything created so far, in creation order. */
export class ProvisionContext {
  readonly queues: LocalQueue[] = [];
  readonly streams: LocalStream[] = [];
  readonly buckets: LocalBucket[] = [];
  readonly functions: LocalFunction[] = [];
  readonly sqsMappings: LocalSqsMapping[] = [];
  readonly kinesisMappings: LocalKinesisMapping[] = [];
  readonly deliveryStreams: LocalDeliveryStream[] = [];
  readonly consumers: LocalStreamConsumer[] = [];
  readonly tables: LocalTable[] = [];
  /** start-up notes: substitutions the emulators forced */
  readonly notes: string[] = [];
  readonly warnings: string[] = [];
  /** functions by physical name and by ARN, for the event source mappings that name them */
  private readonly functionIds = new Map<string, LocalFunction>();

  constructor(
    readonly options: ProvisionOptions,
    readonly clients: LocalClients,
  ) {}

  addFunction(fn: LocalFunction, physicalName: string): void {
    this.functions.push(fn);
    this.functionIds.set(physicalName, fn);
    this.functionIds.set(fn.arn, fn);
  }

  findFunction(nameOrArn: string): LocalFunction | undefined {
    const direct = this.functionIds.get(nameOrArn);
    if (direct) return direct;
    // qualified ARN (alias/version) or partial ARN
    const m = /function:([^:]+)/.exec(nameOrArn);
    return m ? this.functionIds.get(m[1]) : undefined;
  }
}

/** One resource to create: its stack, logical id, template entry, and its properties with intrinsics resolved. */
export interface ResourceInput {
  stack: StackArtifact;
  logicalId: string;
  resource: CfnResource;
  /** a property, intrinsics resolved */
  p: (key: string) => unknown;
  /** `Stack/LogicalId.Properties`, for error messages */
  at: string;
}

/** Creates one resource type on its emulator and answers what the resource gives to Ref / Fn::GetAtt. */
export type ResourceProvisioner = (input: ResourceInput, ctx: ProvisionContext) => Promise<ResourceFacts>;
