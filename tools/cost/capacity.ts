// Headroom against the service limits at the peak (see model.ts's header for the capacity assumptions).
import type { AssemblySettings } from './assembly';
import {
  assumedShards,
  durationModel,
  effectiveConsumers,
  idempotencyLoads,
  invocationMs,
  provisionedShardsNeeded,
  sqsAvgBatch,
} from './flow';
import { DYNAMODB_LIMITS, LAMBDA_LIMITS, SHARD_LIMITS } from './limits';
import { PRICES, type PriceTable } from './prices';
import { consumerTraffic, describeShare } from './traffic';
import { about, KB, MIB, ms, whole } from './units';
import { rates, validateWorkload, type Workload } from './workload';

export interface HeadroomRow {
  check: string;
  demand: number;
  limit: number;
  unit: string;
  /** demand ÷ limit */
  use: number;
  status: 'ok' | 'tight' | 'over';
  /** for a row that is over: what would keep up (short, shown with the status) */
  remedy?: string;
  /** for a row that is over: why, and what it costs to fix or to live with (a sentence under the table) */
  explanation?: string;
}

const row = (check: string, demand: number, limit: number, unit: string): HeadroomRow => {
  const use = limit > 0 ? demand / limit : demand > 0 ? Infinity : 0;
  return { check, demand, limit, unit, use, status: use > 1 ? 'over' : use >= 0.8 ? 'tight' : 'ok' };
};

