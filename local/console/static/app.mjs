// The local console page: plain JavaScript, no build step. It draws the topology the server derived from the
// synthesized template, then updates it from server-sent events (one `state` frame about once a second).
// Actions POST to /api/actions/<name> with the per-start token the server embedded in this page.

import { byId, h, stat } from './dom.mjs';
import { applyState } from './live.mjs';
import { drawWires, redrawOnResize, wiresLayer } from './wires.mjs';

const token = document.querySelector('meta[name="console-token"]').content;
const app = document.getElementById('app');
const activity = document.getElementById('activity');
let topo;
let lastState;
/** replay parameters of the last dry run: the replay button needs one with the same parameters first */
let dryRunKey;

// ── helpers ──────────────────────────────────────────────────────────────────────────────────────────────

const fnById = (id) => byId(topo.functions, id);

async function act(name, body, button) {
  if (button) button.disabled = true;
  try {
    const res = await fetch(`/api/actions/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-console-token': token },
      body: JSON.stringify(body),
    });
    const out = await res.json();
    return out;
  } catch (err) {
    addActivity({ action: name, ok: false, text: `request failed: ${err.message}`, at: Date.now(), ms: 0 });
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

function addActivity(entry) {
  const li = h(
    'li',
    { class: entry.ok ? 'ok' : 'bad', 'data-action': entry.action },
    h(
      'div',
      { class: 'head' },
      h('span', { class: 'when', text: new Date(entry.at).toLocaleTimeString() }),
      h('b', { text: entry.action }),
      h('span', { class: 'muted', text: `${entry.ms} ms` }),
    ),
    h('pre', { text: entry.text }),
  );
  activity.prepend(li);
  while (activity.children.length > 40) activity.lastChild.remove();
}

// ── topology ─────────────────────────────────────────────────────────────────────────────────────────────

function producerCard(id, target) {
  if (id === 'console') {
    const isQueue = !!byId(topo.queues, target);
    return h(
      'div',
      { class: 'card producer', 'data-node': `producer:${target}`, 'data-producer': 'console' },
      h('div', { class: 'title' }, h('span', { class: 'kind', text: 'producer' }), 'console / shell'),
      h('div', { class: 'sub mono', text: isQueue ? 'enqueueJobs() · npm run enqueue' : 'publishEvents() · npm run publish' }),
    );
  }
  const f = fnById(id);
  return h(
    'div',
    { class: 'card producer', 'data-node': `producer:${target}:${id}`, 'data-producer': f.name },
    h('div', { class: 'title' }, h('span', { class: 'kind', text: 'producer' }), f.name),
    h('div', { class: 'sub', text: 'λ sends here (its environment names it)' }),
  );
}

function functionStats() {
  return h(
    'div',
    { class: 'stats small' },
    stat('invocations', 'invocations'),
    stat('errors', 'errors', 'warn'),
    stat('avg duration', 'avgDuration'),
    stat('last', 'lastDuration'),
  );
}

function queueCard(q) {
  const role = q.role === 'jobs' ? 'jobs queue' : q.role === 'dlq' ? 'dead-letter queue' : 'queue';
  return h(
    'div',
    { class: `card queue ${q.role}`, 'data-node': q.id, 'data-kind': 'queue' },
    h('div', { class: 'title' }, h('span', { class: 'kind', text: `SQS ${role}` }), q.name),
    h(
      'div',
      { class: 'stats' },
      stat('visible', 'visible'),
      stat('in flight', 'inFlight'),
      stat('delayed', 'delayed'),
      stat('oldest', 'oldest'),
    ),
    h('div', {
      class: 'sub',
      text: `visibility ${q.visibilityTimeoutSeconds} s${q.redrive ? ` · DLQ after ${q.redrive.maxReceiveCount} receives` : ''}`,
    }),
  );
}

function dlqCard(q) {
  const dryBtn = h('button', { class: 'ghost', 'data-act': 'peek-dlq', text: 'Peek (dry run)' });
  const goBtn = h('button', { class: 'primary', 'data-act': 'redrive-dlq', text: 'Redrive DLQ → queue' });
  dryBtn.addEventListener('click', () => act('redrive-dlq', { dryRun: true }, dryBtn));
  goBtn.addEventListener('click', () => act('redrive-dlq', {}, goBtn));
  return h(
    'div',
    { class: 'card queue dlq', 'data-node': q.id, 'data-kind': 'queue' },
    h('div', { class: 'title' }, h('span', { class: 'kind', text: 'SQS dead-letter queue' }), q.name),
    h('div', { class: 'stats' }, stat('messages', 'depth', 'big'), stat('in flight', 'inFlight'), stat('oldest', 'oldest')),
    h('div', { class: 'dlq-list', 'data-list': 'dlq' }),
    h('div', { class: 'buttons' }, dryBtn, goBtn),
    h('div', { class: 'sub', text: 'npm run redrive -- jobs · fix the cause first (e.g. npm run function-env)' }),
  );
}

function workerCard(m) {
  const f = fnById(m.functionId);
  return h(
    'div',
    { class: 'card function worker', 'data-node': m.functionId, 'data-mapping': m.id, 'data-function': f.name },
    h('div', { class: 'title' }, h('span', { class: 'kind', text: `λ ${f.role ?? 'function'}` }), f.name),
    functionStats(),
    h(
      'div',
      { class: 'sub', text: `records ok ` },
      h('b', { 'data-field': 'recordsOk', text: '0' }),
      ' · failed ',
      h('b', { 'data-field': 'recordsFailed', text: '0' }),
    ),
    h('div', {
      class: 'sub mapping',
      'data-node': m.id,
      text: `mapping ${m.id}: batch ${m.batchSize}, window ${m.windowSeconds} s${m.partialBatchResponse ? ', partial batch response' : ''}${m.maximumConcurrency ? `, max concurrency ${m.maximumConcurrency}` : ''}${m.enabled ? '' : ', DISABLED'}`,
    }),
  );
}

function sendBar(kind) {
  const types = kind === 'job' ? topo.samples.jobs : topo.samples.events;
  const poison = topo.samples.poison[kind];
  const type = h(
    'select',
    { 'data-input': `${kind}-type` },
    types.map((t) => h('option', { value: t, text: t })),
  );
  const variant = h(
    'select',
    { 'data-input': `${kind}-variant` },
    h('option', { value: 'valid', text: 'valid' }),
    Object.entries(poison).map(([k, v]) => h('option', { value: k, text: `poison: ${k}`, title: v })),
  );
  const count = h('input', { type: 'number', min: '1', max: '500', value: '1', 'data-input': `${kind}-count`, class: 'count' });
  const btn = h('button', { class: 'primary', 'data-act': `send-${kind}`, text: kind === 'job' ? 'Enqueue job' : 'Publish event' });
  const hint = h('span', { class: 'muted hint' });
  const updateHint = () => {
    type.disabled = variant.value !== 'valid';
    hint.textContent =
      variant.value === 'valid' ? (kind === 'job' ? 'via npm run enqueue’s code' : 'via npm run publish’s code') : poison[variant.value];
  };
  variant.addEventListener('change', updateHint);
  updateHint();
  btn.addEventListener('click', () =>
    act(
      'send',
      { kind, ...(variant.value === 'valid' ? { type: type.value } : {}), variant: variant.value, count: Number(count.value) },
      btn,
    ),
  );
  return h(
    'div',
    { class: 'bar' },
    h('b', { text: kind === 'job' ? 'Send a job' : 'Send an event' }),
    type,
    variant,
    h('label', {}, '×', count),
    btn,
    hint,
  );
}

function queueLane(lane) {
  const q = byId(topo.queues, lane.queue);
  const dlq = lane.dlq ? byId(topo.queues, lane.dlq) : undefined;
  return h(
    'section',
    { class: 'lane jobs', 'data-lane': lane.queue },
    h(
      'h2',
      {},
      h('span', { class: 'tag', text: 'message queue' }),
      `Jobs: ${q.name}`,
      h('span', { class: 'muted', text: ' — one worker takes each job; done = deleted; failing too often = dead-lettered' }),
    ),
    sendBar('job'),
    h(
      'div',
      { class: 'flow' },
      h(
        'div',
        { class: 'col producers' },
        lane.producers.map((p) => producerCard(p, lane.queue)),
      ),
      h('div', { class: 'col' }, queueCard(q), dlq ? dlqCard(dlq) : null),
      h(
        'div',
        { class: 'col' },
        lane.workers.map((id) => workerCard(byId(topo.sqsMappings, id))),
      ),
      wiresLayer(),
    ),
  );
}

function consumerCard(m) {
  const f = fnById(m.functionId);
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
      h(
        'div',
        { class: 'lagline' },
        h('b', { 'data-field': 'behind', text: '0' }),
        ' records behind the tip · ',
        h('b', { 'data-field': 'millisBehind', text: '0 ms' }),
        ' behind',
      ),
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
    h('div', { class: 'sub' }, 'direct invocations (replay / redrive / rewind): ', h('b', { 'data-field': 'direct', text: '0' })),
    h(
      'div',
      { class: 'sub' },
      'last invocation: ',
      h('span', { 'data-field': 'last', text: '–' }),
      ' · retries in progress: ',
      h('b', { 'data-field': 'retrying', text: '0' }),
    ),
    h(
      'div',
      { class: 'sub' },
      'λ errors ',
      h('b', { 'data-field': 'errors', text: '0' }),
      ' · duration avg ',
      h('b', { 'data-field': 'avgDuration', text: '–' }),
      ', last ',
      h('b', { 'data-field': 'lastDuration', text: '–' }),
    ),
    sends.length ? h('div', { class: 'sub', text: `enqueues to ${sends.join(', ')}` }) : null,
    h('div', { class: 'sub mono', text: settings.join(' · ') }),
    h('div', { class: 'buttons' }, pause, m.onFailure?.kind === 's3' ? [redriveDry, redrive] : null),
  );
}

function replayBar(lane) {
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

function streamLane(lane) {
  const s = byId(topo.streams, lane.stream);
  const ds = lane.deliveryStreams.map((id) => byId(topo.deliveryStreams, id));
  return h(
    'section',
    { class: 'lane events', 'data-lane': lane.stream },
    h(
      'h2',
      {},
      h('span', { class: 'tag', text: 'event stream' }),
      `Events: ${s.name}`,
      h('span', { class: 'muted', text: ' — every consumer reads every event, at its own position' }),
    ),
    sendBar('event'),
    replayBar(lane),
    h(
      'div',
      { class: 'flow' },
      h(
        'div',
        { class: 'col producers' },
        lane.producers.map((p) => producerCard(p, lane.stream)),
      ),
      h('div', { class: 'col' }, streamCard(s)),
      h(
        'div',
        { class: 'col consumers' },
        lane.consumers.map((id) => consumerCard(byId(topo.kinesisMappings, id))),
        ds.map((d) =>
          h(
            'div',
            { class: 'card firehose', 'data-node': d.id, 'data-kind': 'firehose' },
            h('div', { class: 'title' }, h('span', { class: 'kind', text: 'Firehose' }), d.name),
            h(
              'div',
              { class: 'sub' },
              'buffered: ',
              h('b', { 'data-field': 'buffered', text: '0' }),
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
      wiresLayer(),
    ),
  );
}

function othersSection() {
  const o = topo.others;
  const items = [
    ...o.queues.map((id) => ['SQS queue', byId(topo.queues, id).name, id]),
    ...o.buckets.map((id) => ['S3 bucket', byId(topo.buckets, id).name, id]),
    ...o.tables.map((id) => [
      `DynamoDB ${byId(topo.tables, id).role === 'idempotency' ? 'idempotency table' : 'table'}`,
      byId(topo.tables, id).name,
      id,
    ]),
    ...o.functions.map((id) => ['λ (no event source)', fnById(id).name, id]),
  ];
  return h(
    'section',
    { class: 'lane others' },
    h('h2', { text: 'Also in the template' }),
    h(
      'div',
      { class: 'chips' },
      items.map(([k, n, id]) => h('div', { class: 'chip', 'data-node': id }, h('span', { class: 'kind', text: k }), n)),
    ),
    topo.notEmulated.length
      ? h('div', {
          class: 'sub',
          text: `not emulated (no local effect): ${topo.notEmulated.map((x) => `${x.type.replace(/^AWS::/, '')}${x.count > 1 ? ` ×${x.count}` : ''}`).join(', ')}`,
        })
      : null,
    topo.notes.map((n) => h('div', { class: 'sub', text: `note: ${n}` })),
  );
}

function render() {
  app.replaceChildren(
    h('div', {
      class: 'meta muted',
      text: `time scale ${topo.timeScale}${topo.timeScale === 1 ? ' (template waits run in real time)' : ` (every template wait runs ${+(1 / topo.timeScale).toFixed(2)}× faster)`}`,
    }),
    ...topo.lanes.map((l) => (l.kind === 'queue' ? queueLane(l) : streamLane(l))),
    othersSection(),
  );
  requestAnimationFrame(() => drawWires(topo));
}

function showState(s) {
  lastState = s;
  applyState(topo, s);
}

// ── wiring ───────────────────────────────────────────────────────────────────────────────────────────────

function connect() {
  const conn = document.getElementById('conn');
  const es = new EventSource('/api/events');
  es.addEventListener('topology', (e) => {
    const first = !topo;
    topo = JSON.parse(e.data);
    if (first) render();
    conn.dataset.state = 'live';
    if (lastState) showState(lastState);
  });
  es.addEventListener('state', (e) => {
    if (!topo) return;
    const first = !lastState;
    showState(JSON.parse(e.data));
    conn.dataset.state = 'live';
    document.body.dataset.ready = 'true';
    if (first) requestAnimationFrame(() => drawWires(topo));
  });
  es.addEventListener('action', (e) => addActivity(JSON.parse(e.data)));
  es.addEventListener('error', () => {
    conn.dataset.state = 'down';
    document.getElementById('conn-text').textContent = 'disconnected — retrying (is npm start still running?)';
  });
}

redrawOnResize(() => topo);
connect();
