import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  deliverySecondOf,
  groupBySecond,
  hourPrefix,
  hourPrefixes,
  listArchiveObjects,
  parseIsoTime,
  readArchive,
} from '../../../tools/ops/archive-reader';
import type { S3Sender } from '../../../tools/ops/s3-objects';
import { archiveKey, createBucket, orderPlaced, orderShipped, putArchiveObject, putRawObject, startCloud, type Cloud } from './harness';
import { useForFile } from '../../support/hooks';

let cloud: Cloud;
useForFile(startCloud, (started) => {
  cloud = started;
});

const at = (iso: string): Date => new Date(iso);

describe('archive hour prefixes', () => {
  it('covers hour(from) to the hour before an exclusive `to`, plus the late-arrival hour', () => {
    expect(hourPrefixes({ from: at('2026-05-01T22:15:00Z'), to: at('2026-05-02T00:00:00Z') })).toEqual([
      'events/year=2026/month=05/day=01/hour=22/',
      'events/year=2026/month=05/day=01/hour=23/',
      'events/year=2026/month=05/day=02/hour=00/', // late arrivals of events that occurred before 00:00
    ]);
    expect(hourPrefixes({ from: at('2026-05-01T22:15:00Z'), to: at('2026-05-01T23:30:00Z'), lateHours: 0 })).toEqual([
      'events/year=2026/month=05/day=01/hour=22/',
      'events/year=2026/month=05/day=01/hour=23/',
    ]);
  });

  it('rejects an empty or inverted range and times without a zone', () => {
    expect(() => hourPrefixes({ from: at('2026-05-01T10:00:00Z'), to: at('2026-05-01T10:00:00Z') })).toThrow(/--from must be before --to/);
    expect(() => parseIsoTime('2026-05-01T10:00:00', '--from')).toThrow(/with a zone/);
    expect(parseIsoTime('2026-05-01T10:00:00+02:00', '--from').toISOString()).toBe('2026-05-01T08:00:00.000Z');
    expect(() => parseIsoTime('yesterday', '--to')).toThrow(/--to must be an ISO-8601 time/);
  });
});

describe('archive write order', () => {
  it('groups Firehose object names by the second they carry; other names stand alone', () => {
    const a =
      'events/year=2026/month=05/day=01/hour=10/QueueAndStream-Dev-EventArchive-1-2026-05-01-10-00-07-0f3c1a2b-1111-4222-8333-944455556666.gz';
    const b =
      'events/year=2026/month=05/day=01/hour=10/QueueAndStream-Dev-EventArchive-1-2026-05-01-10-00-07-a0000000-1111-4222-8333-944455556666.gz';
    const c =
      'events/year=2026/month=05/day=01/hour=10/QueueAndStream-Dev-EventArchive-1-2026-05-01-10-00-08-00000000-1111-4222-8333-944455556666.gz';
    expect(deliverySecondOf(a)).toBe('events/year=2026/month=05/day=01/hour=10/QueueAndStream-Dev-EventArchive-1-2026-05-01-10-00-07');
    expect(deliverySecondOf('events/manual-upload.ndjson')).toBe('events/manual-upload.ndjson');
    expect(groupBySecond([a, b, c, 'events/x'])).toEqual([[a, b], [c], ['events/x']]);
  });

  it('reads objects of one second in the order of their first record, not of their random suffix', async () => {
    const bucket = await createBucket(cloud);
    const t = at('2026-05-01T10:00:07Z');
    const stem = archiveKey(t).replace(/-[0-9a-f-]{36}\.gz$/, '');
    const ms = (n: number): Date => new Date(t.getTime() + n);
    // written first, named last
    const early = await putArchiveObject(cloud, bucket, t, [orderPlaced('o-1', ms(1)), orderShipped('o-1', ms(2))], `${stem}-ffff.gz`);
    const late = await putArchiveObject(cloud, bucket, t, [orderShipped('o-1', ms(3))], `${stem}-0000.gz`);
    // a replay's copies: ordered by replayedAt, whatever their occurredAt
    const replayedAt = (n: number) => ({ replayId: 'r', replayedAt: ms(100 + n).toISOString(), target: 'stream' });
    const replayB = await putArchiveObject(
      cloud,
      bucket,
      t,
      [{ ...orderPlaced('o-2', ms(-5000)), replay: replayedAt(2) }],
      `${stem}-1111.gz`,
    );
    const replayA = await putArchiveObject(
      cloud,
      bucket,
      t,
      [{ ...orderPlaced('o-2', ms(-9000)), replay: replayedAt(1) }],
      `${stem}-eeee.gz`,
    );
    const keys = await listArchiveObjects(cloud.clients.s3, bucket, { from: t, to: at('2026-05-01T11:00:00Z') });
    expect(keys).toEqual([late, replayB, replayA, early]);
    const order: string[] = [];
    for await (const o of readArchive(cloud.clients.s3, bucket, keys)) order.push(o.key);
    expect(order).toEqual([early, late, replayA, replayB]);
  });
});