/** Headroom against the service limits at the peak; a row that is over says what would keep up or why it may. */
export function capacity(s: AssemblySettings, w: Workload, p: PriceTable = PRICES): HeadroomRow[] {
  validateWorkload(w);
  const r = rates(w);
  const rows: HeadroomRow[] = [];
  const consumers = effectiveConsumers(s, w);
  const shards = assumedShards(s, w);

  if (s.stream) {
    const writePerShard = r.peakWriteMibps / shards;
    const recordsPerShard = r.peakEventsPerSecond / shards;
    const shared = consumers.filter((c) => !c.efo).length + (s.archive ? 1 : 0);
    const efo = consumers.filter((c) => c.efo).length;
    const needed = provisionedShardsNeeded(s, w);
    const reshard = (x: HeadroomRow, why: string) => {
      if (x.status !== 'over') return x;
      x.remedy = `needs ${needed} shards`;
      x.explanation = `${why} at the ${w.peakFactor}× peak: ${shards} shards are too few; ${needed} provisioned shards carry the peak's writes and the shared readers (or an on-demand stream scales itself).`;
      return x;
    };
    rows.push(
      reshard(
        row(`shard write, MB/s per shard (${shards} shards)`, writePerShard, SHARD_LIMITS.writeMibps, 'MB/s'),
        `the stream takes ${about(r.peakWriteMibps)} MB/s`,
      ),
    );
    rows.push(
      reshard(
        row('shard write, records/s per shard', recordsPerShard, SHARD_LIMITS.writeRps, 'records/s'),
        `the stream takes ${about(r.peakEventsPerSecond)} records/s`,
      ),
    );
    rows.push(
      reshard(
        row(
          `shared read, MB/s per shard (${shared} polling readers incl. Firehose)`,
          shared * writePerShard,
          SHARD_LIMITS.readMibps,
          'MB/s',
        ),
        `${shared} polling readers read ${about(shared * r.peakWriteMibps)} MB/s in all`,
      ),
    );
    const calls = row('GetRecords calls/s per shard (≈1 per polling reader)', shared, SHARD_LIMITS.getRecordsTps, 'calls/s');
    if (calls.status === 'over') {
      calls.remedy = 'needs enhanced fan-out';
      calls.explanation = `${shared} polling readers share 5 GetRecords calls/s per shard whatever the shard count: move consumers to enhanced fan-out until at most ${SHARD_LIMITS.getRecordsTps} poll (the verdict prices it).`;
    }
    rows.push(calls);
    if (efo > 0) rows.push(row(`EFO read, MB/s per shard per consumer (${efo} EFO)`, writePerShard, SHARD_LIMITS.readMibps, 'MB/s'));
    if (r.bytes > MIB) rows.push(row('record size', r.bytes / KB, 1024, 'KB'));
    for (const c of consumers) {
      // A shard slot processes one batch at a time; backlogged, batches are full.
      const traffic = consumerTraffic(c, w.eventMix);
      const d = durationModel(w, 'consumer', c.copyOf ?? c.fn.name);
      const fullBatchS = invocationMs(d, c.batchSize) / 1000;
      const demand = recordsPerShard * traffic.deliveredShare;
      const perShard = (c.parallelizationFactor * c.batchSize) / fullBatchS;
      const x = row(
        `${c.fn.name}: records/s per shard at peak (${describeShare(traffic.deliveredTypes, traffic.deliveredShare, w.eventMix)}) vs processed at PF ${c.parallelizationFactor} (batch ${c.batchSize} in ${ms(fullBatchS * 1000)} ms, ${d.source})`,
        demand,
        perShard,
        'records/s',
      );
      if (x.status === 'over') {
        const pf = Math.ceil((demand * fullBatchS) / c.batchSize - 1e-9);
        const atMax = (LAMBDA_LIMITS.maxParallelizationFactor * c.batchSize) / fullBatchS;
        x.remedy =
          pf <= LAMBDA_LIMITS.maxParallelizationFactor
            ? `needs PF ${pf}`
            : `needs more shards (PF ${LAMBDA_LIMITS.maxParallelizationFactor}: ${about(atMax)}/s)`;
        x.explanation =
          `${c.fn.name}: at the ${w.peakFactor}× peak each shard brings it ${about(demand)} records/s and one batch of ${c.batchSize} takes ${ms(fullBatchS * 1000)} ms (${d.basis}), ` +
          (pf <= LAMBDA_LIMITS.maxParallelizationFactor
            ? `so PF ${c.parallelizationFactor} falls behind and its iterator age grows; parallelization factor ${pf} keeps up (order then holds per partition key, not per shard).`
            : `more than even PF ${LAMBDA_LIMITS.maxParallelizationFactor} processes (${about(atMax)}/s per shard): it needs more shards, or a larger batch if the time per record allows.`);
      }
      rows.push(x);
    }
  }

  let workerPeakConcurrency = 0;
  let workerCap = 0;
  for (const wk of s.workers) {
    const d = durationModel(w, 'worker', wk.fn.name);
    const batch = sqsAvgBatch(wk, r.peakJobsPerSecond);
    const durationS = invocationMs(d, batch) / 1000;
    const needed = (r.peakJobsPerSecond / batch) * durationS; // Little's law
    const cap = Math.min(
      wk.maximumConcurrency ?? LAMBDA_LIMITS.sqsDefaultMaxConcurrency,
      wk.fn.reservedConcurrency ?? Infinity,
      LAMBDA_LIMITS.accountConcurrency,
    );
    workerPeakConcurrency += Math.min(needed, cap); // beyond its cap, jobs wait in the queue instead
    workerCap += cap;
    const x = row(
      `${wk.fn.name}: concurrent executions at peak (batch ${batch.toFixed(1)} in ${ms(durationS * 1000)} ms, ${d.source}; cap ${wk.maximumConcurrency !== undefined ? 'MaximumConcurrency' : 'default'})`,
      needed,
      cap,
      'executions',
    );
    if (x.status === 'over') {
      const avgBatch = sqsAvgBatch(wk, r.jobsPerSecond);
      const avgNeeded = (r.jobsPerSecond / avgBatch) * (invocationMs(d, avgBatch) / 1000);
      const served = (cap * batch) / durationS;
      x.remedy = `needs MaximumConcurrency ${whole(needed)}`;
      x.explanation =
        `${wk.fn.name}: at the ${w.peakFactor}× peak a batch of ${batch.toFixed(1)} jobs takes ${ms(durationS * 1000)} ms (${d.basis}), so ${cap} concurrent executions process ~${about(served)} jobs/s of the ${about(r.peakJobsPerSecond)} arriving; ` +
        (avgNeeded < cap
          ? `the queue holds the other ~${about(r.peakJobsPerSecond - served)}/s and drains them after the peak (the average needs ${about(avgNeeded)} executions), delaying jobs but losing none. `
          : `the average alone needs ${about(avgNeeded)} executions, so the backlog never drains. `) +
        `MaximumConcurrency ${whole(needed)} keeps up with the peak (mind the downstream APIs the jobs call).`;
    }
    rows.push(x);
    if (wk.queue)
      rows.push(row(`${wk.fn.name}: message size vs queue MaximumMessageSize`, r.bytes / KB, wk.queue.maximumMessageSize / KB, 'KB'));
  }
  for (const { table, functions } of idempotencyLoads(s, w)) {
    const peakWru = functions.reduce((n, f) => n + f.recordsPerSecond * w.peakFactor * f.wruPerRecord, 0);
    const writers = functions.map((f) => f.fn.name).join(', ') || 'no function';
    if (table.billingMode === 'PROVISIONED') {
      rows.push(
        row(
          `${table.logicalId}: idempotency WRU/s at peak (${writers}) vs provisioned WCU`,
          peakWru,
          table.writeCapacityUnits ?? 0,
          'WRU/s',
        ),
      );
    } else {
      const quota = row(
        `${table.logicalId}: idempotency WRU/s at peak (${writers}) vs on-demand table quota (default)`,
        peakWru,
        DYNAMODB_LIMITS.tableWruQuota,
        'WRU/s',
      );
      if (quota.status === 'over') {
        quota.remedy = 'raise the table quota';
        quota.explanation = `${table.logicalId}: ${about(peakWru)} WRU/s at the peak is over the default on-demand table quota of ${DYNAMODB_LIMITS.tableWruQuota.toLocaleString('en-US')} write units/s; raise it in Service Quotas before the traffic grows there.`;
      }
      rows.push(quota);
      const fresh = row(
        `${table.logicalId}: idempotency WRU/s at peak vs what a new on-demand table serves at first`,
        peakWru,
        DYNAMODB_LIMITS.newTableWru,
        'WRU/s',
      );
      if (fresh.status === 'over') {
        const wcu = Math.ceil(peakWru);
        fresh.remedy = 'new table only: pre-warm';
        fresh.explanation =
          `${table.logicalId}: a new on-demand table serves ${DYNAMODB_LIMITS.newTableWru.toLocaleString('en-US')} write units/s at first; an established one serves up to twice its previous peak at once and adapts within about 30 minutes, ` +
          `so ${wcu.toLocaleString('en-US')} WRU/s throttles only a table that goes live straight into this peak. Before such a launch, pre-warm it: set its warm throughput to ${wcu.toLocaleString('en-US')} write units/s ` +
          `(a one-time charge on the DynamoDB pricing page; not in the price table here), or provision ${wcu.toLocaleString('en-US')} WCU for an hour and switch back to on-demand ` +
          `(~$${(wcu * p.dynamodb.provisionedWcuHour.usd).toFixed(2)} once at $${p.dynamodb.provisionedWcuHour.usd} per WCU-hour).`;
      }
      rows.push(fresh);
    }
  }

  const kinesisSlots = consumers.reduce((n, c) => n + shards * c.parallelizationFactor, 0);
  const account = (x: HeadroomRow) => {
    if (x.status !== 'over') return x;
    x.remedy = 'raise the account quota';
    x.explanation = `${x.check}: ${about(x.demand)} executions is more than the default ${LAMBDA_LIMITS.accountConcurrency.toLocaleString('en-US')} per account and region (shared with every other function there); request more in Service Quotas, or cap the worker lower.`;
    return x;
  };
  rows.push(
    account(
      row(
        `Lambda concurrency at peak (Kinesis ${kinesisSlots} slots + worker)`,
        kinesisSlots + workerPeakConcurrency,
        LAMBDA_LIMITS.accountConcurrency,
        'executions',
      ),
    ),
  );
  rows.push(
    account(
      row(
        'Lambda concurrency worst case (Kinesis slots + worker cap)',
        kinesisSlots + workerCap,
        LAMBDA_LIMITS.accountConcurrency,
        'executions',
      ),
    ),
  );
  return rows;
}
