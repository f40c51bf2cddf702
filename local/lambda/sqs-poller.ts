import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { Clock, InvocationReport, LocalEndpoints, LocalSqsMapping } from '../types';
import { parseBatchResponse, recordId } from './batch-response';
import { compileFilterCriteria, sqsFilterView } from './event-filter';
import type { FunctionHost, InvokeResult } from './function-host';

// Lambda's SQS event source mapping, per https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html:
// several pollers long-poll the queue, gather up to BatchSize or until MaximumBatchingWindowInSeconds, invoke,
// and delete only what succeeded; failures reappear after the visibility timeout and the queue's redrive
// policy (enforced by the emulator) moves them to the DLQ after maxReceiveCount receives.

export interface SqsPollerOptions {
  mapping: LocalSqsMapping;
  host: FunctionHost;
  client: SQSClient;
  clock: Clock;
  endpoints: LocalEndpoints;
  /** concurrent pollers; default min(5, maximumConcurrency ?? 5) */
  pollers?: number;
  onReport?: (report: InvocationReport) => void;
  /** errors the poller survives (emulator hiccups); default: ignored */
  onError?: (err: unknown) => void;
}

const DEFAULT_SQS_POLLERS = 5;
const LONG_POLL_SECONDS = 20;
/** real ms between receives while a batching window gathers a partial batch */
const GATHER_PAUSE_MS = 100;

function sqsPollerCount(mapping: LocalSqsMapping, requested?: number): number {
  const want = requested ?? DEFAULT_SQS_POLLERS;
  return Math.max(1, Math.min(want, mapping.maximumConcurrency ?? want));
}

export class SqsPoller {
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private paused = false;
  private resumeWaiters: Array<() => void> = [];
  private readonly matches: (r: Record<string, unknown>) => boolean;
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly pollerCount: number;

  constructor(private readonly o: SqsPollerOptions) {
    this.matches = compileFilterCriteria(o.mapping.filterCriteria);
    this.pollerCount = sqsPollerCount(o.mapping, o.pollers);
  }

  get mappingId(): string {
    return this.o.mapping.logicalId;
  }

