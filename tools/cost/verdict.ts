// The two choices the template leaves to a fork, computed rather than guessed: on-demand vs provisioned
// (the stream and the idempotency tables) and shared vs enhanced fan-out reads.
import type { AssemblySettings } from './assembly';
import { assumedShards, effectiveConsumers, idempotencyLoads, provisionedShardsNeeded } from './flow';
import { SHARD_LIMITS } from './limits';
import { type KinesisScenario, kinesisLines } from './line-items';
import { HOURS_PER_MONTH, SECONDS_PER_MONTH, type PriceTable } from './prices';
import { sum } from './units';
import { rates, validateWorkload, type Workload } from './workload';

export interface Verdict {
  onDemandUsd: number;
  provisionedUsd: number;
  provisionedShards: number;
  /** smallest peak ÷ average at which on-demand is cheaper; undefined when not within 1,000× */
  onDemandBreakEvenPeakFactor?: number;
  sharedUsd: number;
  allEfoUsd: number;
  pollingReaders: number;
  /** idempotency tables: on-demand write cost vs WCUs provisioned for the peak (writes only; storage is the same) */
  dynamo?: DynamoVerdict;
  lines: string[];
}

export interface DynamoVerdict {
  onDemandUsd: number;
  provisionedUsd: number;
  provisionedWcu: number;
  /** peak ÷ average above which on-demand writes are cheaper than WCUs provisioned for the peak */
  breakEvenPeakFactor: number;
  line: string;
}

/** On-demand vs provisioned for the idempotency tables' writes (the only request they make per record). */
function dynamoVerdict(s: AssemblySettings, w: Workload, p: PriceTable): DynamoVerdict | undefined {
  const loads = idempotencyLoads(s, w).filter((l) => l.functions.length > 0);
  if (!loads.length) return undefined;
  const d = p.dynamodb;
  const avgWru = loads.reduce((n, l) => n + l.functions.reduce((m, f) => m + f.recordsPerSecond * f.wruPerRecord, 0), 0);
  const onDemandUsd = ((avgWru * SECONDS_PER_MONTH) / 1e6) * d.onDemandWriteUnitsPerMillion.usd;
  const provisionedWcu = Math.max(1, Math.ceil(avgWru * w.peakFactor));
  const provisionedUsd = provisionedWcu * HOURS_PER_MONTH * d.provisionedWcuHour.usd;
  // One WCU used all month = SECONDS_PER_MONTH writes; on-demand is cheaper once the average uses less than this share of the peak.
  const breakEvenPeakFactor =
    ((SECONDS_PER_MONTH / 1e6) * d.onDemandWriteUnitsPerMillion.usd) / (HOURS_PER_MONTH * d.provisionedWcuHour.usd);
  const cheaper = onDemandUsd <= provisionedUsd ? 'on-demand is cheaper' : 'provisioned is cheaper on price alone';
  const money = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const line =
    `DynamoDB idempotency writes: on-demand ${money(onDemandUsd)}/month vs ${provisionedWcu.toLocaleString('en-US')} WCU provisioned for the ${w.peakFactor}× peak ${money(provisionedUsd)}/month → ${cheaper}; ` +
    `provisioned pays off only when the peak stays under ~${breakEvenPeakFactor.toFixed(1)}× the average and someone manages the capacity (a replay burst beyond it is throttled).`;
  return { onDemandUsd, provisionedUsd, provisionedWcu, breakEvenPeakFactor, line };
}

