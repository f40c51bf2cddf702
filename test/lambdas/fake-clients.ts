/** Hand-written fakes of the two SDK calls the producers make; each records every request. */
import type { PutRecordsCommand, PutRecordsCommandInput, PutRecordsCommandOutput, PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import type {
  SendMessageBatchCommand,
  SendMessageBatchCommandInput,
  SendMessageBatchCommandOutput,
  SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';

const metadata = { httpStatusCode: 200 };

/** Decides one record's fate: undefined = accepted; a string = that ErrorCode. */
export type RecordRule = (record: { partitionKey: string; id: string; call: number; attempt: number }) => string | undefined;

export class FakeKinesis {
  readonly requests: PutRecordsCommandInput[] = [];
  /** What the stream holds, in arrival order (request order within a request). */
  readonly stream: Array<{ partitionKey: string; id: string; sequenceNumber: string }> = [];
  /** Per request: throw this instead of answering (call number is 1-based). */
  throwOn: (call: number) => Error | undefined = () => undefined;
  readonly #attempts = new Map<string, number>();
  #sequence = 0;

  constructor(private readonly rule: RecordRule = () => undefined) {}

  async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
    const input = command.input;
    this.requests.push(input);
    const call = this.requests.length;
    const thrown = this.throwOn(call);
    if (thrown) throw thrown;
    let failed = 0;
    const Records: PutRecordsResultEntry[] = (input.Records ?? []).map((record) => {
      const id = (JSON.parse(Buffer.from(record.Data!).toString('utf8')) as { id: string }).id;
      const attempt = (this.#attempts.get(id) ?? 0) + 1;
      this.#attempts.set(id, attempt);
      const code = this.rule({ partitionKey: record.PartitionKey!, id, call, attempt });
      if (code !== undefined) {
        failed += 1;
        return { ErrorCode: code, ErrorMessage: `${code} for ${id}` };
      }
      const sequenceNumber = String(++this.#sequence).padStart(20, '0');
      this.stream.push({ partitionKey: record.PartitionKey!, id, sequenceNumber });
      return { ShardId: 'shardId-000000000000', SequenceNumber: sequenceNumber };
    });
    return { FailedRecordCount: failed, Records, $metadata: metadata };
  }
}

/** Decides one entry's fate: undefined = accepted; otherwise the BatchResultErrorEntry fields. */
export type EntryRule = (entry: { id: string; call: number; attempt: number }) => { Code: string; SenderFault: boolean } | undefined;

export class FakeSqs {
  readonly requests: SendMessageBatchCommandInput[] = [];
  readonly queue: SendMessageBatchRequestEntry[] = [];
  throwOn: (call: number) => Error | undefined = () => undefined;
  /** Awaited before answering each request (to observe concurrency). */
  delay: () => Promise<void> = async () => undefined;
  readonly #attempts = new Map<string, number>();

  constructor(public rule: EntryRule = () => undefined) {}

  async send(command: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput> {
    const input = command.input;
    this.requests.push(input);
    const call = this.requests.length;
    await this.delay();
    const thrown = this.throwOn(call);
    if (thrown) throw thrown;
    const output: SendMessageBatchCommandOutput = { Successful: [], Failed: [], $metadata: metadata };
    for (const entry of input.Entries ?? []) {
      const id = (JSON.parse(entry.MessageBody!) as { id: string }).id;
      const attempt = (this.#attempts.get(id) ?? 0) + 1;
      this.#attempts.set(id, attempt);
      const error = this.rule({ id, call, attempt });
      if (error) {
        output.Failed!.push({ Id: entry.Id, ...error, Message: `${error.Code} for ${id}` });
      } else {
        this.queue.push(entry);
        output.Successful!.push({ Id: entry.Id, MessageId: `m-${this.queue.length}`, MD5OfMessageBody: 'x' });
      }
    }
    return output;
  }

  reset(rule: EntryRule = () => undefined): void {
    this.requests.length = 0;
    this.queue.length = 0;
    this.#attempts.clear();
    this.rule = rule;
    this.throwOn = () => undefined;
    this.delay = async () => undefined;
  }

  /** The job envelopes accepted so far. */
  jobs(): Array<Record<string, unknown>> {
    return this.queue.map((entry) => JSON.parse(entry.MessageBody!) as Record<string, unknown>);
  }
}

/** An SDK-like error: `$fault` 'client' is not retried by the producers, anything else is. */
export function sdkError(name: string, fault: 'client' | 'server' | undefined): Error {
  return Object.assign(new Error(`${name} (simulated)`), { name, ...(fault ? { $fault: fault } : {}) });
}
