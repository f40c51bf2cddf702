// The priced lines of the estimate that take more than a sentence: Kinesis for a mode / shard count / EFO
// choice, a function's Lambda requests and GB-seconds, the idempotency tables, and the archive's storage.
import type { AssemblySettings, FunctionSettings } from './assembly';
import { DYNAMODB_LIMITS } from './limits';
import { type DurationModel, effectiveConsumers, idempotencyLoads, invocationMs } from './flow';
import { DAYS_PER_MONTH, HOURS_PER_MONTH, SECONDS_PER_MONTH, type PriceTable } from './prices';
import { dynamoWriteUnits, GB, idempotencyItemBytes, KB, line, type LineItem, ms, onDemandBilledBytes, putPayloadUnits } from './units';
import { rates, type Workload } from './workload';

/** A line at a price-table entry's unit and price. */
const priced = (service: LineItem['service'], what: string, quantity: number, price: { per: string; usd: number }): LineItem =>
  line(service, what, quantity, price.per, price.usd);

export interface KinesisScenario {
  mode: 'PROVISIONED' | 'ON_DEMAND';
  shards: number;
  /** which consumers read with enhanced fan-out */
  efo: boolean[];
}

/** Kinesis line items for a mode / shard count / EFO choice (used for the estimate and the comparisons). */
export function kinesisLines(s: AssemblySettings, w: Workload, p: PriceTable, sc: KinesisScenario): LineItem[] {
  if (!s.stream) return [];
  const r = rates(w);
  const k = p.kinesis;
  const out: LineItem[] = [];
  const efoReaders = sc.efo.filter(Boolean).length;
  const sharedReaders = sc.efo.length - efoReaders + (s.archive ? 1 : 0);
  const rawGb = (r.eventsPerMonth * r.bytes) / GB;
  const storedGbPerDay = (w.eventsPerDay * r.bytes) / GB;
  const h = s.stream.retentionHours;
  const extendedDays = (Math.min(h, 168) - Math.min(h, 24)) / 24;
  const longTermDays = Math.max(0, h - 168) / 24;

  if (sc.mode === 'PROVISIONED') {
    out.push(priced('Kinesis', `${sc.shards} provisioned shards`, sc.shards * HOURS_PER_MONTH, k.shardHour));
    out.push(
      priced(
        'Kinesis',
        `PUT payload units (${putPayloadUnits(r.bytes)} per record)`,
        (r.eventsPerMonth * putPayloadUnits(r.bytes)) / 1e6,
        k.putPayloadUnitsPerMillion,
      ),
    );
    if (extendedDays > 0)
      out.push(priced('Kinesis', `extended retention (${h} h)`, sc.shards * HOURS_PER_MONTH, k.extendedRetentionShardHour));
    if (efoReaders > 0) {
      out.push(
        priced(
          'Kinesis',
          `enhanced fan-out: ${efoReaders} consumer(s) × ${sc.shards} shards`,
          efoReaders * sc.shards * HOURS_PER_MONTH,
          k.efoConsumerShardHour,
        ),
      );
      out.push(priced('Kinesis', 'enhanced fan-out reads', efoReaders * rawGb, k.efoRetrievalGb));
    }
  } else {
    const billedGb = (r.eventsPerMonth * onDemandBilledBytes(r.bytes)) / GB;
    out.push(priced('Kinesis', 'on-demand stream', HOURS_PER_MONTH, k.onDemandStreamHour));
    out.push(priced('Kinesis', 'on-demand writes (1 KB rounding)', billedGb, k.onDemandIngestGb));
    if (sharedReaders > 0)
      out.push(
        priced(
          'Kinesis',
          `on-demand shared reads (${sharedReaders} readers incl. Firehose)`,
          sharedReaders * billedGb,
          k.onDemandRetrievalGb,
        ),
      );
    if (efoReaders > 0)
      out.push(priced('Kinesis', `on-demand enhanced fan-out reads (${efoReaders})`, efoReaders * billedGb, k.onDemandEfoRetrievalGb));
    if (extendedDays > 0)
      out.push(priced('Kinesis', `extended retention (${h} h)`, storedGbPerDay * extendedDays, k.onDemandExtendedRetentionGbMonth));
  }
  if (longTermDays > 0)
    out.push(priced('Kinesis', `long-term retention (${h} h)`, storedGbPerDay * longTermDays, k.longTermRetentionGbMonth));
  return out;
}

