// Plain progress lines (off a terminal: CI logs, pipes) must say what is true, and the last one must agree with
// the summary that follows it.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../../tools/ops/progress';

function plain(options: { intervalMs?: number } = {}) {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString('utf8')));
  let clock = 0;
  const progress = createProgress(stream, { now: () => clock, ...options });
  return { progress, lines: () => text.trim().split('\n'), tick: (ms: number) => (clock += ms) };
}

describe('plain progress lines', () => {
  it('a replay whose chunk goes out after the last object: the last line says what was sent, not "sent 0"', () => {
    const { progress, lines } = plain();
    progress.start(2, 'replaying to consumer:analytics');
    progress.object(1, { sent: 0, failed: 0 });
    progress.object(2, { sent: 0, failed: 0 });
    progress.update({ sent: 10, failed: 0 }); // the final flush
    progress.stop();
    expect(lines()).toEqual([
      'replaying to consumer:analytics: 2 objects',
      'replaying to consumer:analytics: 1/2 objects, sent 0, failed 0',
      'replaying to consumer:analytics: 2/2 objects, sent 0, failed 0',
      'replaying to consumer:analytics: 2/2 objects, sent 10, failed 0',
    ]);
  });

  it('a DLQ redrive has no total: no "0 object(s)", and the counts it moved, in its own words', () => {
    const { progress, lines } = plain();
    progress.start(undefined, 'redriving jobs', { unit: 'messages', words: { sent: 'moved' } });
    progress.update({ sent: 0, failed: 0 });
    progress.update({ sent: 2, failed: 0 });
    progress.stop();
    expect(lines()).toEqual(['redriving jobs: started', 'redriving jobs: done, moved 2, failed 0']);
    expect(lines().join('\n')).not.toMatch(/0 object/);
  });

  it('writes counts that move between units at most every intervalMs, and no line twice', () => {
    const { progress, lines, tick } = plain({ intervalMs: 1000 });
    progress.start(undefined, 'rewinding analytics', { unit: 'shards', words: { sent: 'delivered' } });
    progress.update({ sent: 100, failed: 0 });
    tick(1000);
    progress.update({ sent: 200, failed: 0 });
    progress.update({ sent: 300, failed: 1 });
    tick(1000);
    progress.update({ sent: 300, failed: 1 });
    progress.stop();
    expect(lines()).toEqual([
      'rewinding analytics: started',
      'rewinding analytics: delivered 200, failed 0',
      'rewinding analytics: delivered 300, failed 1',
      'rewinding analytics: done, delivered 300, failed 1',
    ]);
  });

  it('a dry run reports what it counted, never "sent 0"', () => {
    const { progress, lines } = plain();
    progress.start(1, 'failure objects for payments', { unit: 'failure objects', words: { matched: 'records', sent: 'redelivered' } });
    progress.object(1, { matched: 5 });
    progress.stop();
    expect(lines()).toEqual([
      'failure objects for payments: 1 failure objects',
      'failure objects for payments: 1/1 failure objects, records 5',
    ]);
  });

  it('nothing to go through: the start line only', () => {
    const { progress, lines } = plain();
    progress.start(0, 'replaying to stream');
    progress.stop();
    expect(lines()).toEqual(['replaying to stream: 0 objects']);
  });

  it('quiet and --json: nothing at all', () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString('utf8')));
    const progress = createProgress(stream, { quiet: true });
    progress.start(3, 'x');
    progress.object(3, { sent: 3 });
    progress.stop();
    expect(text).toBe('');
  });
});
