/**
 * What was found, and done or not, about each figure that can miss its target: printed under "Misses" in
 * BENCHMARKS.md next to any row that missed in the run. Written from the investigations of this harness's
 * author; the numbers quoted in the rows themselves are always the run's own.
 */
export interface MissAnalysis {
  readonly figure: string;
  readonly match: RegExp;
  readonly text: string;
}

export const MISS_ANALYSES: readonly MissAnalysis[] = [
  {
    figure: '1',
    match: /^(notifications|payments): import time/,
    text:
      'Why: these two consumers build an SQS client at init (lambdas/shared/clients/sqs.ts), so their import includes ' +
      '`require("@aws-sdk/client-sqs")` — the row "@aws-sdk/client-sqs alone" shows that this one require is most of the time; ' +
      'their own code imports as fast as job-worker and analytics (≈ 25–35 ms). Bundle sizes pass by far (≈ 83 KB vs the 582 KB anchor). ' +
      'Not fixed here (lambdas/** belongs to the runtime owner) and arguably not fixable: a lazy import moves the same cost into the first ' +
      'invocation; bundling the client is the anchor, slower; Node\'s compile cache needs a writable, persistent directory Lambda does not give. ' +
      'On Lambda the runtime loads its SDK from /var/runtime on faster cores than this loaded 2-core machine. NODE_OPTIONS=--enable-source-maps ' +
      'adds a few ms (the "without source maps" figure in the notes).',
  },
  {
    figure: '2',
    match: /^enqueueJobs/,
    text:
      'SendMessageBatch carries at most 10 entries, so the ceiling is 10× fewer requests; each larger request costs fauxqs more, and the ' +
      'ratio swings between ≈ 3.5× and ≈ 6.5× run to run on this shared machine. enqueueJobs sends its chunks one after another; ' +
      'sending chunks concurrently (a change to lambdas/shared/producers/enqueue-jobs.ts, not made here) would raise it.',
  },
  {
    figure: '3',
    match: /telemetry silenced: overhead/,
    text:
      'Attribution measured in isolation (µs per record): StopOnFirstFailureProcessor.processRecord ≈ 2.1 (plain BatchProcessor ≈ 1.0), ' +
      'three BatchCounters.add calls ≈ 1.5 (each sorts and JSON-stringifies its dimensions), a silenced logger call ≈ 0.4, plus the log ' +
      'context objects built before the level check. In quiet runs the overhead is ≈ 6–8 µs; under load from parallel work it exceeds 10. ' +
      'Left to the runtime owner: caching the dimension key in BatchCounters and building log objects only when the level is enabled.',
  },
  {
    figure: '4',
    match: /^events end to end \(/,
    text:
      'Where the time goes (CPU profiles of the bench process and of the function processes, HTTP timings per operation, CPU per component in ' +
      'the rows above): the pipeline runs at the bound of one batch in flight per shard — shards × 100 ÷ the invocation time of the slowest ' +
      'consumer (the "bound" row; it matches the measured rate). analytics finishes a 100-record batch in ≈ 50 ms; notifications and payments ' +
      'take 1.5–2 s (before DynamoDB idempotency) because each event costs a sequential SendMessageBatch round trip (per-event all-or-nothing ' +
      'enqueue, lambdas/shared/job-enqueuer.ts), and with idempotency each record adds a PutItem and an UpdateItem to dynalite. Those ' +
      'functions are ≈ 75–80 % idle: they wait on emulators that all run on the one event loop of the local cloud process (fauxqs, kinesalite, ' +
      'dynalite, the pollers, the Firehose stand-in), where dynalite answers PutItem / UpdateItem in 25–40 ms (p50) under load. The raw ' +
      'baseline reads each event once with nothing else running; the pipeline reads it four times and runs three handlers, so ≥ 50 % of ' +
      'raw is out of reach by construction — the fair baseline row (publish + read) is the closer yardstick. Fixed in the local Lambda ' +
      'service (measured on the tree without idempotency, interleaved): per-line log file writes batched per event-loop turn, an O(1) ' +
      'buffer count and bulk trim in the Kinesis reader, GetRecords sized to the buffer\'s room, and the SQS batching window no longer ' +
      're-polling per message (≈ 2,400 → ≈ 800 ReceiveMessage per 2,000 events); CPU of the local cloud process ≈ 4.0 → ≈ 3.4 ms per ' +
      'event, latency p50 ≈ 11 → ≈ 7.5 s, throughput within noise (it is set by the enqueuing consumers\' round trips). Levers left to ' +
      'their owners: batching the enqueue per invocation (order and per-record failure kept by enqueuing in order and reporting the first ' +
      'failed record), and running dynalite/kinesalite off the Lambda service\'s event loop (a worker thread or child process).',
  },
  {
    figure: '4',
    match: /^jobs end to end \(/,
    text:
      'The raw loop only drains a queue filled beforehand; the end-to-end clock starts before enqueueJobs, so it pays the enqueue (≈ 40 % of ' +
      'the raw loop\'s time) plus a receive, an invocation round trip to the worker\'s process and a DeleteMessageBatch per batch of 10. ' +
      'Against the fair baseline (enqueue + drain, same emulator) the pipeline reaches ≈ 85–95 % before idempotency; with idempotency ' +
      'each job adds two dynalite round trips (see the events row).',
  },
];
