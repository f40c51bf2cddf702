/**
 * Figure 3's in-memory idempotency store: redirects the four storage calls of Powertools'
 * DynamoDBPersistenceLayer (_putRecord, _getRecord, _updateRecord, _deleteRecord) to a Map while `mode` is
 * 'memory', and leaves them to DynamoDB (dynalite) while it is 'dynamodb'. Everything above the storage calls
 * runs as deployed: the real handler modules, createIdempotency() from the environment, Powertools'
 * makeIdempotent (JMESPath key, hashing, record status and expiry logic, response hook, saving the result).
 * That is the seam-free way to measure the real job-worker handler without its persistence I/O: the handler
 * builds its idempotency at module load from IDEMPOTENCY_* and takes no injection.
 *
 * The Map keeps DynamoDB's conditional-put semantics (a put succeeds if the key is absent, expired, or
 * in progress with an expired in-progress deadline; otherwise IdempotencyItemAlreadyExistsError with the
 * existing record), so a duplicate would behave as on DynamoDB. Install before the handlers are imported.
 */
import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';

export type StoreMode = 'memory' | 'dynamodb';

interface Stored {
  readonly idempotencyKey: string;
  status: string;
  expiryTimestamp: number | undefined;
  readonly inProgressExpiryTimestamp: number | undefined;
  responseData: unknown;
  readonly payloadHash: string | undefined;
}

type Storage = {
  _putRecord(record: IdempotencyRecord): Promise<void>;
  _getRecord(key: string): Promise<IdempotencyRecord>;
  _updateRecord(record: IdempotencyRecord): Promise<void>;
  _deleteRecord(record: IdempotencyRecord): Promise<void>;
};

const toRecord = (s: Stored): IdempotencyRecord =>
  new IdempotencyRecord({
    idempotencyKey: s.idempotencyKey,
    status: s.status as IdempotencyRecord['getStatus'] extends () => infer S ? S : never,
    ...(s.expiryTimestamp !== undefined ? { expiryTimestamp: s.expiryTimestamp } : {}),
    ...(s.inProgressExpiryTimestamp !== undefined ? { inProgressExpiryTimestamp: s.inProgressExpiryTimestamp } : {}),
    ...(s.responseData !== undefined ? { responseData: s.responseData as never } : {}),
    ...(s.payloadHash !== undefined ? { payloadHash: s.payloadHash } : {}),
  });

export interface InMemoryIdempotency {
  /** Where the storage calls go from now on. */
  mode: StoreMode;
  /** Records held in memory (a check that the handlers really reach this store). */
  readonly size: () => number;
}

let installed: InMemoryIdempotency | undefined;

export function installInMemoryIdempotency(): InMemoryIdempotency {
  if (installed) return installed;
  const records = new Map<string, Stored>();
  const proto = DynamoDBPersistenceLayer.prototype as unknown as Storage;
  const original: Storage = {
    _putRecord: proto._putRecord,
    _getRecord: proto._getRecord,
    _updateRecord: proto._updateRecord,
    _deleteRecord: proto._deleteRecord,
  };
  const state: InMemoryIdempotency = { mode: 'memory', size: () => records.size };

  proto._putRecord = async function (this: Storage, record) {
    if (state.mode === 'dynamodb') return original._putRecord.call(this, record);
    const existing = records.get(record.idempotencyKey);
    const nowMs = Date.now();
    const free =
      existing === undefined ||
      (existing.expiryTimestamp !== undefined && existing.expiryTimestamp < nowMs / 1000) ||
      (existing.status === IdempotencyRecordStatus.INPROGRESS &&
        existing.inProgressExpiryTimestamp !== undefined &&
        existing.inProgressExpiryTimestamp < nowMs);
    if (!free)
      throw new IdempotencyItemAlreadyExistsError(
        `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
        toRecord(existing),
      );
    records.set(record.idempotencyKey, {
      idempotencyKey: record.idempotencyKey,
      status: record.getStatus(),
      expiryTimestamp: record.expiryTimestamp,
      inProgressExpiryTimestamp: record.inProgressExpiryTimestamp,
      responseData: undefined,
      payloadHash: record.payloadHash,
    });
  };
  proto._getRecord = async function (this: Storage, key) {
    if (state.mode === 'dynamodb') return original._getRecord.call(this, key);
    const existing = records.get(key);
    if (existing === undefined) throw new IdempotencyItemNotFoundError();
    return toRecord(existing);
  };
  proto._updateRecord = async function (this: Storage, record) {
    if (state.mode === 'dynamodb') return original._updateRecord.call(this, record);
    const existing = records.get(record.idempotencyKey);
    const next: Stored = {
      idempotencyKey: record.idempotencyKey,
      status: record.getStatus(),
      expiryTimestamp: record.expiryTimestamp,
      inProgressExpiryTimestamp: existing?.inProgressExpiryTimestamp,
      // As DynamoDB stores it: a copy of the JSON value, not a reference to the handler's object.
      responseData: record.responseData === undefined ? existing?.responseData : JSON.parse(JSON.stringify(record.responseData)),
      payloadHash: record.payloadHash ?? existing?.payloadHash,
    };
    records.set(record.idempotencyKey, next);
  };
  proto._deleteRecord = async function (this: Storage, record) {
    if (state.mode === 'dynamodb') return original._deleteRecord.call(this, record);
    records.delete(record.idempotencyKey);
  };
  installed = state;
  return state;
}
