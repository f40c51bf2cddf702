import { Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisConsumerEventSource, KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EVENT_STREAM_DEFAULTS as D } from './event-stream-defaults';
import { tagFunction } from './function-tags';
import { S3FailureDestination } from './s3-failure-destination';

export interface EventStreamProps {
  readonly streamMode: kinesis.StreamMode;
  /** Required for PROVISIONED, ignored for ON_DEMAND. */
  readonly shardCount?: number;
  readonly retentionPeriod: Duration;
  readonly removalPolicy: RemovalPolicy;
  /** Where every consumer's discarded batches land (full payload). */
  readonly failureBucket: s3.IBucket;
}

export interface AddConsumerOptions {
  readonly startingPosition?: lambda.StartingPosition;
  /** With AT_TIMESTAMP (implied when set): where the mapping starts reading. */
  readonly startAt?: Date;
  readonly batchSize?: number;
  readonly maxBatchingWindow?: Duration;
  readonly parallelizationFactor?: number;
  readonly bisectBatchOnError?: boolean;
  readonly retryAttempts?: number;
  /** Must be shorter than the stream retention. */
  readonly maxRecordAge?: Duration;
  /** Register a dedicated stream consumer (SubscribeToShard, 2 MB/s per shard). */
  readonly enhancedFanOut?: boolean;
  /**
   * Lambda filter patterns over the record (`{ data: … }` for Kinesis): a record that matches none is
   * checkpointed without invoking the function. A record whose data is not JSON matches no data pattern.
   */
  readonly filterPatterns?: readonly object[];
}

/** What addConsumer made: the monitoring construct and tests use these handles. */
export interface EventConsumer {
  readonly name: string;
  readonly fn: lambda.Function;
  readonly eventSource: KinesisEventSource | KinesisConsumerEventSource;
  readonly maxRecordAge: Duration;
  readonly streamConsumer?: kinesis.StreamConsumer;
}

/** Domain events: a Kinesis stream; `addConsumer` gives each consumer function its own mapping and position. */
export class EventStream extends Construct {
  readonly stream: kinesis.Stream;
  readonly retentionPeriod: Duration;
  readonly failureBucket: s3.IBucket;
  private readonly _consumers: EventConsumer[] = [];

  constructor(scope: Construct, id: string, props: EventStreamProps) {
    super(scope, id);
    this.retentionPeriod = props.retentionPeriod;
    this.failureBucket = props.failureBucket;
    const provisioned = props.streamMode === kinesis.StreamMode.PROVISIONED;
    this.stream = new kinesis.Stream(this, 'Stream', {
      encryption: D.encryption.value,
      streamMode: props.streamMode,
      shardCount: provisioned ? props.shardCount : undefined,
      retentionPeriod: props.retentionPeriod,
      removalPolicy: props.removalPolicy,
    });
  }

  get consumers(): readonly EventConsumer[] {
    return this._consumers;
  }

  /**
   * Subscribe `fn` as the independent consumer `name`: its own event source mapping (created in fn's stack)
   * with finite retries, bisect, max record age and the failure bucket as on-failure destination.
   */
  addConsumer(name: string, fn: lambda.Function, options: AddConsumerOptions = {}): EventConsumer {
    if (this._consumers.some((c) => c.name === name)) {
      throw new Error(`EventStream ${this.node.path}: consumer "${name}" is already subscribed.`);
    }
    const maxRecordAge = options.maxRecordAge ?? D.maxRecordAge.value;
    if (maxRecordAge.toSeconds() >= this.retentionPeriod.toSeconds()) {
      throw new Error(
        `EventStream ${this.node.path}: consumer "${name}" maxRecordAge ${maxRecordAge.toHumanString()} is not shorter ` +
          `than the stream retention ${this.retentionPeriod.toHumanString()}, so a stuck record would expire before ` +
          'reaching the failure bucket. Lower maxRecordAge or raise the stream retention.',
      );
    }
    if (options.startAt && options.startingPosition && options.startingPosition !== lambda.StartingPosition.AT_TIMESTAMP) {
      throw new Error(`EventStream ${this.node.path}: consumer "${name}" has startAt but startingPosition ${options.startingPosition}; startAt means AT_TIMESTAMP`);
    }
    const props = {
      startingPosition: options.startAt ? lambda.StartingPosition.AT_TIMESTAMP : (options.startingPosition ?? D.startingPosition.value),
      ...(options.startAt ? { startingPositionTimestamp: Math.floor(options.startAt.getTime() / 1000) } : {}),
      batchSize: options.batchSize ?? D.batchSize.value,
      maxBatchingWindow: options.maxBatchingWindow ?? D.maxBatchingWindow.value,
      parallelizationFactor: options.parallelizationFactor ?? D.parallelizationFactor.value,
      bisectBatchOnError: options.bisectBatchOnError ?? D.bisectBatchOnError.value,
      retryAttempts: options.retryAttempts ?? D.retryAttempts.value,
      maxRecordAge,
      reportBatchItemFailures: D.reportBatchItemFailures.value,
      onFailure: new S3FailureDestination(this.failureBucket),
      ...(options.filterPatterns && options.filterPatterns.length > 0
        ? { filters: options.filterPatterns.map((p) => lambda.FilterCriteria.filter(p as Record<string, unknown>)) }
        : {}),
    };

    let streamConsumer: kinesis.StreamConsumer | undefined;
    let eventSource: KinesisEventSource | KinesisConsumerEventSource;
    if (options.enhancedFanOut ?? D.enhancedFanOut.value) {
      // Scoped to the function so the registration lives (and is deleted) with the compute stack.
      streamConsumer = new kinesis.StreamConsumer(fn, 'EnhancedFanOutConsumer', {
        stream: this.stream,
        streamConsumerName: Names.uniqueResourceName(fn, { maxLength: 128, separator: '-' }),
      });
      eventSource = new KinesisConsumerEventSource(streamConsumer, props);
    } else {
      eventSource = new KinesisEventSource(this.stream, props);
    }
    fn.addEventSource(eventSource);
    fn.addEnvironment('POWERTOOLS_SERVICE_NAME', name);
    tagFunction(fn, 'consumer', name);

    const consumer: EventConsumer = { name, fn, eventSource, maxRecordAge, streamConsumer };
    this._consumers.push(consumer);
    return consumer;
  }
}
