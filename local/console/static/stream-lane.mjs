// The console page's stream lane: the event stream, its consumers with their positions, the archive's
// Firehose and buckets, and the replay bar.

import { act } from './api.mjs';
import { byId, fieldLine, h, stat } from './dom.mjs';
import { laneSection } from './lane.mjs';

/** replay parameters of the last dry run: the replay button needs one with the same parameters first */
let dryRunKey;

function consumerCard(topo, m) {
  const f = byId(topo.functions, m.functionId);
  const pause = h('button', { class: 'ghost', 'data-act': 'pause', text: 'Pause' });
  pause.addEventListener('click', () => {
    const paused = pause.dataset.paused === 'true';
    act(paused ? 'resume' : 'pause', { mapping: m.id }, pause);
  });
  const redriveDry = h('button', { class: 'ghost', 'data-act': 'redrive-failures-dry', text: 'Failures: dry run' });
  const redrive = h('button', { class: 'ghost', 'data-act': 'redrive-failures', text: 'Redrive failures' });
  redriveDry.addEventListener('click', () => act('redrive-failures', { consumer: m.consumer, dryRun: true }, redriveDry));
  redrive.addEventListener('click', () => act('redrive-failures', { consumer: m.consumer }, redrive));
  const settings = [
    m.startingPosition,
    `batch ${m.batchSize}`,
    `window ${m.windowSeconds} s`,
    m.parallelizationFactor > 1 ? `parallelization ${m.parallelizationFactor}` : '',
    m.bisect ? 'bisect' : '',
    `retries ${m.retryAttempts < 0 ? '∞' : m.retryAttempts}`,
    m.filtered ? 'filtered' : 'no filter',
    m.efo ? `EFO ${m.efo}` : '',
  ].filter(Boolean);
  const sends = f.sendsTo.map((id) => byId(topo.queues, id)?.name ?? byId(topo.streams, id)?.name).filter(Boolean);
  return h(
    'div',
    { class: 'card function consumer', 'data-node': m.id, 'data-consumer': m.consumer, 'data-function-node': m.functionId },
    h(
      'div',
      { class: 'title' },
      h('span', { class: 'kind', text: 'λ consumer' }),
      m.consumer,
      h('span', { class: 'badge', 'data-field': 'status', text: '…' }),
    ),
    h(
      'div',
      { class: 'position' },
      h('div', { class: 'track' }, h('div', { class: 'fill', 'data-bar': 'position' })),
      fieldLine('lagline', ['behind', '0'], ' records behind the tip · ', ['millisBehind', '0 ms'], ' behind'),
    ),
    h('div', { class: 'shards', 'data-list': 'shards' }),
    h(
      'div',
      { class: 'stats small' },
      stat('invocations', 'invocations'),
      stat('records ok', 'recordsOk'),
      stat('failed', 'recordsFailed', 'warn'),
      stat('filtered out', 'filteredOut'),
      stat('to failure bucket', 'onFailure', 'warn'),
    ),
    fieldLine('sub', 'direct invocations (replay / redrive / rewind): ', ['direct', '0']),
    fieldLine('sub', 'last invocation: ', h('span', { 'data-field': 'last', text: '–' }), ' · retries in progress: ', ['retrying', '0']),
    fieldLine('sub', 'λ errors ', ['errors', '0'], ' · duration avg ', ['avgDuration', '–'], ', last ', ['lastDuration', '–']),
    sends.length ? h('div', { class: 'sub', text: `enqueues to ${sends.join(', ')}` }) : null,
    h('div', { class: 'sub mono', text: settings.join(' · ') }),
    h('div', { class: 'buttons' }, pause, m.onFailure?.kind === 's3' ? [redriveDry, redrive] : null),
  );
}

