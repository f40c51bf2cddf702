import { Duration } from 'aws-cdk-lib';
import { binaryBytes, type Documented, named } from './documented';

/** Bytes Athena may read for one query before it cancels it (BytesScannedCutoffPerQuery). */
const SCAN_CUTOFF_BYTES = 10 * 1024 ** 3;
/** Athena's price per TB scanned (us-east-1), for the README's reading of the scan limit. */
const ATHENA_USD_PER_TB = 5;

export const ARCHIVE_QUERY_DEFAULTS = {
  tableFormat: {
    kind: 'prose',
    value: 'GZIP NDJSON (OpenX JSON SerDe, ignore.malformed.json)',
    why:
      'the archive stays what Firehose writes and replay reads: no second copy and no conversion ($0.018/GB for Firehose Parquet conversion); ' +
      "at Athena's $5/TB a day of the medium example (1 M events, ~0.4 GB GZIP) costs $0.002 to scan whole, so columnar pays only for many queries over months; " +
      'a malformed line (the archive keeps every record) is a row of NULLs, as in DuckDB',
  },
  columns: {
    kind: 'prose',
    value: "the event envelope's fields (lambdas/shared/envelope.ts), `data` kept whole as JSON text, `replay` a struct",
    why: 'generated from the envelope schema, so table and envelope cannot drift; every event type fits one table, and json_extract_scalar(data, …) reaches any payload field',
  },
  partitionProjection: {
    kind: 'prose',
    value: 'year, month, day, hour (integers) projected onto events/year=/month=/day=/hour=/',
    why: 'no crawler and no partition maintenance: Athena computes the hour prefixes itself, and `npm run query` turns --from/--to into a predicate on them, so a query reads only the hours it asks about',
  },
  projectionYears: {
    value: [2025, 2099] as const,
    show: ([from, to]: readonly [number, number]) => `${from}–${to}`,
    why: 'a range to project, not data: hours with no objects cost nothing; a query without an hour predicate still enumerates at most 75 × 8,928 partitions',
  },
  engineVersion: {
    value: 'Athena engine version 3',
    show: (version: string) => `${version} (Trino)`,
    why: 'the current engine; `npm run query` binds parameters with ? placeholders and ExecutionParameters, which it supports',
  },
  bytesScannedCutoffPerQuery: {
    value: SCAN_CUTOFF_BYTES,
    show: (bytes: number) => `${binaryBytes(bytes)} (≈ $${((bytes / 1e12) * ATHENA_USD_PER_TB).toFixed(2)} at $${ATHENA_USD_PER_TB}/TB)`,
    why: 'a query without a time range cannot scan the whole archive by mistake: about 25 days of the medium example per query; raise it in the workgroup for longer questions',
  },
  enforceWorkGroupConfiguration: {
    value: true,
    why: 'clients cannot override the result location, its encryption or the scan limit; the query policy grants only this workgroup',
  },
  resultsEncryption: {
    value: 'SSE_S3',
    show: named([['SSE_S3', 'SSE-S3, in a bucket of its own']]),
    why: 'results hold event payloads (e-mail addresses): encrypted, never public, TLS only, and apart from the archive so a lifecycle rule can delete them',
  },
  resultsExpiration: {
    value: Duration.days(7),
    why: 'a result is a cache of a query, not a record: a week to download it, then S3 deletes it',
  },
} as const satisfies Record<string, Documented<unknown>>;