describe('archive reader against S3 (fauxqs)', () => {
  it('lists only the hour prefixes in range, never the whole bucket', async () => {
    const bucket = await createBucket(cloud);
    const inRange = [at('2026-05-01T10:05:00Z'), at('2026-05-01T11:59:00Z')];
    const outside = [at('2026-05-01T08:00:00Z'), at('2026-05-01T14:00:00Z'), at('2026-04-30T10:00:00Z')];
    for (const t of [...inRange, ...outside]) await putArchiveObject(cloud, bucket, t, [orderPlaced(`o-${t.getTime()}`, t)]);
    const prefixes: (string | undefined)[] = [];
    const spy: S3Sender = {
      send: ((command: unknown) => {
        if (command instanceof ListObjectsV2Command) prefixes.push(command.input.Prefix);
        return cloud.clients.s3.send(command as never);
      }) as S3Sender['send'],
    };
    const keys = await listArchiveObjects(spy, bucket, { from: at('2026-05-01T10:00:00Z'), to: at('2026-05-01T12:00:00Z'), lateHours: 0 });
    expect(prefixes).toEqual([hourPrefix(at('2026-05-01T10:00:00Z')), hourPrefix(at('2026-05-01T11:00:00Z'))]);
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => k.includes('hour=10/') || k.includes('hour=11/'))).toBe(true);
  });

  it('reports a corrupt GZIP object and a corrupt line with key, line number and reason, and reads the rest', async () => {
    const bucket = await createBucket(cloud);
    const t = at('2026-05-01T10:00:00Z');
    const good = [orderPlaced('o-1', t), orderPlaced('o-2', t)];
    const mixedKey = await putArchiveObject(cloud, bucket, t, [
      good[0]!,
      '{"kind":"event","id":"not-a-uuid"}',
      'not json at all',
      good[1]!,
    ]);
    const badGzipKey = archiveKey(at('2026-05-01T10:30:00Z'));
    await putRawObject(cloud, bucket, badGzipKey, Buffer.concat([gzipSync('x').subarray(0, 4), Buffer.from('garbage')]));
    const keys = await listArchiveObjects(cloud.clients.s3, bucket, { from: t, to: at('2026-05-01T11:00:00Z') });
    const objects = [];
    for await (const o of readArchive(cloud.clients.s3, bucket, keys)) objects.push(o);
    const mixed = objects.find((o) => o.key === mixedKey)!;
    expect(mixed.events.map((e) => [e.line, e.envelope.id])).toEqual([
      [1, good[0]!.id],
      [4, good[1]!.id],
    ]);
    expect(mixed.issues).toEqual([
      { key: mixedKey, line: 2, reason: expect.stringMatching(/^not-an-envelope: .*id/) },
      { key: mixedKey, line: 3, reason: expect.stringMatching(/^not-json: /) },
    ]);
    const broken = objects.find((o) => o.key === badGzipKey)!;
    expect(broken.events).toEqual([]);
    expect(broken.issues).toEqual([{ key: badGzipKey, line: 0, reason: expect.stringMatching(/^not a readable GZIP object/) }]);
  });
});
