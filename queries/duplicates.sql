-- duplicates: Envelope ids archived more than once, split into original copies (a producer retry, a redelivery) and replayed copies.
-- params: from, to
-- dialect: one text for both engines. count(*) FILTER (WHERE …) is standard SQL that Trino and DuckDB both accept.
SELECT
  id,
  min(type) AS type,
  min(partitionKey) AS partition_key,
  count(*) AS copies,
  count(*) FILTER (WHERE replay IS NULL) AS original_copies,
  count(replay) AS replayed_copies
FROM events
WHERE try(from_iso8601_timestamp(occurredAt)) >= from_iso8601_timestamp(:from)
  AND try(from_iso8601_timestamp(occurredAt)) < from_iso8601_timestamp(:to)
GROUP BY id
HAVING count(*) > 1
ORDER BY min(occurredAt), id
