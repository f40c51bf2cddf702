// The shape of the console's live state: what the server pushes to the page (server-sent events) and what
// local/console/static/live.mjs renders. local/console/state.ts collects it.

export interface QueueState {
  id: string;
  visible: number;
  inFlight: number;
  delayed: number;
  /** ms since the oldest message still in the queue was sent (undefined: empty, or not inspectable) */
  oldestAgeMs?: number;
}

export interface DlqMessage {
  messageId: string;
  envelopeId?: string;
  type?: string;
  body: string;
  receiveCount: number;
  sentAt: string;
  /** what the worker logged when it last failed this job (SQS keeps no error with a message) */
  error?: string;
}

export interface ShardState {
  shardId: string;
  tip?: string;
  records: number;
}

export interface ConsumerShardState {
  shardId: string;
  position?: string;
  behindRecords: number;
  millisBehind: number;
}

export interface ConsumerState {
  mapping: string;
  consumer: string;
  paused: boolean;
  running: boolean;
  behindRecords: number;
  millisBehind: number;
  shards: ConsumerShardState[];
  recordsOk: number;
  recordsFailed: number;
  filteredOut: number;
  onFailureRecords: number;
  invocations: number;
  /** consecutive failed invocations of this mapping since its last success: the retries (and bisect splits) in progress */
  retrying: number;
  last?: { outcome: string; at: number; durationMs: number; records: number; failed: number; error?: string };
  /** invocations outside the mapping (Invoke API: replay to this consumer, redrive events, rewind) */
  direct: { invocations: number; records: number; failed: number };
}

export interface FunctionState {
  id: string;
  name: string;
  invocations: number;
  errors: number;
  timeouts: number;
  recordsOk: number;
  recordsFailed: number;
  lastDurationMs?: number;
  avgDurationMs?: number;
  maxDurationMs?: number;
  direct: { invocations: number; records: number; failed: number };
}

export interface FailureObject {
  key: string;
  consumer: string;
  condition?: string;
  records: number;
  shardId?: string;
  at?: string;
  types: string[];
  unreadable?: string;
}

export interface ConsoleState {
  at: number;
  queues: QueueState[];
  dlqs: { id: string; messages: DlqMessage[]; more: number }[];
  streams: { id: string; shards: ShardState[] }[];
  consumers: ConsumerState[];
  failures: { bucketId: string; objects: FailureObject[]; redriven: number }[];
  archives: { deliveryStream: string; bucketId: string; objects: number; records: number; errorObjects: number; buffered: number }[];
  functions: FunctionState[];
}
