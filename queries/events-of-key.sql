-- events-of-key: The events of one partition key in order (occurredAt; a replayed copy right after its original), as its consumers saw them.
-- params: from, to, key
-- dialect: one text for both engines.
SELECT
  occurredAt AS occurred_at,
  type,
  id,
  replay.replayId AS replay_id,
  replay.replayedAt AS replayed_at,
  data
FROM events
WHERE partitionKey = :key
  AND try(from_iso8601_timestamp(occurredAt)) >= from_iso8601_timestamp(:from)
  AND try(from_iso8601_timestamp(occurredAt)) < from_iso8601_timestamp(:to)
ORDER BY try(from_iso8601_timestamp(occurredAt)), id, replay.replayedAt NULLS FIRST
