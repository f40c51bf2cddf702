// One batch of a Kinesis mapping's shard, run to its end (kinesis-poller.ts has the rules it follows): the
// invocation and its batch response, retries with backoff, bisection, the record age, and the records that
// go to the on-failure destination (or are discarded).
import type { KinesisStreamRecord } from 'aws-lambda';
import type { InvocationReport } from '../types';
import { parseBatchResponse, recordId } from './batch-response';
import type { InvokeResult } from './function-host';
import type { KinesisPoller } from './kinesis-poller';
import type { Entry } from './kinesis-shard-reader';
import { sendToOnFailure, type DiscardCondition } from './on-failure';

/** Lambda does not document its stream retry backoff: exponential from 1 s, capped at 30 s (template time). */
const defaultBackoff = (retry: number): number => Math.min(30, 2 ** (retry - 1));
export class KinesisBatch {
  constructor(
    private readonly p: KinesisPoller,
    readonly shardId: string,
    /** marks entries done in the shard's buffer (the checkpoint moves past them) */
    private readonly markDone: (entries: readonly Entry[]) => void,
  ) {}

  private toLambda(e: Entry): KinesisStreamRecord {
    const { mapping, endpoints } = this.p.o;
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: e.record.PartitionKey ?? '',
        sequenceNumber: e.record.SequenceNumber!,
        data: Buffer.from(e.record.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: e.arrivalMs / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${this.shardId}:${e.record.SequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${endpoints.accountId}:role/${this.p.o.host.fn.name}-role`,
      awsRegion: endpoints.region,
      eventSourceARN: mapping.stream.arn,
    };
  }

  private ids(entries: Entry[]): string[] {
    return entries.map((e) => recordId(Buffer.from(e.record.Data ?? new Uint8Array()).toString('utf8'), e.record.SequenceNumber!));
  }

  /** Runs one batch to its end: every entry is done afterwards (succeeded, sent on, or discarded). */
  async run(batch: Entry[]): Promise<void> {
    const { mapping, clock } = this.p.o;
    const signal = this.p.signal;
    const maxRetries = mapping.maximumRetryAttempts;
    // -1 (Lambda's default, and the template's): a record never expires here, however late it is read. A finite
    // age applies at every read, the first one included, as on AWS: a backlog older than it goes straight to the
    // on-failure destination.
    const maxAgeMs = mapping.maximumRecordAgeInSeconds < 0 ? Infinity : clock.scaledMs(mapping.maximumRecordAgeInSeconds);
    // work items run in order: bisected halves go to the front, first half first
    const work: Array<{ entries: Entry[]; retries: number; invokes: number; lastRequestId?: string; lastError?: string }> = [
      { entries: batch, retries: 0, invokes: 0 },
    ];
    while (work.length > 0) {
      if (signal.aborted) return;
      const item = work[0]!;
      // records older than MaximumRecordAgeInSeconds (scaled) are discarded before any further attempt
      const now = Date.now();
      const expired = item.entries.filter((e) => now - e.arrivalMs > maxAgeMs);
      if (expired.length > 0) {
        await this.discard(expired, 'RecordAgeExceeded', item.invokes, item.lastRequestId, item.lastError);
        item.entries = item.entries.filter((e) => !expired.includes(e));
      }
      if (item.entries.length === 0) {
        work.shift();
        continue;
      }
      if (item.invokes > 0) {
        await clock.sleep(clock.scaledMs((this.p.o.retryBackoffSeconds ?? defaultBackoff)(item.retries)), signal);
        await this.p.waitWhilePaused();
        if (signal.aborted) return;
      }
      const outcome = await this.invoke(item.entries);
      if (!outcome) return; // stopping
      item.invokes++;
      item.lastRequestId = outcome.requestId;
      if (outcome.kind === 'ok') {
        this.succeed(item.entries);
        work.shift();
        continue;
      }
      if (outcome.kind === 'partial') {
        // everything before the lowest reported sequence number is checkpointed; retry from there
        const lowest = item.entries.findIndex((e) => outcome.failedSeqs.has(e.record.SequenceNumber!));
        this.succeed(item.entries.slice(0, lowest));
        item.entries = item.entries.slice(lowest);
        // the function returned (a partial batch response): no function error (null in the on-failure record)
        item.lastError = undefined;
      } else {
        // threw, timed out or crashed: "Unhandled"; returned an invalid batch response: no function error
        item.lastError = outcome.returned ? undefined : 'Unhandled';
        if (mapping.bisectBatchOnFunctionError && item.entries.length > 1) {
          // splitting does not consume the retry quota: halves inherit the count
          const mid = Math.ceil(item.entries.length / 2);
          work.splice(0, 1, { ...item, entries: item.entries.slice(0, mid) }, { ...item, entries: item.entries.slice(mid) });
          continue;
        }
      }
      item.retries++;
      if (maxRetries >= 0 && item.retries > maxRetries) {
        await this.discard(item.entries, 'RetryAttemptsExhausted', item.invokes, item.lastRequestId, item.lastError);
        work.shift();
      }
    }
  }

  private succeed(entries: Entry[]): void {
    this.markDone(entries);
    this.p.counters.recordsOk += entries.length;
  }

  private async discard(
    entries: Entry[],
    condition: DiscardCondition,
    invokeCount: number,
    lastRequestId?: string,
    functionError?: string,
  ): Promise<void> {
    const { mapping, host, destinations } = this.p.o;
    const where = await sendToOnFailure(
      mapping.onFailure,
      this.p.esmUuid,
      {
        functionArn: host.fn.arn,
        streamArn: mapping.stream.arn,
        shardId: this.shardId,
        records: entries.map((e) => this.toLambda(e)),
        condition,
        invokeCount,
        ...(lastRequestId ? { lastRequestId } : {}),
        ...(functionError ? { functionError } : {}),
      },
      destinations,
    );
    this.markDone(entries);
    if (where) this.p.counters.onFailureRecords += entries.length;
    else this.p.counters.discardedRecords += entries.length;
    host.logSink.write(
      host.fn.name,
      'runtime',
      `DISCARD ${entries.length} record(s) from ${this.shardId} (${condition}) -> ${where ?? 'dropped (no on-failure destination)'}`,
    );
  }

  private async invoke(
    entries: Entry[],
  ): Promise<
    | { kind: 'ok'; requestId: string }
    | { kind: 'partial'; requestId: string; failedSeqs: Set<string> }
    | { kind: 'failed'; requestId: string; returned?: true }
    | undefined
  > {
    const { mapping, host, onReport } = this.p.o;
    const records = entries.map((e) => this.toLambda(e));
    let result: InvokeResult;
    try {
      result = await host.invoke({ Records: records });
    } catch (err) {
      if (this.p.signal.aborted) return undefined;
      throw err;
    }
    if (this.p.signal.aborted && result.status === 'crash') return undefined; // killed by shutdown
    const ids = this.ids(entries);
    const report = (outcome: InvocationReport['outcome'], failed: Entry[], error?: string): void => {
      const failedSet = new Set(failed);
      onReport?.({
        functionName: host.fn.name,
        mappingLogicalId: mapping.logicalId,
        source: 'kinesis',
        recordIds: ids,
        failedIds: ids.filter((_, i) => failedSet.has(entries[i]!)),
        outcome,
        durationMs: result.durationMs,
        ...(error ? { error } : {}),
      });
    };
    if (result.status !== 'ok') {
      this.p.counters.recordsFailed += entries.length;
      report(result.status, entries, `${result.error.errorType}: ${result.error.errorMessage}`);
      return { kind: 'failed', requestId: result.requestId };
    }
    if (!mapping.reportBatchItemFailures) {
      report('ok', []);
      return { kind: 'ok', requestId: result.requestId };
    }
    const verdict = parseBatchResponse(result.result, new Set(entries.map((e) => e.record.SequenceNumber!)));
    if (verdict.kind === 'success') {
      report('ok', []);
      return { kind: 'ok', requestId: result.requestId };
    }
    if (verdict.kind === 'invalid') {
      this.p.counters.recordsFailed += entries.length;
      report('error', entries, `invalid batch response: ${verdict.reason}`);
      return { kind: 'failed', requestId: result.requestId, returned: true };
    }
    const failedSeqs = new Set(verdict.failedIds);
    const lowest = entries.findIndex((e) => failedSeqs.has(e.record.SequenceNumber!));
    const retried = entries.slice(lowest);
    this.p.counters.recordsFailed += retried.length;
    report('partial', retried);
    return { kind: 'partial', requestId: result.requestId, failedSeqs };
  }
}
