/**
 * Idempotency for the per-record work of every handler (Powertools idempotency, DynamoDB records).
 *
 * - Key: the envelope id, never a Kinesis sequence number or an SQS message id, which change on replay and
 *   redrive. `once` hands the id to Powertools as the hashed argument (`dataIndexArgument: 0`) instead of
 *   an `eventKeyJmesPath: 'id'` over the envelope: the same key (MD5 of the JSON id string, same prefix), so
 *   existing records stay valid, without a JMESPath interpreter per record (≈ 9 µs each, BENCHMARKS.md).
 * - Scope: keys are prefixed with the function's stable name (POWERTOOLS_SERVICE_NAME, unique per consumer by
 *   EventStream.addConsumer), so every consumer and the worker keep their own records and a consumer that
 *   has not seen an event (a new one being backfilled) still processes it. Powertools' default prefix, the
 *   physical function name, would also be unique, but would change (and forget every record) whenever the
 *   function is replaced.
 * - Expiry: IDEMPOTENCY_EXPIRY_SECONDS (14 days by default, see IDEMPOTENCY_TABLE_DEFAULTS). A duplicate that
 *   arrives later than that, e.g. a replay from the S3 archive of older events, finds no record and applies
 *   its side effects again.
 * - Failure: when the work throws, Powertools deletes the in-progress record, so the retry runs it again.
 * - In progress: a record another invocation holds (a concurrent duplicate, or a crashed attempt whose
 *   in-progress expiry, the invocation's remaining time, has not passed) throws
 *   IdempotencyAlreadyInProgressError; handlers report it as a batch item failure, so it is retried later and
 *   then finds the completed record.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import { dynamoDbClient } from './clients/dynamodb';
import { readIdempotencyEnv, type IdempotencyEnv } from './env';

export { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';

/** What an idempotent call did: ran the work now, or found it completed before (`duplicate`). */
export interface IdempotentOutcome<R> {
  readonly duplicate: boolean;
  /** The work's result, stored with the record and returned again for a duplicate (null for no result). */
  readonly result: R | null;
}

export interface Idempotency {
  /** Call first in every invocation: an in-progress record then expires when this invocation would time out. */
  registerLambdaContext(context: Context): void;
  /** `fn` runs at most once per `payload.id` within the record expiry; duplicates return the stored result. */
  once<P extends { readonly id: string }, A extends unknown[], R>(
    fn: (payload: P, ...rest: A) => Promise<R>,
  ): (payload: P, ...rest: A) => Promise<IdempotentOutcome<R>>;
}

/**
 * Reads IDEMPOTENCY_TABLE_NAME / IDEMPOTENCY_EXPIRY_SECONDS / POWERTOOLS_SERVICE_NAME at cold start and throws a
 * ConfigurationError when one is missing: a handler cannot run without its idempotency records.
 * `persistenceStore` replaces the DynamoDB table (tests).
 */
export function createIdempotency(settings: IdempotencyEnv = readIdempotencyEnv(), persistenceStore?: BasePersistenceLayer): Idempotency {
  const store =
    persistenceStore ??
    // Attribute names are Powertools' defaults: partition key `id`, TTL attribute `expiration`.
    new DynamoDBPersistenceLayer({ tableName: settings.tableName, awsSdkV3Client: dynamoDbClient() });
  const config = new IdempotencyConfig({
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: settings.expiresAfterSeconds,
    // Only called when a completed record is found: marks the stored outcome as a duplicate for logs and metrics.
    responseHook: (response) => ({ ...(response as { readonly [key: string]: typeof response }), duplicate: true }),
  });
  return {
    registerLambdaContext: (context) => config.registerLambdaContext(context),
    once: <P extends { readonly id: string }, A extends unknown[], R>(fn: (payload: P, ...rest: A) => Promise<R>) => {
      // (id, work): Powertools hashes argument 0 and runs `work` once per id
      const idempotent = makeIdempotent(
        async (_id: string, work: () => Promise<unknown>): Promise<IdempotentOutcome<unknown>> => ({
          duplicate: false,
          result: (await work()) ?? null,
        }),
        { persistenceStore: store, config, keyPrefix: settings.scope, dataIndexArgument: 0 },
      );
      return (payload: P, ...rest: A) => idempotent(payload.id, () => fn(payload, ...rest)) as Promise<IdempotentOutcome<R>>;
    },
  };
}