function replayBar(topo, lane) {
  const now = new Date();
  const from = new Date(now.getTime() - 3_600_000);
  from.setUTCMinutes(0, 0, 0);
  const to = new Date(now.getTime() + 3_600_000);
  to.setUTCMinutes(0, 0, 0);
  const fromIn = h('input', { type: 'text', value: from.toISOString().replace('.000', ''), 'data-input': 'replay-from', class: 'time' });
  const toIn = h('input', { type: 'text', value: to.toISOString().replace('.000', ''), 'data-input': 'replay-to', class: 'time' });
  const consumers = lane.consumers.map((id) => byId(topo.kinesisMappings, id).consumer);
  const target = h(
    'select',
    { 'data-input': 'replay-target' },
    h('option', { value: 'stream', text: 'the stream (every consumer)' }),
    consumers.map((c) => h('option', { value: `consumer:${c}`, text: `consumer: ${c} only` })),
  );
  const dry = h('button', { class: 'ghost', 'data-act': 'replay-dry', text: 'Dry run' });
  const go = h('button', { class: 'primary', 'data-act': 'replay', text: 'Replay', disabled: true });
  const note = h('span', { class: 'muted hint', 'data-field': 'replay-note', text: 'dry run first: it counts what would be sent' });
  const key = () => JSON.stringify([fromIn.value, toIn.value, target.value]);
  const invalidate = () => {
    go.disabled = dryRunKey !== key();
  };
  for (const el of [fromIn, toIn, target]) el.addEventListener('input', invalidate);
  target.addEventListener('change', invalidate);
  dry.addEventListener('click', async () => {
    const k = key();
    const out = await act('replay', { from: fromIn.value, to: toIn.value, target: target.value, dryRun: true }, dry);
    if (out?.ok) {
      dryRunKey = k;
      note.textContent = `dry run: ${out.summary?.matched ?? '?'} event(s) match; Replay sends them to ${target.value}`;
    } else note.textContent = out?.text ?? 'dry run failed';
    invalidate();
  });
  go.addEventListener('click', async () => {
    const out = await act('replay', { from: fromIn.value, to: toIn.value, target: target.value }, go);
    dryRunKey = undefined;
    invalidate();
    if (out) note.textContent = out.ok ? `replayed: sent ${out.summary?.sent ?? '?'} to ${target.value}` : out.text;
  });
  return h('div', { class: 'bar' }, h('b', { text: 'Replay from the archive' }), 'from', fromIn, 'to', toIn, '→', target, dry, go, note);
}

function streamCard(s) {
  return h(
    'div',
    { class: 'card stream', 'data-node': s.id, 'data-kind': 'stream' },
    h('div', { class: 'title' }, h('span', { class: 'kind', text: `Kinesis ${s.role === 'events' ? 'events stream' : 'stream'}` }), s.name),
    h('div', { class: 'stats' }, stat('records in the log', 'records', 'big'), stat('shards', 'shardCount')),
    h('div', { class: 'shard-list', 'data-list': 'stream-shards' }),
    h('div', {
      class: 'sub',
      text: `${s.mode}${s.mode === 'ON_DEMAND' ? '' : `, ${s.shardCount} shards`}, retention ${s.retentionHours} h — events stay; positions belong to the consumers`,
    }),
  );
}

function bucketCard(b, extra) {
  const kind = b.role === 'archive' ? 'S3 archive' : b.role === 'failures' ? 'S3 failure bucket' : 'S3 bucket';
  return h(
    'div',
    { class: `card bucket ${b.role}`, 'data-node': b.id, 'data-kind': 'bucket' },
    h('div', { class: 'title' }, h('span', { class: 'kind', text: kind }), b.name),
    extra,
  );
}

export function streamLane(topo, lane) {
  const s = byId(topo.streams, lane.stream);
  const ds = lane.deliveryStreams.map((id) => byId(topo.deliveryStreams, id));
  return laneSection(
    topo,
    lane,
    s.name,
    [replayBar(topo, lane)],
    [
      h('div', { class: 'col' }, streamCard(s)),
      h(
        'div',
        { class: 'col consumers' },
        lane.consumers.map((id) => consumerCard(topo, byId(topo.kinesisMappings, id))),
        ds.map((d) =>
          h(
            'div',
            { class: 'card firehose', 'data-node': d.id, 'data-kind': 'firehose' },
            h('div', { class: 'title' }, h('span', { class: 'kind', text: 'Firehose' }), d.name),
            fieldLine(
              'sub',
              'buffered: ',
              ['buffered', '0'],
              ` · ${d.compression}, every ${d.bufferingIntervalSeconds} s or ${d.bufferingSizeMiB} MiB`,
            ),
            h('div', { class: 'sub mono', text: d.prefix }),
          ),
        ),
      ),
      h(
        'div',
        { class: 'col' },
        lane.failureBuckets.map((id) =>
          bucketCard(
            byId(topo.buckets, id),
            h(
              'div',
              {},
              h('div', { class: 'stats' }, stat('failure objects', 'objects', 'big'), stat('redriven', 'redriven')),
              h('div', { class: 'failure-list', 'data-list': 'failures' }),
            ),
          ),
        ),
        [...new Set(ds.map((d) => d.bucketId))].map((id) =>
          bucketCard(
            byId(topo.buckets, id),
            h(
              'div',
              { class: 'stats' },
              stat('objects', 'objects', 'big'),
              stat('records', 'records'),
              stat('error objects', 'errorObjects', 'warn'),
            ),
          ),
        ),
      ),
    ],
  );
}