/** On-demand vs provisioned and shared vs enhanced fan-out, both computed, not guessed. */
export function verdict(s: AssemblySettings, w: Workload, p: PriceTable): Verdict {
  validateWorkload(w);
  const consumers = effectiveConsumers(s, w);
  const lines: string[] = [];
  const dynamo = dynamoVerdict(s, w, p);
  if (!s.stream)
    return {
      onDemandUsd: 0,
      provisionedUsd: 0,
      provisionedShards: 0,
      sharedUsd: 0,
      allEfoUsd: 0,
      pollingReaders: 0,
      dynamo,
      lines: ['no Kinesis stream in the template', ...(dynamo ? [dynamo.line] : [])],
    };

  const current = consumers.map((c) => c.efo);
  const kin = (sc: KinesisScenario) => sum(kinesisLines(s, w, p, sc));
  const odShards = assumedShards(s, w, 'ON_DEMAND');
  const needed = provisionedShardsNeeded(s, w);
  const onDemandUsd = kin({ mode: 'ON_DEMAND', shards: odShards, efo: current });
  const provisionedUsd = kin({ mode: 'PROVISIONED', shards: needed, efo: current });
  let breakEven: number | undefined;
  for (let f = 1; f <= 1000; f = f < 10 ? f + 0.5 : Math.round(f * 1.1)) {
    const wf = { ...w, peakFactor: f };
    if (kin({ mode: 'PROVISIONED', shards: provisionedShardsNeeded(s, wf), efo: current }) > onDemandUsd) {
      breakEven = f;
      break;
    }
  }
  const cheaper = onDemandUsd < provisionedUsd ? 'on-demand' : 'provisioned';
  lines.push(
    `Kinesis at this volume: provisioned with ${needed} shard(s) sized for the ${w.peakFactor}× peak $${provisionedUsd.toFixed(2)}/month vs on-demand $${onDemandUsd.toFixed(2)}/month → ${cheaper} is cheaper` +
      (s.stream.mode === 'PROVISIONED'
        ? ` (the template has ${s.stream.shardCount} shard(s)${(s.stream.shardCount ?? 1) < needed ? ', too few for the peak' : ''}).`
        : ' (the template is on-demand).'),
  );
  lines.push(
    breakEven !== undefined
      ? `On-demand pays off when the peak is more than ~${breakEven}× the average (spiky or unknown traffic), or when nobody will reshard; below that provisioned shards are cheaper.`
      : 'On-demand does not pay off on price at this volume even for a 1,000× peak; choose it only for unknown traffic or to avoid resharding.',
  );

  const shardsNow = assumedShards(s, w);
  const mode = s.stream.mode;
  const sharedUsd = kin({ mode, shards: shardsNow, efo: consumers.map(() => false) });
  const allEfoUsd = kin({ mode, shards: shardsNow, efo: consumers.map(() => true) });
  const pollingReaders = consumers.length + (s.archive ? 1 : 0);
  const r = rates(w);
  const sharedReadPerShard = (pollingReaders * r.peakWriteMibps) / shardsNow;
  const efoDelta = allEfoUsd - sharedUsd;
  if (pollingReaders > SHARD_LIMITS.getRecordsTps || sharedReadPerShard > SHARD_LIMITS.readMibps) {
    const moreShards =
      mode === 'PROVISIONED' && pollingReaders <= SHARD_LIMITS.getRecordsTps
        ? kin({ mode, shards: Math.max(needed, shardsNow), efo: current }) - kin({ mode, shards: shardsNow, efo: current })
        : undefined;
    lines.push(
      `Shared reads run out here: ${pollingReaders} polling readers (incl. Firehose) need ${sharedReadPerShard.toFixed(2)} MB/s and ${pollingReaders} GetRecords/s per shard against 2 MB/s and 5/s. ` +
        `Enhanced fan-out for all ${consumers.length} consumers adds $${efoDelta.toFixed(2)}/month` +
        (moreShards !== undefined
          ? `; resharding to ${Math.max(needed, shardsNow)} shards adds $${moreShards.toFixed(2)}/month → ${moreShards < efoDelta ? 'more shards are cheaper; EFO pays off only for read latency' : 'EFO pays off'}.`
          : ' → EFO pays off (more shards do not lift the 5 GetRecords/s each reader shares).'),
    );
  } else {
    lines.push(
      `Enhanced fan-out does not pay off on capacity here: ${pollingReaders} polling readers (incl. Firehose) use ${sharedReadPerShard.toFixed(2)} of 2 MB/s and ${pollingReaders} of 5 GetRecords/s per shard. EFO for all ${consumers.length} consumers would add $${efoDelta.toFixed(2)}/month; ` +
        'it pays off beyond ~2 polling readers per shard when read latency matters (a dedicated 2 MB/s push per consumer, ~70 ms instead of up to a second or more when readers contend for 5 calls/s), or once the shared 2 MB/s runs out.',
    );
  }
  if (dynamo) lines.push(dynamo.line);
  return {
    onDemandUsd,
    provisionedUsd,
    provisionedShards: needed,
    onDemandBreakEvenPeakFactor: breakEven,
    sharedUsd,
    allEfoUsd,
    pollingReaders,
    dynamo,
    lines,
  };
}
