-- find-by-id: Every archived copy of one envelope id (the original, producer retries, replayed copies), in arrival order.
-- params: from, to, id
-- dialect: one text for both engines. The range is on the archive hours the copies arrived in, not on occurredAt: a replayed copy keeps occurredAt but arrives when it was replayed, so widen --to to find later replays.
-- dialect: replay is a struct on both; its fields are read one by one (Athena prints a whole struct as {a=…}, DuckDB as JSON).
SELECT
  id,
  type,
  version,
  occurredAt AS occurred_at,
  partitionKey AS partition_key,
  replay.replayId AS replay_id,
  replay.replayedAt AS replayed_at,
  replay.target AS replay_target,
  data
FROM events
WHERE id = :id
ORDER BY replay.replayedAt NULLS FIRST, occurredAt
