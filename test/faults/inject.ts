// Faults injected at the producer's client: a response lost after the service stored the batch, and per-entry
// throttling. Each wrapper counts what it did, per envelope id, so the scenario can check the producer's retries.
import { PutRecordsCommand, type PutRecordsCommandOutput, type PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { SendMessageBatchCommand, type BatchResultErrorEntry, type SendMessageBatchCommandOutput } from '@aws-sdk/client-sqs';
import type { PutRecordsSender } from '../../lambdas/shared/producers/publish-events';
import type { SendMessageBatchSender } from '../../lambdas/shared/producers/enqueue-jobs';

const idOf = (text: string): string => {
  try {
    return String((JSON.parse(text) as { id?: unknown }).id);
  } catch {
    return text;
  }
};

/** The error a client sees when the connection drops after the request was sent: retryable, not a client fault. */
function lostResponse(): Error {
  return Object.assign(new Error('simulated lost response: the service stored the batch, the reply never arrived'), {
    name: 'TimeoutError',
    $metadata: {},
  });
}

export class InjectionCounts {
  /** requests whose reply was dropped after the service stored them */
  lostResponses = 0;
  /** entries failed by the injector, per envelope id */
  readonly throttled = new Map<string, number>();
  /** entries actually sent to the service, per envelope id */
  readonly sent = new Map<string, number>();
  throttledTotal(): number {
    let n = 0;
    for (const v of this.throttled.values()) n += v;
    return n;
  }
}

const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);

/**
 * A client whose first reply per envelope (with probability `rate`) is lost after the service stored the
 * request: the call throws a retryable error, so the producer sends the same entries again.
 */
function losingFirstReplies<C, O>(
  real: { send(command: C): Promise<O> },
  idsOf: (command: C) => string[],
  rate: number,
  rand: () => number,
  counts: InjectionCounts,
): { send(command: C): Promise<O> } {
  const dropped = new Set<string>();
  return {
    async send(command) {
      const ids = idsOf(command);
      for (const id of ids) bump(counts.sent, id);
      const out = await real.send(command);
      if (ids.every((id) => !dropped.has(id)) && rand() < rate) {
        for (const id of ids) dropped.add(id);
        counts.lostResponses++;
        throw lostResponse();
      }
      return out;
    },
  };
}

/** SendMessageBatch whose first reply per job (with probability `rate`) is lost after the messages were stored. */
export const lostResponseSqs = (
  real: SendMessageBatchSender,
  rate: number,
  rand: () => number,
  counts: InjectionCounts,
): SendMessageBatchSender =>
  losingFirstReplies(
    real,
    (command: SendMessageBatchCommand) => (command.input.Entries ?? []).map((e) => idOf(e.MessageBody ?? '')),
    rate,
    rand,
    counts,
  );

/** PutRecords whose first reply per event (with probability `rate`) is lost after the records were stored. */
export const lostResponseKinesis = (real: PutRecordsSender, rate: number, rand: () => number, counts: InjectionCounts): PutRecordsSender =>
  losingFirstReplies(
    real,
    (command: PutRecordsCommand) =>
      (command.input.Records ?? []).map((r) => idOf(Buffer.from(r.Data ?? new Uint8Array()).toString('utf8'))),
    rate,
    rand,
    counts,
  );

/** SendMessageBatch where each entry fails with a throttling error (SenderFault false) with probability `rate`, unsent. */
export function throttlingSqs(
  real: SendMessageBatchSender,
  rate: number,
  rand: () => number,
  counts: InjectionCounts,
): SendMessageBatchSender {
  return {
    async send(command) {
      const entries = command.input.Entries ?? [];
      const failed: BatchResultErrorEntry[] = [];
      const passed = entries.filter((e) => {
        const id = idOf(e.MessageBody ?? '');
        if (rand() < rate) {
          bump(counts.throttled, id);
          failed.push({ Id: e.Id, Code: 'RequestThrottled', SenderFault: false, Message: 'Rate exceeded (simulated)' });
          return false;
        }
        bump(counts.sent, id);
        return true;
      });
      if (passed.length === 0) return { Successful: [], Failed: failed, $metadata: {} } as SendMessageBatchCommandOutput;
      const out = await real.send(new SendMessageBatchCommand({ ...command.input, Entries: passed }));
      return { ...out, Failed: [...(out.Failed ?? []), ...failed] };
    },
  };
}

/** PutRecords where each record fails with ProvisionedThroughputExceededException with probability `rate`, unsent. */
export function throttlingKinesis(real: PutRecordsSender, rate: number, rand: () => number, counts: InjectionCounts): PutRecordsSender {
  return {
    async send(command) {
      const records = command.input.Records ?? [];
      const verdict = records.map((r) => {
        const id = idOf(Buffer.from(r.Data ?? new Uint8Array()).toString('utf8'));
        const throttle = rand() < rate;
        bump(throttle ? counts.throttled : counts.sent, id);
        return throttle;
      });
      const passed = records.filter((_, i) => !verdict[i]);
      const sentOut: PutRecordsCommandOutput | undefined =
        passed.length > 0 ? await real.send(new PutRecordsCommand({ ...command.input, Records: passed })) : undefined;
      const results: PutRecordsResultEntry[] = [];
      let j = 0;
      let failedCount = sentOut?.FailedRecordCount ?? 0;
      for (let i = 0; i < records.length; i++) {
        if (verdict[i]) {
          failedCount++;
          results.push({ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard (simulated)' });
        } else results.push(sentOut!.Records![j++]!);
      }
      return { ...(sentOut ?? { $metadata: {} }), Records: results, FailedRecordCount: failedCount } as PutRecordsCommandOutput;
    },
  };
}