  start(): void {
    for (let i = 0; i < this.pollerCount; i++) this.loops.push(this.loop());
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const w of this.resumeWaiters.splice(0)) w();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.resume();
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(this.loops);
  }

  /** template visibility timeout scaled by the clock, so a poison message cycles at the scaled pace */
  private visibility(): { receiveSeconds?: number; scaledMs: number } {
    const { clock, mapping } = this.o;
    const scaledMs = clock.scaledMs(mapping.queue.visibilityTimeoutSeconds);
    if (clock.timeScale === 1) return { scaledMs };
    // the API takes whole seconds: round up, and release sub-second visibilities early after a failure
    return { receiveSeconds: Math.max(1, Math.ceil(scaledMs / 1000)), scaledMs };
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (this.paused) {
        await new Promise<void>((r) => this.resumeWaiters.push(r));
        continue;
      }
      try {
        await this.pollOnce(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.o.onError?.(err);
        await this.o.clock.sleep(500, signal); // emulator hiccup: back off, keep polling
      }
    }
  }

  private async receive(max: number, waitSeconds: number, signal: AbortSignal): Promise<{ messages: Message[]; at: number }> {
    const { client, mapping } = this.o;
    const vis = this.visibility();
    const out = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: mapping.queue.url,
        MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: vis.receiveSeconds,
        MessageSystemAttributeNames: ['All'],
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: signal },
    );
    return { messages: out.Messages ?? [], at: Date.now() };
  }

  private async pollOnce(signal: AbortSignal): Promise<void> {
    const { mapping, clock } = this.o;
    const first = await this.receive(mapping.batchSize, LONG_POLL_SECONDS, signal);
    if (first.messages.length === 0) return;
    const received: Array<{ message: Message; at: number }> = first.messages.map((m) => ({ message: m, at: first.at }));
    // batching window: keep gathering until BatchSize or the (scaled) window ends
    const windowMs = clock.scaledMs(mapping.maximumBatchingWindowSeconds);
    const deadline = Date.now() + windowMs;
    while (received.length < mapping.batchSize && Date.now() < deadline && !signal.aborted) {
      // a long poll returns on the first message: under a trickle, pause so messages gather in the queue
      // instead of one ReceiveMessage per message (the batch still leaves when full or at the deadline)
      await clock.sleep(Math.min(GATHER_PAUSE_MS, Math.max(0, deadline - Date.now())), signal);
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0 || signal.aborted) break;
      const more = await this.receive(
        mapping.batchSize - received.length,
        Math.min(LONG_POLL_SECONDS, Math.floor(remainingMs / 1000)),
        signal,
      );
      for (const m of more.messages) received.push({ message: m, at: more.at });
    }
    await this.process(received);
  }

  private toRecord(m: Message): SQSRecord {
    const { mapping, endpoints } = this.o;
    const attrs = (m.Attributes ?? {}) as Record<string, string>;
    return {
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? '1',
        SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
        SenderId: attrs.SenderId ?? endpoints.accountId,
        ApproximateFirstReceiveTimestamp: attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        ...(attrs.AWSTraceHeader ? { AWSTraceHeader: attrs.AWSTraceHeader } : {}),
        ...(attrs.MessageGroupId ? { MessageGroupId: attrs.MessageGroupId } : {}),
        ...(attrs.MessageDeduplicationId ? { MessageDeduplicationId: attrs.MessageDeduplicationId } : {}),
        ...(attrs.SequenceNumber ? { SequenceNumber: attrs.SequenceNumber } : {}),
      },
      messageAttributes: lambdaMessageAttributes(m.MessageAttributes),
      md5OfBody: m.MD5OfBody ?? '',
      ...(m.MD5OfMessageAttributes ? { md5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
      eventSource: 'aws:sqs',
      eventSourceARN: mapping.queue.arn,
      awsRegion: endpoints.region,
    } as SQSRecord;
  }

  private async process(received: Array<{ message: Message; at: number }>): Promise<void> {
    const { mapping, host } = this.o;
    const all = received.map((r) => ({ record: this.toRecord(r.message), at: r.at }));
    // messages that do not match the filter criteria are deleted without an invocation (as Lambda does for SQS)
    const kept = all.filter((r) => this.matches(sqsFilterView(r.record as unknown as Record<string, unknown>)));
    const dropped = all.filter((r) => !kept.includes(r));
    if (dropped.length > 0) await this.delete(dropped.map((r) => r.record));
    if (kept.length === 0) return;

    const records = kept.map((r) => r.record);
    const ids = new Map(records.map((r) => [r.messageId, recordId(r.body, r.messageId)]));
    let result: InvokeResult;
    try {
      result = await host.invoke({ Records: records });
    } catch (err) {
      // the host is stopping: leave the messages to their visibility timeout
      if (!this.abort.signal.aborted) this.o.onError?.(err);
      return;
    }
    if (this.abort.signal.aborted && result.status === 'crash') return; // killed by shutdown
    let failed: SQSRecord[];
    let outcome: InvocationReport['outcome'];
    let error: string | undefined;
    if (result.status !== 'ok') {
      failed = records;
      outcome = result.status;
      error = `${result.error.errorType}: ${result.error.errorMessage}`;
    } else if (!mapping.reportBatchItemFailures) {
      failed = [];
      outcome = 'ok';
    } else {
      const verdict = parseBatchResponse(result.result, new Set(ids.keys()));
      if (verdict.kind === 'success') {
        failed = [];
        outcome = 'ok';
      } else if (verdict.kind === 'partial') {
        const failedSet = new Set(verdict.failedIds);
        failed = records.filter((r) => failedSet.has(r.messageId));
        outcome = 'partial';
      } else {
        failed = records;
        outcome = 'error';
        error = `invalid batch response: ${verdict.reason}`;
      }
    }
    const succeeded = records.filter((r) => !failed.includes(r));
    if (succeeded.length > 0) await this.delete(succeeded);
    if (failed.length > 0) this.releaseEarly(kept.filter((r) => failed.includes(r.record)));

    this.o.onReport?.({
      functionName: host.fn.name,
      mappingLogicalId: mapping.logicalId,
      source: 'sqs',
      recordIds: records.map((r) => ids.get(r.messageId)!),
      failedIds: failed.map((r) => ids.get(r.messageId)!),
      outcome,
      durationMs: result.durationMs,
      ...(error ? { error } : {}),
    });
  }

  /** with a sub-second scaled visibility the API's whole seconds are too long: make failures visible on time */
  private releaseEarly(failed: Array<{ record: SQSRecord; at: number }>): void {
    const vis = this.visibility();
    if (vis.receiveSeconds === undefined || vis.scaledMs >= vis.receiveSeconds * 1000) return;
    for (const f of failed) {
      const delay = Math.max(0, f.at + vis.scaledMs - Date.now());
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.o.client
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: this.o.mapping.queue.url,
              ReceiptHandle: f.record.receiptHandle,
              VisibilityTimeout: 0,
            }),
          )
          .catch((err: unknown) => this.o.onError?.(err));
      }, delay);
      this.timers.add(timer);
    }
  }

  private async delete(records: SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 10) {
      const chunk = records.slice(i, i + 10);
      await this.o.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.o.mapping.queue.url,
          Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
  }
}

/** SQS message attributes in the shape Lambda puts in an SQS event record. */
function lambdaMessageAttributes(attrs: Record<string, MessageAttributeValue> | undefined): SQSRecord['messageAttributes'] {
  const out: SQSRecord['messageAttributes'] = {};
  for (const [name, v] of Object.entries(attrs ?? {})) {
    out[name] = {
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') } : {}),
      stringListValues: v.StringListValues ?? [],
      binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      dataType: v.DataType ?? 'String',
    };
  }
  return out;
}