/** A function's Lambda requests and GB-seconds for `invocations` of `batch` records. */
export function lambdaLines(
  fn: FunctionSettings,
  invocations: number,
  batch: number,
  d: DurationModel,
  p: PriceTable,
  what: string,
): LineItem[] {
  const durationMs = invocationMs(d, batch);
  const gbSeconds = invocations * (durationMs / 1000) * (fn.memoryMb / 1024);
  const gbs = fn.architecture === 'arm64' ? p.lambda.gbSecondArm64 : p.lambda.gbSecondX86;
  const how = d.source === 'measured' ? `${d.basis}: ${ms(d.fixedMs)} + ${ms(d.perRecordMs)} ms × ${batch.toFixed(1)} records` : d.basis;
  return [
    priced('Lambda', `${fn.name}: invocations (${what})`, invocations / 1e6, p.lambda.requestsPerMillion),
    priced('Lambda', `${fn.name}: ${fn.memoryMb} MB ${fn.architecture} × ${ms(durationMs)} ms per invocation (${how})`, gbSeconds, gbs),
  ];
}

/** DynamoDB line items of the idempotency tables: writes (or provisioned capacity), storage, PITR. */
export function dynamoLines(s: AssemblySettings, w: Workload, p: PriceTable, notes: string[]): LineItem[] {
  const d = p.dynamodb;
  const out: LineItem[] = [];
  for (const { table, functions } of idempotencyLoads(s, w)) {
    const t = table.logicalId;
    if (table.billingMode === 'PROVISIONED') {
      const wcu = table.writeCapacityUnits ?? 0;
      out.push(priced('DynamoDB', `${t}: ${wcu} provisioned WCU`, wcu * HOURS_PER_MONTH, d.provisionedWcuHour));
      notes.push(`${t}: provisioned table; its ${table.readCapacityUnits ?? 0} RCU are not costed (no RCU price in the table)`);
    } else {
      for (const f of functions) {
        const wru = f.recordsPerSecond * SECONDS_PER_MONTH * f.wruPerRecord;
        out.push(
          priced(
            'DynamoDB',
            `${f.fn.name}: idempotency writes (claim + complete, ${f.wruPerRecord} WRU per record)`,
            wru / 1e6,
            d.onDemandWriteUnitsPerMillion,
          ),
        );
      }
    }
    // Items held at steady state: records per second × how long each lives (with TTL), else everything written in the horizon.
    const horizonSeconds = w.archiveMonths * SECONDS_PER_MONTH;
    const storedBytes = functions.reduce(
      (n, f) =>
        n + f.recordsPerSecond * (table.ttlEnabled ? f.expirySeconds : horizonSeconds) * (f.itemBytes + DYNAMODB_LIMITS.itemOverheadBytes),
      0,
    );
    if (!table.ttlEnabled) notes.push(`${t}: no TTL, records are never deleted; storage costed after ${w.archiveMonths} months`);
    else notes.push(`${t}: TTL deletes expired records free of charge, typically within a few days of expiry; that lag is not costed`);
    const days = functions.length ? `${Math.round(functions[0].expirySeconds / 86_400)} days` : 'no records';
    const span = table.ttlEnabled ? days : `${w.archiveMonths} months, no TTL`;
    out.push(
      priced(
        'DynamoDB',
        `${t}: storage (${span} of records, ~${functions.map((f) => f.itemBytes).join('/')} B + 100 B each)`,
        storedBytes / GB,
        d.storageGbMonth,
      ),
    );
    if (table.pointInTimeRecovery) out.push(priced('DynamoDB', `${t}: point-in-time recovery`, storedBytes / GB, d.pitrGbMonth));
    if (table.globalSecondaryIndexes > 0)
      notes.push(`${t}: ${table.globalSecondaryIndexes} global secondary index(es) not costed (each write is written again per index)`);
    if (table.streamEnabled) notes.push(`${t}: DynamoDB Streams enabled; stream reads not costed`);
    if (table.kms) notes.push(`${t}: encrypted with a KMS key; KMS requests not costed`);
    if (new Set(functions.map((f) => f.expirySeconds)).size > 1)
      notes.push(`${t}: functions keep records for different expiries; storage uses each one's`);
  }
  if (s.tables.length) {
    notes.push(
      `idempotency: a duplicate record costs one failed conditional PutItem (${dynamoWriteUnits(idempotencyItemBytes('x', 0))} WRU, $${p.dynamodb.onDemandWriteUnitsPerMillion.usd} per million) and no read; a failed record costs a DeleteItem (1 WRU) before its retry; neither is modelled`,
    );
    const writers = s.tables.flatMap((t) => t.idempotentFunctions);
    const without = [...s.workers.map((wk) => wk.fn), ...effectiveConsumers(s, w).map((c) => c.fn)]
      .filter((fn) => !fn.idempotency)
      .map((fn) => fn.name);
    notes.push(
      `idempotency: records are kept by ${writers.join(', ') || 'no function'} (IDEMPOTENCY_TABLE_NAME in the environment)` +
        (without.length ? `; ${without.join(', ')} keep${without.length === 1 ? 's' : ''} none and write nothing` : '') +
        '; a consumer writes only for the events it handles',
    );
  }
  return out;
}

