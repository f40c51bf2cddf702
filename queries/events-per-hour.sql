-- events-per-hour: Events per type per UTC hour of occurredAt, with how many of them are replayed copies and how many distinct envelope ids.
-- params: from, to
-- dialect: one text for both engines. from_iso8601_timestamp and to_iso8601 are Trino functions; locally they are DuckDB macros of the same name (tools/query/duckdb-engine.ts), and try() exists in both.
SELECT
  to_iso8601(date_trunc('hour', try(from_iso8601_timestamp(occurredAt)))) AS hour_utc,
  type,
  count(*) AS events,
  count(replay) AS replayed_copies,
  count(DISTINCT id) AS distinct_ids
FROM events
WHERE try(from_iso8601_timestamp(occurredAt)) >= from_iso8601_timestamp(:from)
  AND try(from_iso8601_timestamp(occurredAt)) < from_iso8601_timestamp(:to)
GROUP BY 1, 2
ORDER BY 1, 2
