/**
 * npm run redrive -- jobs [--max N] [--dry-run]        the jobs DLQ → the jobs queue
 * npm run redrive -- events --consumer <name> [--dry-run]  the failure bucket → that consumer only
 */
import { Command, Option } from 'commander';
import {
  addCommonOptions,
  addDeliveryOptions,
  deliveryOptionsOf,
  formatCounts,
  positiveInt,
  positiveNumber,
  progressFor,
  reportSummary,
  runWithEnvironment,
  type CommonFlags,
  type DeliveryFlags,
} from './cli-common';
import { LambdaConsumerInvoker } from './consumer-invoker';
import { TokenBucket } from './rate-limiter';
import { redriveEvents, redriveEventsLines } from './redrive-events';
import { redriveJobs, redriveJobsLines, SAMPLE_SIZE, type RedriveJobsSummary, type RedriveMode } from './redrive-jobs';

const program = new Command('redrive').description('Move dead-lettered work back: jobs from the DLQ, events from the failure bucket.');

interface JobsFlags extends CommonFlags {
  max?: number;
  dryRun?: boolean;
  rate?: number;
  mode: RedriveMode;
}

addCommonOptions(
  program
    .command('jobs')
    .description('Move messages from the jobs dead-letter queue back to the jobs queue (fix the cause first).')
    .option('--max <n>', 'move at most n messages (uses the receive-send-delete loop)', positiveInt('--max'))
    .option(
      '--dry-run',
      'peek: count the DLQ by job type and list the envelope ids to look up in the worker log, without consuming anything',
    )
    .option('--rate <messages/s>', 'cap the move rate', positiveNumber('--rate'))
    .addOption(
      new Option('--mode <mode>', 'auto: SQS message move task on AWS, receive-send-delete locally (or with --max)')
        .choices(['auto', 'move-task', 'loop'])
        .default('auto'),
    ),
).action((flags: JobsFlags) =>
  runWithEnvironment(flags, async (env, clients) => {
    const s = await redriveJobs({
      env,
      sqs: clients.sqs,
      ...(flags.max ? { max: flags.max } : {}),
      dryRun: flags.dryRun ?? false,
      ...(flags.rate ? { rate: flags.rate, limiter: new TokenBucket(flags.rate) } : {}),
      mode: flags.mode,
      progress: progressFor(flags),
    });
    return reportSummary(flags, s, () =>
      redriveJobsLines(s, env.label, {
        counts: formatCounts,
        ...(flags.max ? { max: flags.max } : {}),
        why: (sample) => whyLines(env.kind, sample),
      }),
    );
  }),
);

/**
 * SQS keeps no error with a dead-lettered message: the worker logged it (`job failed: …`) under the envelope id.
 * Name the ids and where to look, rather than pretend to know.
 */
function whyLines(kind: 'local' | 'aws', sample: RedriveJobsSummary['sample']): string[] {
  const first = sample.find((m) => m.envelopeId)?.envelopeId ?? '<envelope id>';
  return [
    `  why they failed: the worker's log line "job failed", by envelope id (SQS keeps no error with a message); ${
      kind === 'local'
        ? `e.g. grep ${first} .local/logs/job-worker.log`
        : `e.g. CloudWatch Logs Insights on the job-worker log group: filter envelopeId = "${first}"`
    }`,
    `  ${sample.length === SAMPLE_SIZE ? `first ${SAMPLE_SIZE}` : 'messages'} (envelope id · type · job key · sent):`,
    ...sample.map((m) => `    ${m.envelopeId ?? `(message ${m.messageId})`}  ${m.type}  ${m.jobKey ?? '-'}  ${m.sentAt ?? '-'}`),
  ];
}

interface EventsFlags extends CommonFlags, DeliveryFlags {
  consumer: string;
  dryRun?: boolean;
}

addCommonOptions(
  addDeliveryOptions(
    program
      .command('events')
      .description(
        'Re-deliver the batches a consumer discarded to the failure bucket, to that consumer only; done objects move to redriven/.',
      )
      .requiredOption('--consumer <name>', 'the consumer (its queue-and-stream:name tag), e.g. notifications')
      .option('--dry-run', 'list what would be re-delivered; invoke and move nothing'),
  ),
).action((flags: EventsFlags) =>
  runWithEnvironment(flags, async (env, clients) => {
    const s = await redriveEvents({
      env,
      s3: clients.s3,
      invoker: new LambdaConsumerInvoker(env, () => clients.lambda()),
      consumer: flags.consumer,
      dryRun: flags.dryRun ?? false,
      ...deliveryOptionsOf(flags),
      progress: progressFor(flags),
    });
    return reportSummary(flags, s, () => redriveEventsLines(s, env.label, formatCounts));
  }),
);

void program.parseAsync(process.argv);
