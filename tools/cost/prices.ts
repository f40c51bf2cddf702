// The price table the cost model uses: US East (N. Virginia), USD, list prices without free tiers,
// Savings Plans or volume tiers (every figure is the first tier, which is where this template lives).
//
// How it was checked (2026-11-27): the AWS pricing pages render their numbers from a price API, so the
// stored copies we could read carry the billing rules (rounding, chunking) but not always the figures.
// Each entry therefore names the AWS page it belongs to (`source`) and says how the figure was confirmed
// (`check`), by default those of its service (pricesOf): 'aws-page' = read on the AWS page itself;
// 'secondary' = the AWS page's rule plus at least one dated third-party transcription of the AWS price list
// (named in `note`); 'unverified' = best figure we have, with why. Update a figure here and every estimate, test expectation and README example follows.

export type PriceCheck = 'aws-page' | 'secondary' | 'unverified';

export interface Price {
  /** USD per `unit` */
  readonly usd: number;
  /** short unit for tables */
  readonly per: string;
  /** the unit in full, with the billing rule that applies */
  readonly unit: string;
  readonly source: string;
  readonly check: PriceCheck;
  readonly note?: string;
}

export const PRICES_REGION = 'us-east-1';
export const PRICES_CHECKED = '2026-11-27';

const DDB_OD = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';

// Third-party transcriptions used to confirm figures (dates are theirs).
const T_KDS =
  'transcribed AWS price list, Sep 2026 (patterns catalog "Kinesis Data Streams", us-east-1) and a Kinesis course page (us-east-1), both agree';
const T_SQS = 'cloudburn.io "Amazon SQS Pricing" (Mar 2026) and factualminds.com (Jun 2026) agree';
const T_DDB =
  'the November 2024 on-demand price cut (−50 %) as transcribed by airbyte.com (Jul 2025) and jusdb.com (Aug 2025); older pages still show $1.25 / $0.25';

// Reasons shared by more than one unverified entry.
const LONG_STANDING = { check: 'unverified', note: 'long-standing list price; not re-read in a 2026 copy' } as const;
const TRANSITION_RANGE_ONLY = { check: 'unverified', note: 'only the range $0.01–$0.06 per 1,000 by class was confirmed' } as const;

/**
 * An entry of one service's prices: its AWS page (`source`), `check` and `note` default to the service's, so an
 * entry states only what differs.
 */
function pricesOf(service: { source: string; check: PriceCheck; note?: string }) {
  return (p: { per: string; usd: number; unit: string; source?: string; check?: PriceCheck; note?: string }): Price => {
    const note = p.note ?? service.note;
    return {
      per: p.per,
      usd: p.usd,
      unit: p.unit,
      source: p.source ?? service.source,
      check: p.check ?? service.check,
      ...(note !== undefined ? { note } : {}),
    };
  };
}

const kinesisPrice = pricesOf({ source: 'https://aws.amazon.com/kinesis/data-streams/pricing/', check: 'secondary', note: T_KDS });
const sqsPrice = pricesOf({ source: 'https://aws.amazon.com/sqs/pricing/', check: 'secondary' });
const lambdaPrice = pricesOf({
  source: 'https://aws.amazon.com/lambda/pricing/',
  check: 'secondary',
  note: 'Lambda pricing transcriptions (cloudchipr.com, lambda_local_runner docs): arm64 first 7.5 B GB-s tier',
});
const firehosePrice = pricesOf({ source: 'https://aws.amazon.com/firehose/pricing/', check: 'secondary' });
const s3Price = pricesOf({ source: 'https://aws.amazon.com/s3/pricing/', check: 'secondary' });
const cloudWatchPrice = pricesOf({
  source: 'https://aws.amazon.com/cloudwatch/pricing/',
  check: 'secondary',
  note: 'factualminds.com "CloudWatch pricing" (Jun 2026), cloudburn.io (Feb 2026)',
});
const dynamoPrice = pricesOf({ source: DDB_OD, check: 'secondary' });

