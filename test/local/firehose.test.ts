import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createClock } from '../../local/clock';
import { evaluatePrefix, formatJavaDate, objectSuffix, PrefixExpressionError, startFirehose } from '../../local/firehose';
import type { LocalDeliveryStream, LocalStream } from '../../local/types';
import { createBucket, createStream, putEvents, startEmulators, type Emulators } from './lambda/harness';
import { useForFile } from '../support/hooks';
import { getObject, listKeys } from '../support/aws';
import { waitFor } from '../support/wait';

let e: Emulators;
let n = 0;
useForFile(startEmulators, (started) => {
  e = started;
});

function deliveryStream(stream: LocalStream, bucket: string, overrides: Partial<LocalDeliveryStream> = {}): LocalDeliveryStream {
  return {
    logicalId: 'Archive',
    name: `archive-${n}`,
    sourceStream: stream,
    bucket: { logicalId: 'Bucket', name: bucket, arn: `arn:aws:s3:::${bucket}` },
    prefix: 'events/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
    errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy}/',
    bufferingIntervalSeconds: 60,
    bufferingSizeMiB: 5,
    compression: 'GZIP',
    appendDelimiter: true,
    delimiter: '\n',
    ...overrides,
  };
}

describe('Firehose stand-in', () => {
  it('writes one GZIP NDJSON object per buffer interval holding exactly the published records, under the evaluated prefix', async () => {
    const stream = await createStream(e, `fh-${++n}`, 2);
    const bucket = `archive-bucket-${n}`;
    await createBucket(e, bucket);
    const ds = deliveryStream(stream, bucket);
    // 60 s interval × 0.01 = 0.6 s
    const fh = await startFirehose([ds], { clock: createClock(0.01), endpoints: e.endpoints, pollIntervalMs: 50 });
    try {
      const events = Array.from({ length: 40 }, (_, i) => ({ id: `e${i}`, pk: `pk${i % 7}` }));
      await putEvents(e, stream, events);
      await waitFor('40 archived records', () => fh.stats()[ds.name]!.recordsArchived === 40, { timeoutMs: 20_000 });
      const keys = await listKeys(e.s3, bucket);
      expect(keys).toHaveLength(fh.stats()[ds.name]!.objectsWritten);
      const now = new Date();
      const y = String(now.getUTCFullYear());
      const m = String(now.getUTCMonth() + 1).padStart(2, '0');
      for (const key of keys) {
        expect(key).toMatch(new RegExp(`^events/${y}/${m}/\\d{2}/${ds.name}-1-${y}-${m}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f-]{36}\\.gz$`));
      }
      const lines = (await Promise.all(keys.map(async (k) => gunzipSync(await getObject(e.s3, bucket, k)).toString('utf8'))))
        .map((text) => {
          expect(text.endsWith('\n')).toBe(true); // each record followed by the delimiter
          return text;
        })
        .join('')
        .split('\n')
        .filter(Boolean);
      expect(lines.map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(events.map((ev) => ev.id).sort());
    } finally {
      await fh.stop();
    }
  });

  it('flushes early when the buffer reaches its size, and flushes the rest on stop; uncompressed without delimiter', async () => {
    const stream = await createStream(e, `fh-${++n}`);
    const bucket = `archive-bucket-${n}`;
    await createBucket(e, bucket);
    const ds = deliveryStream(stream, bucket, {
      bufferingSizeMiB: 1,
      bufferingIntervalSeconds: 900,
      compression: 'UNCOMPRESSED',
      appendDelimiter: false,
      prefix: '',
    });
    const fh = await startFirehose([ds], { clock: createClock(1), endpoints: e.endpoints, pollIntervalMs: 50 });
    const big = 'x'.repeat(300 * 1024);
    await putEvents(
      e,
      stream,
      Array.from({ length: 4 }, (_, i) => ({ id: `big${i}`, pk: 'a', action: big })),
    );
    await waitFor('a size-triggered object', () => fh.stats()[ds.name]!.objectsWritten === 1, { timeoutMs: 20_000 });
    await putEvents(e, stream, [{ id: 'tail', pk: 'a' }]);
    await waitFor('the tail record buffered', () => fh.stats()[ds.name]!.bufferedRecords === 1, { timeoutMs: 20_000 });
    await fh.stop();
    const stats = fh.stats()[ds.name]!;
    expect(stats).toMatchObject({ objectsWritten: 2, recordsArchived: 5, recordsFailed: 0 });
    const keys = await listKeys(e.s3, bucket);
    expect(keys).toHaveLength(2);
    for (const k of keys) expect(k).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\d{2}\/archive-\d+-1-\d{4}(-\d{2}){5}-[0-9a-f-]{36}$/); // default prefix
    const bodies = await Promise.all(keys.map(async (k) => (await getObject(e.s3, bucket, k)).toString('utf8')));
    const tail = bodies.find((b) => b.includes('"tail"'))!;
    expect(tail).toBe(JSON.stringify({ id: 'tail', pk: 'a' })); // no delimiter appended
  });

  it('evaluates prefix expressions the way Firehose does', () => {
    const t = new Date(Date.UTC(2026, 0, 5, 7, 8, 9, 45));
    expect(evaluatePrefix('year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/', t)).toBe(
      'year=2026/month=01/day=05/hour=07/',
    );
    expect(evaluatePrefix("dt=!{timestamp:yyyy'-'MM'-'dd}/", t)).toBe('dt=2026-01-05/');
    expect(evaluatePrefix('r=!{firehose:random-string}/', t, { randomString: () => 'abc' })).toBe('r=abc/');
    expect(evaluatePrefix('!{firehose:error-output-type}/', t, { errorOutputType: 'processing-failed' })).toBe('processing-failed/');
    expect(evaluatePrefix('!{firehose:random-string}', t)).toMatch(/^[A-Za-z0-9]{11}$/);
    expect(() => evaluatePrefix('!{firehose:error-output-type}/', t)).toThrow(PrefixExpressionError);
    expect(() => evaluatePrefix('!{partitionKeyFromQuery:x}/', t)).toThrow(/unsupported prefix expression/);
    expect(formatJavaDate('yyyy-MM-dd HH:mm:ss.SSS', t)).toBe('2026-01-05 07:08:09.045');
    expect(objectSuffix('s', t, true)).toMatch(/^s-1-2026-01-05-07-08-09-[0-9a-f-]{36}\.gz$/);
  });

  it('refuses settings it cannot honour at start, naming the delivery stream', async () => {
    const stream = await createStream(e, `fh-${++n}`);
    const ds = deliveryStream(stream, 'nowhere', { compression: 'Snappy' });
    await expect(startFirehose([ds], { clock: createClock(1), endpoints: e.endpoints })).rejects.toThrow(
      `delivery stream ${ds.name}: compression Snappy`,
    );
  });
});
