// Partial batch responses (ReportBatchItemFailures), SQS and streams alike:
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
// https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
// Success: null/empty response, null or empty batchItemFailures. Whole-batch failure: an itemIdentifier that is
// empty, null, under a wrong key name, or not in the batch.

export type BatchVerdict = { kind: 'success' } | { kind: 'partial'; failedIds: string[] } | { kind: 'invalid'; reason: string };

export function parseBatchResponse(result: unknown, batchIds: ReadonlySet<string>): BatchVerdict {
  if (result === null || result === undefined) return { kind: 'success' };
  if (typeof result !== 'object' || Array.isArray(result)) return { kind: 'success' }; // not an EventResponse: nothing reported
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'invalid', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const ids: string[] = [];
  for (const f of failures) {
    const id = f && typeof f === 'object' ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '') return { kind: 'invalid', reason: `bad itemIdentifier ${JSON.stringify(f)}` };
    if (!batchIds.has(id)) return { kind: 'invalid', reason: `itemIdentifier ${id} is not in the batch` };
    ids.push(id);
  }
  return { kind: 'partial', failedIds: [...new Set(ids)] };
}

/** The envelope id when a payload is one of ours, else the transport id (message id / sequence number). */
export function recordId(payload: string, fallback: string): string {
  try {
    const parsed = JSON.parse(payload) as { id?: unknown; kind?: unknown };
    if (parsed && typeof parsed.id === 'string' && (parsed.kind === 'event' || parsed.kind === 'job' || parsed.kind === undefined))
      return parsed.id;
  } catch {
    // not JSON: fall through
  }
  return fallback;
}