export const PRICES = {
  kinesis: {
    // Provisioned mode
    shardHour: kinesisPrice({ per: 'shard-hour', usd: 0.015, unit: 'shard-hour' }),
    putPayloadUnitsPerMillion: kinesisPrice({
      per: '1M units',
      usd: 0.014,
      unit: '1M PUT payload units (25 KB each, every record at least one)',
      note: `25 KB unit rule read on the AWS page; figure: ${T_KDS}`,
    }),
    extendedRetentionShardHour: kinesisPrice({ per: 'shard-hour', usd: 0.02, unit: 'shard-hour of retention beyond 24 h (up to 7 days)' }),
    longTermRetentionGbMonth: kinesisPrice({
      per: 'GB-month',
      usd: 0.023,
      unit: 'GB-month stored beyond 7 days (both modes)',
      note: `${T_KDS}; reading that data with GetRecords adds $0.021/GB in provisioned mode (not modelled: our consumers read the tip)`,
    }),
    efoConsumerShardHour: kinesisPrice({ per: 'consumer-shard-hour', usd: 0.015, unit: 'EFO consumer-shard-hour (provisioned)' }),
    efoRetrievalGb: kinesisPrice({ per: 'GB', usd: 0.013, unit: 'GB read by an EFO consumer (provisioned)' }),
    // On-demand Standard mode (On-demand Advantage is an account-wide commitment of 25 MiB/s; not modelled)
    onDemandStreamHour: kinesisPrice({ per: 'stream-hour', usd: 0.04, unit: 'stream-hour (on-demand)' }),
    onDemandIngestGb: kinesisPrice({
      per: 'GB',
      usd: 0.08,
      unit: 'GB written (each record rounded up to 1 KB)',
      note: `1 KB rounding read on the AWS page; figure: ${T_KDS}`,
    }),
    onDemandRetrievalGb: kinesisPrice({ per: 'GB', usd: 0.04, unit: 'GB read with shared throughput (on-demand)' }),
    onDemandEfoRetrievalGb: kinesisPrice({
      per: 'GB',
      usd: 0.05,
      unit: 'GB read by an EFO consumer (on-demand, no consumer-shard-hour charge)',
      check: 'unverified',
      note: 'two transcriptions say $0.05/GB, a third says $0.04/GB; we keep the higher figure',
    }),
    onDemandExtendedRetentionGbMonth: kinesisPrice({
      per: 'GB-month',
      usd: 0.1,
      unit: 'GB-month stored beyond 24 h (up to 7 days, on-demand)',
    }),
  },
  sqs: {
    standardRequestsPerMillion: sqsPrice({
      per: '1M requests',
      usd: 0.4,
      unit: '1M requests (standard queue; each 64 KB chunk of a payload is one request)',
      note: `${T_SQS}. The model ignores the first 1M requests/month free tier (it is per account, shared with everything else)`,
    }),
  },
  lambda: {
    requestsPerMillion: lambdaPrice({ per: '1M invocations', usd: 0.2, unit: '1M invocations' }),
    gbSecondArm64: lambdaPrice({ per: 'GB-second', usd: 0.0000133334, unit: 'GB-second (arm64)' }),
    gbSecondX86: lambdaPrice({ per: 'GB-second', usd: 0.0000166667, unit: 'GB-second (x86_64)' }),
  },
  firehose: {
    ingestGbFromKinesis: firehosePrice({
      per: 'GB',
      usd: 0.029,
      unit: 'GB ingested (first 500 TB/month; each record rounded up to 5 KB, also when the source is a Kinesis stream)',
      note: '5 KB rounding per record (not per call) from the AWS page/FAQ text; the figure and "also from a Kinesis stream" from a Sep 2026 transcription (MSK source: $0.055/GB, no rounding)',
    }),
  },
  s3: {
    standardIaGbMonth: s3Price({
      per: 'GB-month',
      usd: 0.0125,
      unit: 'GB-month, S3 Standard-IA (objects billed at ≥ 128 KB)',
      note: 'awsnegotiations.com S3 class table (us-east-1)',
    }),
    glacierIrGbMonth: s3Price({
      per: 'GB-month',
      usd: 0.004,
      unit: 'GB-month, S3 Glacier Instant Retrieval (objects billed at ≥ 128 KB)',
      note: 'awsnegotiations.com S3 class table (us-east-1)',
    }),
    transitionIaPer1000: s3Price({
      per: '1k transitions',
      usd: 0.01,
      unit: '1,000 lifecycle transitions into Standard-IA',
      ...TRANSITION_RANGE_ONLY,
    }),
    transitionGlacierIrPer1000: s3Price({
      per: '1k transitions',
      usd: 0.02,
      unit: '1,000 lifecycle transitions into Glacier Instant Retrieval',
      ...TRANSITION_RANGE_ONLY,
    }),
    standardGbMonth: s3Price({
      per: 'GB-month',
      usd: 0.023,
      unit: 'GB-month, S3 Standard (first 50 TB)',
      note: 'several transcriptions, stable since 2016',
    }),
    putPer1000: s3Price({
      per: '1k requests',
      usd: 0.005,
      unit: '1,000 PUT/COPY/POST/LIST requests',
      note: 'cloudkaramchari.com and other transcriptions',
    }),
    getPer1000: s3Price({
      per: '1k requests',
      usd: 0.0004,
      unit: '1,000 GET requests',
      ...LONG_STANDING,
    }),
  },
  cloudwatch: {
    alarmMonth: cloudWatchPrice({ per: 'alarm metric-month', usd: 0.1, unit: 'standard-resolution alarm metric per month' }),
    dashboardMonth: cloudWatchPrice({ per: 'dashboard-month', usd: 3, unit: 'custom dashboard per month' }),
    logsIngestGb: cloudWatchPrice({
      per: 'GB',
      usd: 0.5,
      unit: 'GB of logs ingested (Standard class; Lambda logs are tiered from this rate down)',
    }),
    logsStorageGbMonth: cloudWatchPrice({
      per: 'GB-month',
      usd: 0.03,
      unit: 'GB-month of logs stored (billed compressed; we count uncompressed, an upper bound)',
      ...LONG_STANDING,
    }),
    customMetricMonth: cloudWatchPrice({
      per: 'metric-month',
      usd: 0.3,
      unit: 'custom metric per month (first 10,000), e.g. EMF metrics',
      note: 'signoz.io "CloudWatch pricing" (Feb 2026)',
    }),
  },
  dynamodb: {
    onDemandWriteUnitsPerMillion: dynamoPrice({
      per: '1M WRU',
      usd: 0.625,
      unit: '1M write request units (standard table class; 1 WRU per started 1 KB of the item written, failed conditional writes included)',
      note: `1 KB rule read on the AWS page; figure: ${T_DDB}`,
    }),
    onDemandReadUnitsPerMillion: dynamoPrice({
      per: '1M RRU',
      usd: 0.125,
      unit: '1M read request units (one strongly consistent read of up to 4 KB; eventually consistent ½)',
      note: `4 KB rule read on the AWS page; figure: ${T_DDB}`,
    }),
    storageGbMonth: dynamoPrice({
      per: 'GB-month',
      usd: 0.25,
      unit: 'GB-month stored (standard table class; each item counts 100 bytes of overhead; first 25 GB/month free per account, not subtracted)',
      source: 'https://aws.amazon.com/dynamodb/pricing/',
      check: 'aws-page',
      note: 'read on a stored copy of the AWS overview page ("prices start from $0.25 per GB-month"); unchanged since',
    }),
    pitrGbMonth: dynamoPrice({
      per: 'GB-month',
      usd: 0.2,
      unit: 'GB-month of point-in-time recovery (continuous backups), billed on the table size whatever the recovery period',
      check: 'unverified',
      note: 'long-standing list price; the billing rule (table size, not recovery period) read in the DynamoDB developer guide, the figure not re-read in a 2026 copy',
    }),
    provisionedWcuHour: dynamoPrice({
      per: 'WCU-hour',
      usd: 0.00065,
      unit: 'provisioned write capacity unit-hour (one 1 KB write per second), for the on-demand vs provisioned comparison only',
      source: 'https://aws.amazon.com/dynamodb/pricing/provisioned/',
      note: 'a stored copy of the AWS overview page ("$0.47 per WCU-month" = $0.00065 × 730) and zeonedge.com (2025)',
    }),
  },
} as const satisfies Record<string, Record<string, Price>>;

export type PriceTable = typeof PRICES;

/** Hours AWS bills in a month (365 × 24 / 12), the convention of the AWS pricing examples. */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

/** The table as Markdown rows (for `--prices` and the README). */
export function priceTableMarkdown(prices: PriceTable = PRICES): string {
  const rows: string[] = [
    `Prices: ${PRICES_REGION}, USD, checked ${PRICES_CHECKED}. check = aws-page | secondary (AWS rule + dated transcription) | unverified.`,
    '',
    '| service | item | USD | per | billing rule | check | source |',
    '|---|---|---:|---|---|---|---|',
  ];
  for (const [service, items] of Object.entries(prices)) {
    for (const [key, p] of Object.entries(items as Record<string, Price>)) {
      rows.push(
        `| ${service} | ${key} | ${p.usd} | ${p.per} | ${p.unit} | ${p.check}${p.check === 'unverified' && p.note ? ` (${p.note})` : ''} | ${p.source} |`,
      );
    }
  }
  return rows.join('\n');
}
