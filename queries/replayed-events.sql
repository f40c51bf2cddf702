-- replayed-events: Copies that npm run replay re-published to the stream (their replay marker: replayId, replayedAt, target), replayed between --from and --to.
-- params: from, to
-- dialect: one text for both engines. The range is on replay.replayedAt (when the copy was replayed, which is the hour it reached the archive), not on occurredAt. Replays to one consumer (--target consumer:<name>) never pass the stream, so only --target stream copies are archived.
SELECT
  replay.replayId AS replay_id,
  replay.replayedAt AS replayed_at,
  replay.target AS replay_target,
  id,
  type,
  occurredAt AS occurred_at,
  partitionKey AS partition_key
FROM events
WHERE replay IS NOT NULL
  AND try(from_iso8601_timestamp(replay.replayedAt)) >= from_iso8601_timestamp(:from)
  AND try(from_iso8601_timestamp(replay.replayedAt)) < from_iso8601_timestamp(:to)
ORDER BY replay.replayedAt, replay.replayId, occurredAt, id
