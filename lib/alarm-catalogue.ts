/**
 * Every alarm the app creates: what it means and the first thing to do. Alarm descriptions are built from
 * this object and the README "Operate" section is rendered from it (tools/render-defaults.ts).
 * `{name}`, `{threshold}` and `{retention}` are filled in per alarm.
 */
export interface AlarmEntry {
  readonly title: string;
  readonly meaning: string;
  readonly firstAction: string;
}

export const ALARM_CATALOGUE = {
  jobDlqNotEmpty: {
    title: 'Job DLQ not empty',
    meaning: 'At least one job failed {threshold} receives and was moved to the dead-letter queue; nothing retries it.',
    firstAction:
      'Read the DLQ messages and the job-worker logs for their job ids, fix the cause, then move them back with the redrive tool.',
  },
  jobQueueOldestMessageAge: {
    title: 'Jobs waiting too long',
    meaning: 'The oldest job has waited more than {threshold}: the worker is failing repeatedly, throttled, disabled or outpaced.',
    firstAction:
      "Check the job-worker Errors and Throttles alarms and its event source mapping state; if it is healthy traffic, raise the worker's maxConcurrency.",
  },
  workerErrors: {
    title: 'Job worker invocation errors',
    meaning: 'A job-worker invocation failed as a whole (crash or timeout), so its entire batch returns to the queue.',
    firstAction:
      "Open the job-worker log group at the alarm time, find the error or 'Task timed out' line, and fix the handler or raise its timeout together with the queue visibility timeout.",
  },
  workerThrottles: {
    title: 'Job worker throttled',
    meaning: 'Lambda throttled the job worker (account or reserved concurrency exhausted); jobs wait in the queue.',
    firstAction:
      'Check account-level ConcurrentExecutions and which functions use it; lower the worker maxConcurrency or request a concurrency increase.',
  },
  consumerIteratorAge: {
    title: 'Consumer {name} falling behind',
    meaning:
      'Consumer {name} is processing events older than {threshold}: it is stuck on a record, throttled or outpaced; events it has not read within the stream retention ({retention}) expire unread (the archive keeps them).',
    firstAction:
      'Check the {name} Errors and Throttles alarms and its log group for a record being retried or a slow dependency; if the load is genuine, raise its batch size or give it enhanced fan-out.',
  },
  consumerErrors: {
    title: 'Consumer {name} invocation errors',
    meaning:
      'An invocation of consumer {name} failed as a whole; Lambda bisects and retries the batch, then sends what still fails to the failure bucket.',
    firstAction: 'Read the {name} log group at the alarm time; after the fix, redrive the batches it left in the failure bucket.',
  },
  consumerFailedRecords: {
    title: 'Consumer {name} gave up on records',
    meaning:
      'Lambda sent records of consumer {name} to the failure bucket after its retries: they stay unprocessed by {name} until redriven (the stream equivalent of a job DLQ that is not empty).',
    firstAction:
      'Count them (npm run redrive -- events --consumer {name} --dry-run), read the reason in the {name} log group at the alarm time, fix it, then redrive them: the same command without --dry-run.',
  },
  consumerDroppedRecords: {
    title: 'Consumer {name} dropped records',
    meaning:
      'Lambda gave up on records of consumer {name} and could not write them to the failure bucket either: {name} lost them; only the archive still has them.',
    firstAction:
      "Check the {name} function's DestinationDeliveryFailures metric, its role's s3:PutObject on the failure bucket and the bucket policy; after the fix, replay the alarm window from the archive to {name} alone (npm run replay -- --target consumer:{name}, with --from and --to around the alarm).",
  },
  consumerThrottles: {
    title: 'Consumer {name} throttled',
    meaning:
      'Lambda throttled consumer {name} (account or reserved concurrency exhausted); its shards wait, retrying, and its iterator age grows.',
    firstAction:
      'Check account-level ConcurrentExecutions and which functions use it; a stream consumer needs one execution per shard × parallelization factor: reserve that, or request a concurrency increase.',
  },
  streamWriteThrottled: {
    title: 'Event stream write throttled',
    meaning:
      'Producers exceeded a shard write limit (1 MB/s or 1,000 records/s) for {threshold}; rejected PutRecords entries are retried or fail.',
    firstAction:
      'Look at IncomingBytes/IncomingRecords and partition-key skew; add shards (provisioned) or switch the stream to on-demand.',
  },
  streamReadThrottled: {
    title: 'Event stream read throttled',
    meaning: 'Readers exceeded a shard read limit (5 reads/s or 2 MB/s shared) for {threshold}; consumers and the archive fall behind.',
    firstAction:
      'Count the shared-throughput readers (consumers + Firehose); move the busiest consumer to enhanced fan-out or raise batching windows.',
  },
  archiveDataFreshness: {
    title: 'Archive delivery delayed',
    meaning:
      'Firehose has held the oldest event for more than {threshold} without delivering it to S3; the archive and replays miss recent events.',
    firstAction:
      "Open the delivery stream's log group for S3 delivery errors and check the archive bucket and role permissions; undeliverable records land under errors/.",
  },
} as const satisfies Record<string, AlarmEntry>;

export type AlarmKey = keyof typeof ALARM_CATALOGUE;

/** `text` with each `{name}` placeholder that `vars` has replaced by its value; the others are left as they are. */
export function fillPlaceholders(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\{(\w+)\}/g, (m, v: string) => vars[v] ?? m);
}

/** `meaning First action: …`, placeholders filled; used as the CloudWatch alarm description. */
export function alarmDescription(key: AlarmKey, vars: Readonly<Record<string, string>> = {}): string {
  const entry: AlarmEntry = ALARM_CATALOGUE[key];
  return `${fillPlaceholders(entry.meaning, vars)} First action: ${fillPlaceholders(entry.firstAction, vars)}`;
}
