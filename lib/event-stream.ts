import { type Duration, Names, type RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisConsumerEventSource, KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EVENT_STREAM_DEFAULTS as D, INFINITE_RECORD_AGE_SECONDS, type MaxRecordAge } from './event-stream-defaults';
import { tagFunction } from './function-tags';
import { pollingReaderView } from './narrow-grants';
import { FUNCTION_ENV } from './contract';

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
  /**
   * TRIM_HORIZON (default) or LATEST. There is deliberately no AT_TIMESTAMP: changing a mapping's starting
   * position replaces the mapping, CloudFormation creates the new one before deleting the old one, and Lambda
   * refuses a second mapping for the same function and stream (ResourceConflictException, aws/aws-cdk#6942).
   * Re-reading from a point in time is an operator tool (`npm run rewind`), not a deploy.
   */
  readonly startingPosition?: lambda.StartingPosition.TRIM_HORIZON | lambda.StartingPosition.LATEST;
  readonly batchSize?: number;
  readonly maxBatchingWindow?: Duration;
  readonly parallelizationFactor?: number;
  readonly bisectBatchOnError?: boolean;
  /** -1 = until the record expires; refused together with an infinite maxRecordAge. */
  readonly retryAttempts?: number;
  /** 'infinite' (default) or a Duration shorter than the stream retention. */
  readonly maxRecordAge?: MaxRecordAge;
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
  /** Its event source mapping (the EventSourceMappingUUID dimension of its EventCount metrics is its Ref). */
  readonly mapping: lambda.EventSourceMapping;
  readonly maxRecordAge: MaxRecordAge;
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
   * The stream as a shared-throughput reader sees it: its grantRead() grants only what polling needs (no
   * enhanced fan-out actions). For readers outside this construct, such as the archive's Firehose source.
   */
  get pollingReader(): kinesis.IStream {
    return pollingReaderView(this.stream);
  }

  /**
   * Subscribe `fn` as the independent consumer `name`: its own event source mapping (created in fn's stack)
   * with finite retries, bisect, no record age, EventCount metrics and the failure bucket as on-failure
   * destination; read permissions for polling only, plus the registered consumer's with enhanced fan-out.
   * `name` becomes fn's POWERTOOLS_SERVICE_NAME and its name tag.
   */
  addConsumer(name: string, fn: lambda.Function, options: AddConsumerOptions = {}): EventConsumer {
    const where = `EventStream ${this.node.path}: consumer "${name}"`;
    if (this._consumers.some((c) => c.name === name)) {
      throw new Error(`${where} is already subscribed.`);
    }
    const startingPosition = options.startingPosition ?? D.startingPosition.value;
    if (![lambda.StartingPosition.TRIM_HORIZON, lambda.StartingPosition.LATEST].includes(startingPosition)) {
      throw new Error(
        `${where}: startingPosition ${String(startingPosition)} is not supported: a mapping's starting position cannot change ` +
          'without replacing it, and the replacement fails (one mapping per function and stream). Use TRIM_HORIZON or LATEST, ' +
          'and the rewind tool to re-read from a point in time.',
      );
    }
    const maxRecordAge = options.maxRecordAge ?? D.maxRecordAge.value;
    const retryAttempts = options.retryAttempts ?? D.retryAttempts.value;
    if (maxRecordAge !== 'infinite' && maxRecordAge.toSeconds() >= this.retentionPeriod.toSeconds()) {
      throw new Error(
        `${where} maxRecordAge ${maxRecordAge.toHumanString()} is not shorter ` +
          `than the stream retention ${this.retentionPeriod.toHumanString()}, so a stuck record would expire before ` +
          'reaching the failure bucket. Lower maxRecordAge or raise the stream retention.',
      );
    }
    if (maxRecordAge === 'infinite' && retryAttempts < 0) {
      throw new Error(
        `${where} has infinite retries and no maxRecordAge: a poison record would hold its shard until the stream ` +
          `retention (${this.retentionPeriod.toHumanString()}) expires it and every record behind it. Set finite retryAttempts.`,
      );
    }
    const props = {
      startingPosition,
      batchSize: options.batchSize ?? D.batchSize.value,
      maxBatchingWindow: options.maxBatchingWindow ?? D.maxBatchingWindow.value,
      parallelizationFactor: options.parallelizationFactor ?? D.parallelizationFactor.value,
      bisectBatchOnError: options.bisectBatchOnError ?? D.bisectBatchOnError.value,
      retryAttempts,
      // The L2 accepts 60 s … 7 days only; 'infinite' is written as INFINITE_RECORD_AGE_SECONDS on the mapping below.
      ...(maxRecordAge === 'infinite' ? {} : { maxRecordAge }),
      reportBatchItemFailures: D.reportBatchItemFailures.value,
      onFailure: new D.onFailure.value(this.failureBucket),
      metricsConfig: { metrics: [...D.metrics.value] },
      ...(options.filterPatterns && options.filterPatterns.length > 0
        ? { filters: options.filterPatterns.map((p) => lambda.FilterCriteria.filter(p as Record<string, unknown>)) }
        : {}),
    };

    // The event sources grant through the stream (and the registered consumer): give them the polling view.
    const stream = this.pollingReader;
    let streamConsumer: kinesis.StreamConsumer | undefined;
    let eventSource: KinesisEventSource | KinesisConsumerEventSource;
    if (options.enhancedFanOut ?? D.enhancedFanOut.value) {
      // Scoped to the function so the registration lives (and is deleted) with the compute stack. Its
      // grantRead adds kinesis:SubscribeToShard and kinesis:DescribeStreamConsumer on this consumer only.
      streamConsumer = new kinesis.StreamConsumer(fn, 'EnhancedFanOutConsumer', {
        stream,
        streamConsumerName: Names.uniqueResourceName(fn, { maxLength: 128, separator: '-' }),
      });
      eventSource = new KinesisConsumerEventSource(streamConsumer, props);
    } else {
      eventSource = new KinesisEventSource(stream, props);
    }
    fn.addEventSource(eventSource);
    const mapping = fn.node.children.find(
      (c): c is lambda.EventSourceMapping =>
        c instanceof lambda.EventSourceMapping && c.eventSourceMappingId === eventSource.eventSourceMappingId,
    );
    if (!mapping) throw new Error(`${where}: the event source mapping was not created under ${fn.node.path}.`);
    if (maxRecordAge === 'infinite')
      (mapping.node.defaultChild as lambda.CfnEventSourceMapping).maximumRecordAgeInSeconds = INFINITE_RECORD_AGE_SECONDS;
    fn.addEnvironment(FUNCTION_ENV.serviceName, name);
    tagFunction(fn, 'consumer', name);

    const consumer: EventConsumer = { name, fn, eventSource, mapping, maxRecordAge, streamConsumer };
    this._consumers.push(consumer);
    return consumer;
  }
}