/**
 * Archive storage after `archiveMonths` (or the expiration, if sooner), each month's objects in the storage
 * class their age puts them in under the bucket's lifecycle transitions; each object transitions once per
 * class (billed per 1,000); objects under 128 KB are not transitioned into IA / Glacier IR (S3's default).
 */
export function archiveStorageLines(
  a: NonNullable<AssemblySettings['archive']>,
  objectBytes: number,
  objectsPerMonth: number,
  w: Workload,
  p: PriceTable,
  notes: string[],
): LineItem[] {
  const classes: Record<
    string,
    { price: { usd: number; per: string }; transition?: { usd: number; per: string }; minBytes: number; label: string }
  > = {
    STANDARD: { price: p.s3.standardGbMonth, minBytes: 0, label: 'Standard' },
    STANDARD_IA: { price: p.s3.standardIaGbMonth, transition: p.s3.transitionIaPer1000, minBytes: 128 * KB, label: 'Standard-IA' },
    GLACIER_IR: { price: p.s3.glacierIrGbMonth, transition: p.s3.transitionGlacierIrPer1000, minBytes: 128 * KB, label: 'Glacier IR' },
  };
  const horizonDays = Math.min(a.expirationDays ?? Infinity, w.archiveMonths * DAYS_PER_MONTH);
  // Since September 2024 lifecycle rules skip objects under 128 KB by default (no ObjectSizeGreaterThan in the rule).
  const small = a.transitions.filter((t) => t.days < horizonDays && objectBytes < (classes[t.storageClass]?.minBytes ?? 0));
  if (small.length)
    notes.push(
      `archive objects average ${(objectBytes / KB).toFixed(1)} KB, under the 128 KB S3 lifecycle default minimum: the transition(s) to ${small.map((t) => t.storageClass).join(', ')} do not apply and they stay in their class`,
    );
  const stages = [{ days: 0, storageClass: 'STANDARD' }, ...a.transitions.filter((t) => t.days < horizonDays && !small.includes(t))];
  const out: LineItem[] = [];
  const compression = a.compression === 'UNCOMPRESSED' ? '' : `, ${a.compression} ×${w.compressionRatio}`;
  stages.forEach((st, i) => {
    let cls = classes[st.storageClass];
    if (!cls) {
      notes.push(`archive transition to ${st.storageClass} priced as Standard (class not in the price table)`);
      cls = classes.STANDARD;
    }
    const until = i + 1 < stages.length ? stages[i + 1].days : horizonDays;
    const monthsInClass = (until - st.days) / DAYS_PER_MONTH;
    const gb = (objectsPerMonth * objectBytes * monthsInClass) / GB;
    const span = `${Math.round(st.days)}–${Number.isFinite(until) ? Math.round(until) : '∞'} days`;
    out.push(priced('S3', `archive in ${cls.label}, ${span}${compression}`, gb, cls.price));
    if (cls.transition) out.push(priced('S3', `archive transitions to ${cls.label}`, objectsPerMonth / 1000, cls.transition));
  });
  return out;
}
