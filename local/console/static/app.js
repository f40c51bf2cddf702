// The local console page: plain JavaScript, no build step. It draws the topology the server derived from the
// synthesized template, then updates it from server-sent events (one `state` frame about once a second).
// Actions POST to /api/actions/<name> with the per-start token the server embedded in this page.

const token = document.querySelector('meta[name="console-token"]').content;
const app = document.getElementById('app');
const activity = document.getElementById('activity');
let topo;
let lastState;
/** replay parameters of the last dry run: the replay button needs one with the same parameters first */
let dryRunKey;

// ── helpers ──────────────────────────────────────────────────────────────────────────────────────────────

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const fmt = (n) => (n === undefined || n === null ? '–' : Number(n).toLocaleString('en-US'));
function ms(v) {
  if (v === undefined || v === null) return '–';
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)} s`;
  if (v < 3_600_000) return `${Math.floor(v / 60_000)} min ${Math.round((v % 60_000) / 1000)} s`;
  return `${(v / 3_600_000).toFixed(1)} h`;
}
const shortSeq = (s) => (s ? (s.length > 14 ? `…${s.slice(-10)}` : s) : '–');
const byId = (list, id) => list.find((x) => x.id === id);
const fnById = (id) => byId(topo.functions, id);
const nodeSel = (id) => `[data-node="${CSS.escape(id)}"]`;

function set(root, field, value, title) {
  if (!root) return;
  for (const el of root.querySelectorAll(`[data-field="${field}"]`)) {
    if (el.closest('[data-node]') !== root && root.matches('[data-node]')) continue;
    el.textContent = value;
    if (title !== undefined) el.title = title;
  }
}

function stat(label, field, cls = '') {
  return h('div', { class: `stat ${cls}` }, h('span', { class: 'num', 'data-field': field, text: '–' }), h('span', { class: 'lbl', text: label }));
}

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
    h('div', { class: 'head' }, h('span', { class: 'when', text: new Date(entry.at).toLocaleTimeString() }), h('b', { text: entry.action }), h('span', { class: 'muted', text: `${entry.ms} ms` })),
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
  return h('div', { class: 'stats small' }, stat('invocations', 'invocations'), stat('errors', 'errors', 'warn'), stat('avg duration', 'avgDuration'), stat('last', 'lastDuration'));
}

function queueCard(q) {
  const role = q.role === 'jobs' ? 'jobs queue' : q.role === 'dlq' ? 'dead-letter queue' : 'queue';
  return h(
    'div',
    { class: `card queue ${q.role}`, 'data-node': q.id, 'data-kind': 'queue' },
    h('div', { class: 'title' }, h('span', { class: 'kind', text: `SQS ${role}` }), q.name),
    h('div', { class: 'stats' }, stat('visible', 'visible'), stat('in flight', 'inFlight'), stat('delayed', 'delayed'), stat('oldest', 'oldest')),
    h('div', { class: 'sub', text: `visibility ${q.visibilityTimeoutSeconds} s${q.redrive ? ` · DLQ after ${q.redrive.maxReceiveCount} receives` : ''}` }),
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
    h('div', { class: 'sub', text: `records ok ` }, h('b', { 'data-field': 'recordsOk', text: '0' }), ' · failed ', h('b', { 'data-field': 'recordsFailed', text: '0' })),
    h('div', { class: 'sub mapping', 'data-node': m.id, text: `mapping ${m.id}: batch ${m.batchSize}, window ${m.windowSeconds} s${m.partialBatchResponse ? ', partial batch response' : ''}${m.maximumConcurrency ? `, max concurrency ${m.maximumConcurrency}` : ''}${m.enabled ? '' : ', DISABLED'}` }),
  );
}

function sendBar(kind) {
  const types = kind === 'job' ? topo.samples.jobs : topo.samples.events;
  const poison = topo.samples.poison[kind];
  const type = h('select', { 'data-input': `${kind}-type` }, types.map((t) => h('option', { value: t, text: t })));
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
    hint.textContent = variant.value === 'valid' ? (kind === 'job' ? 'via npm run enqueue’s code' : 'via npm run publish’s code') : poison[variant.value];
  };
  variant.addEventListener('change', updateHint);
  updateHint();
  btn.addEventListener('click', () => act('send', { kind, ...(variant.value === 'valid' ? { type: type.value } : {}), variant: variant.value, count: Number(count.value) }, btn));
  return h('div', { class: 'bar' }, h('b', { text: kind === 'job' ? 'Send a job' : 'Send an event' }), type, variant, h('label', {}, '×', count), btn, hint);
}

function queueLane(lane) {
  const q = byId(topo.queues, lane.queue);
  const dlq = lane.dlq ? byId(topo.queues, lane.dlq) : undefined;
  return h(
    'section',
    { class: 'lane jobs', 'data-lane': lane.queue },
    h('h2', {}, h('span', { class: 'tag', text: 'message queue' }), `Jobs: ${q.name}`, h('span', { class: 'muted', text: ' — one worker takes each job; done = deleted; failing too often = dead-lettered' })),
    sendBar('job'),
    h(
      'div',
      { class: 'flow' },
      h('div', { class: 'col producers' }, lane.producers.map((p) => producerCard(p, lane.queue))),
      h('div', { class: 'col' }, queueCard(q), dlq ? dlqCard(dlq) : null),
      h('div', { class: 'col' }, lane.workers.map((id) => workerCard(byId(topo.sqsMappings, id)))),
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
    h('div', { class: 'title' }, h('span', { class: 'kind', text: 'λ consumer' }), m.consumer, h('span', { class: 'badge', 'data-field': 'status', text: '…' })),
    h(
      'div',
      { class: 'position' },
      h('div', { class: 'track' }, h('div', { class: 'fill', 'data-bar': 'position' })),
      h('div', { class: 'lagline' }, h('b', { 'data-field': 'behind', text: '0' }), ' records behind the tip · ', h('b', { 'data-field': 'millisBehind', text: '0 ms' }), ' behind'),
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
    h('div', { class: 'sub' }, 'last invocation: ', h('span', { 'data-field': 'last', text: '–' }), ' · retries in progress: ', h('b', { 'data-field': 'retrying', text: '0' })),
    h('div', { class: 'sub' }, 'λ errors ', h('b', { 'data-field': 'errors', text: '0' }), ' · duration avg ', h('b', { 'data-field': 'avgDuration', text: '–' }), ', last ', h('b', { 'data-field': 'lastDuration', text: '–' })),
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
    if (out && out.ok) {
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
    h('div', { class: 'sub', text: `${s.mode}${s.mode === 'ON_DEMAND' ? '' : `, ${s.shardCount} shards`}, retention ${s.retentionHours} h — events stay; positions belong to the consumers` }),
  );
}

function bucketCard(b, extra) {
  const kind = b.role === 'archive' ? 'S3 archive' : b.role === 'failures' ? 'S3 failure bucket' : 'S3 bucket';
  return h('div', { class: `card bucket ${b.role}`, 'data-node': b.id, 'data-kind': 'bucket' }, h('div', { class: 'title' }, h('span', { class: 'kind', text: kind }), b.name), extra);
}

function streamLane(lane) {
  const s = byId(topo.streams, lane.stream);
  const ds = lane.deliveryStreams.map((id) => byId(topo.deliveryStreams, id));
  return h(
    'section',
    { class: 'lane events', 'data-lane': lane.stream },
    h('h2', {}, h('span', { class: 'tag', text: 'event stream' }), `Events: ${s.name}`, h('span', { class: 'muted', text: ' — every consumer reads every event, at its own position' })),
    sendBar('event'),
    replayBar(lane),
    h(
      'div',
      { class: 'flow' },
      h('div', { class: 'col producers' }, lane.producers.map((p) => producerCard(p, lane.stream))),
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
            h('div', { class: 'sub' }, 'buffered: ', h('b', { 'data-field': 'buffered', text: '0' }), ` · ${d.compression}, every ${d.bufferingIntervalSeconds} s or ${d.bufferingSizeMiB} MiB`),
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
            h('div', {}, h('div', { class: 'stats' }, stat('failure objects', 'objects', 'big'), stat('redriven', 'redriven')), h('div', { class: 'failure-list', 'data-list': 'failures' })),
          ),
        ),
        [...new Set(ds.map((d) => d.bucketId))].map((id) =>
          bucketCard(byId(topo.buckets, id), h('div', { class: 'stats' }, stat('objects', 'objects', 'big'), stat('records', 'records'), stat('error objects', 'errorObjects', 'warn'))),
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
    ...o.tables.map((id) => [`DynamoDB ${byId(topo.tables, id).role === 'idempotency' ? 'idempotency table' : 'table'}`, byId(topo.tables, id).name, id]),
    ...o.functions.map((id) => ['λ (no event source)', fnById(id).name, id]),
  ];
  return h(
    'section',
    { class: 'lane others' },
    h('h2', { text: 'Also in the template' }),
    h('div', { class: 'chips' }, items.map(([k, n, id]) => h('div', { class: 'chip', 'data-node': id }, h('span', { class: 'kind', text: k }), n))),
    topo.notEmulated.length
      ? h('div', { class: 'sub', text: `not emulated (no local effect): ${topo.notEmulated.map((x) => `${x.type.replace(/^AWS::/, '')}${x.count > 1 ? ` ×${x.count}` : ''}`).join(', ')}` })
      : null,
    topo.notes.map((n) => h('div', { class: 'sub', text: `note: ${n}` })),
  );
}

function render() {
  app.replaceChildren(
    h('div', { class: 'meta muted', text: `time scale ${topo.timeScale}${topo.timeScale === 1 ? ' (template waits run in real time)' : ` (every template wait runs ${+(1 / topo.timeScale).toFixed(2)}× faster)`}` }),
    ...topo.lanes.map((l) => (l.kind === 'queue' ? queueLane(l) : streamLane(l))),
    othersSection(),
  );
  requestAnimationFrame(drawWires);
}

// ── wires: drawn between the cards the lanes hold, from the topology's edges ────────────────────────────

function edges() {
  const out = [];
  for (const l of topo.lanes) {
    if (l.kind === 'queue') {
      for (const p of l.producers) out.push([p === 'console' ? `producer:${l.queue}` : `producer:${l.queue}:${p}`, l.queue]);
      for (const m of l.workers) out.push([l.queue, byId(topo.sqsMappings, m).functionId]);
      if (l.dlq) out.push([l.queue, l.dlq, 'dashed']);
    } else {
      for (const p of l.producers) out.push([p === 'console' ? `producer:${l.stream}` : `producer:${l.stream}:${p}`, l.stream]);
      for (const id of l.consumers) {
        out.push([l.stream, id]);
        const of = byId(topo.kinesisMappings, id).onFailure;
        if (of?.bucketId) out.push([id, of.bucketId, 'dashed']);
      }
      for (const id of l.deliveryStreams) {
        out.push([l.stream, id]);
        out.push([id, byId(topo.deliveryStreams, id).bucketId]);
      }
    }
  }
  return out;
}

function wiresLayer() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'wires');
  return svg;
}

function drawWires() {
  for (const flow of document.querySelectorAll('.flow')) {
    const svg = flow.querySelector('svg.wires');
    const box = flow.getBoundingClientRect();
    svg.setAttribute('width', box.width);
    svg.setAttribute('height', box.height);
    svg.replaceChildren();
    for (const [a, b, style] of edges()) {
      const ea = flow.querySelector(`.card${nodeSel(a)}`);
      const eb = flow.querySelector(`.card${nodeSel(b)}`);
      if (!ea || !eb) continue;
      const ra = ea.getBoundingClientRect();
      const rb = eb.getBoundingClientRect();
      let x1, y1, x2, y2, d;
      if (Math.abs(ra.left - rb.left) < 20) {
        // same column (queue → its DLQ): down the left edge
        x1 = ra.left - box.left + 14;
        y1 = ra.bottom - box.top;
        x2 = rb.left - box.left + 14;
        y2 = rb.top - box.top;
        d = `M${x1},${y1} L${x2},${y2}`;
      } else {
        x1 = ra.right - box.left;
        y1 = ra.top - box.top + Math.min(40, ra.height / 2);
        x2 = rb.left - box.left;
        y2 = rb.top - box.top + Math.min(40, rb.height / 2);
        const mx = (x1 + x2) / 2;
        d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
      }
      const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
      path.setAttribute('d', d);
      path.setAttribute('class', `wire ${style ?? ''}`);
      path.setAttribute('data-edge', `${a}->${b}`);
      svg.append(path);
      const head = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
      head.setAttribute('cx', x2);
      head.setAttribute('cy', y2);
      head.setAttribute('r', 3.5);
      head.setAttribute('class', `wire-end ${style ?? ''}`);
      svg.append(head);
    }
  }
}
let wireTimer;
window.addEventListener('resize', () => {
  clearTimeout(wireTimer);
  wireTimer = setTimeout(drawWires, 100);
});

// ── state ────────────────────────────────────────────────────────────────────────────────────────────────

function applyState(s) {
  lastState = s;
  for (const q of s.queues) {
    for (const el of document.querySelectorAll(`.card${nodeSel(q.id)}`)) {
      set(el, 'visible', fmt(q.visible));
      set(el, 'inFlight', fmt(q.inFlight));
      set(el, 'delayed', fmt(q.delayed));
      set(el, 'depth', fmt(q.visible + q.inFlight + q.delayed));
      set(el, 'oldest', q.oldestAgeMs === undefined ? '–' : ms(q.oldestAgeMs));
      el.classList.toggle('nonempty', q.visible + q.inFlight + q.delayed > 0);
    }
  }
  for (const d of s.dlqs) {
    const list = document.querySelector(`.card${nodeSel(d.id)} [data-list="dlq"]`);
    if (!list) continue;
    if (d.messages.length === 0) list.replaceChildren(h('div', { class: 'empty', text: d.more > 0 ? `${d.more} messages (too many to list)` : 'empty — no dead jobs' }));
    else
      list.replaceChildren(
        h(
          'table',
          {},
          h('tr', {}, h('th', { text: 'job' }), h('th', { text: 'receives' }), h('th', { text: 'error (from the worker log)' })),
          d.messages.map((m) =>
            h(
              'tr',
              { 'data-message': m.messageId, 'data-envelope': m.envelopeId ?? '' },
              h('td', { title: m.body }, h('div', { class: 'mono', text: m.type ?? '(not an envelope)' }), h('div', { class: 'mono muted', text: (m.envelopeId ?? m.body).slice(0, 36) })),
              h('td', { class: 'num', text: String(m.receiveCount) }),
              h('td', { class: 'err', text: m.error ?? '—', title: m.body }),
            ),
          ),
          d.more > 0 ? h('tr', {}, h('td', { colspan: '3', class: 'muted', text: `… and ${d.more} more` })) : null,
        ),
      );
  }
  const total = new Map();
  for (const st of s.streams) {
    const el = document.querySelector(`.card${nodeSel(st.id)}`);
    const records = st.shards.reduce((a, x) => a + x.records, 0);
    total.set(st.id, st);
    if (!el) continue;
    set(el, 'records', fmt(records));
    set(el, 'shardCount', fmt(st.shards.length));
    el.querySelector('[data-list="stream-shards"]').replaceChildren(
      ...st.shards.map((sh) => h('div', { class: 'shard', 'data-shard': sh.shardId }, h('span', { class: 'mono', text: sh.shardId }), h('span', { text: `${fmt(sh.records)} records` }), h('span', { class: 'mono muted', title: sh.tip ?? '', text: `tip ${shortSeq(sh.tip)}` }))),
    );
  }
  for (const c of s.consumers) {
    const el = document.querySelector(`.card.consumer${nodeSel(c.mapping)}`);
    if (!el) continue;
    const m = byId(topo.kinesisMappings, c.mapping);
    const st = total.get(m.streamId);
    const inLog = st ? st.shards.reduce((a, x) => a + x.records, 0) : 0;
    set(el, 'behind', fmt(c.behindRecords));
    set(el, 'millisBehind', ms(c.millisBehind));
    set(el, 'invocations', fmt(c.invocations));
    set(el, 'recordsOk', fmt(c.recordsOk));
    set(el, 'recordsFailed', fmt(c.recordsFailed));
    set(el, 'filteredOut', fmt(c.filteredOut));
    set(el, 'onFailure', fmt(c.onFailureRecords));
    set(el, 'direct', `${fmt(c.direct.invocations)} (${fmt(c.direct.records)} records)`);
    set(el, 'retrying', fmt(c.retrying));
    set(el, 'last', c.last ? `${c.last.outcome}, ${c.last.records} record(s)${c.last.failed ? `, ${c.last.failed} failed` : ''}, ${ms(c.last.durationMs)}` : '–', c.last?.error);
    const status = !c.running ? (m.enabled ? 'not running' : 'disabled') : c.paused ? 'paused' : c.retrying > 0 ? 'retrying' : c.behindRecords > 0 ? 'catching up' : 'at the tip';
    set(el, 'status', status);
    el.dataset.status = status;
    el.classList.toggle('behind', c.behindRecords > 0);
    el.classList.toggle('paused', c.paused);
    const pause = el.querySelector('[data-act="pause"]');
    pause.dataset.paused = String(c.paused);
    pause.textContent = c.paused ? 'Resume' : 'Pause';
    pause.classList.toggle('primary', c.paused);
    const bar = el.querySelector('[data-bar="position"]');
    bar.style.width = `${inLog === 0 ? 100 : Math.max(0, Math.min(100, ((inLog - c.behindRecords) / inLog) * 100))}%`;
    el.querySelector('[data-list="shards"]').replaceChildren(
      ...c.shards.map((sh) =>
        h(
          'div',
          { class: `shard ${sh.behindRecords > 0 ? 'lagging' : ''}`, 'data-shard': sh.shardId },
          h('span', { class: 'mono', text: sh.shardId.replace('shardId-', 'shard ') }),
          h('span', { class: 'mono muted', title: sh.position ?? 'no checkpoint yet', text: `at ${shortSeq(sh.position)}` }),
          h('span', { 'data-field': 'shard-behind', text: sh.behindRecords > 0 ? `${fmt(sh.behindRecords)} behind · ${ms(sh.millisBehind)}` : 'at the tip' }),
        ),
      ),
    );
  }
  for (const fnState of s.functions) {
    for (const el of document.querySelectorAll(`.card.worker${nodeSel(fnState.id)}, .card.consumer[data-function-node="${CSS.escape(fnState.id)}"]`)) {
      if (el.classList.contains('worker')) {
        set(el, 'invocations', fmt(fnState.invocations));
        set(el, 'recordsOk', fmt(fnState.recordsOk));
        set(el, 'recordsFailed', fmt(fnState.recordsFailed));
      }
      set(el, 'errors', fmt(fnState.errors));
      set(el, 'avgDuration', ms(fnState.avgDurationMs));
      set(el, 'lastDuration', ms(fnState.lastDurationMs));
    }
  }
  for (const f of s.failures) {
    const el = document.querySelector(`.card${nodeSel(f.bucketId)}`);
    if (!el) continue;
    set(el, 'objects', fmt(f.objects.length));
    set(el, 'redriven', fmt(f.redriven));
    const byConsumer = new Map();
    for (const o of f.objects) {
      const k = o.consumer;
      if (!byConsumer.has(k)) byConsumer.set(k, []);
      byConsumer.get(k).push(o);
    }
    el.querySelector('[data-list="failures"]').replaceChildren(
      f.objects.length === 0
        ? h('div', { class: 'empty', text: 'empty — no discarded batches' })
        : h(
            'table',
            {},
            h('tr', {}, h('th', { text: 'consumer' }), h('th', { text: 'objects' }), h('th', { text: 'records' }), h('th', { text: 'condition · types' })),
            [...byConsumer.entries()].map(([consumer, objs]) =>
              h(
                'tr',
                { 'data-failures-of': consumer },
                h('td', { class: 'mono', text: consumer }),
                h('td', { class: 'num', 'data-field': 'failure-objects', text: String(objs.length) }),
                h('td', { class: 'num', text: String(objs.reduce((a, o) => a + o.records, 0)) }),
                h('td', { class: 'err', text: `${[...new Set(objs.map((o) => o.condition ?? o.unreadable ?? '?'))].join(', ')} · ${[...new Set(objs.flatMap((o) => o.types))].join(', ')}` }),
              ),
            ),
          ),
    );
  }
  for (const a of s.archives) {
    const el = document.querySelector(`.card${nodeSel(a.bucketId)}`);
    if (el) {
      set(el, 'objects', fmt(a.objects));
      set(el, 'records', fmt(a.records));
      set(el, 'errorObjects', fmt(a.errorObjects));
    }
    const fh = document.querySelector(`.card${nodeSel(a.deliveryStream)}`);
    if (fh) set(fh, 'buffered', fmt(a.buffered));
  }
  document.getElementById('conn-text').textContent = `live · ${new Date(s.at).toLocaleTimeString()}`;
  requestAnimationFrame(drawWires);
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
    if (lastState) applyState(lastState);
  });
  es.addEventListener('state', (e) => {
    if (!topo) return;
    const first = !lastState;
    applyState(JSON.parse(e.data));
    conn.dataset.state = 'live';
    document.body.dataset.ready = 'true';
    if (first) requestAnimationFrame(drawWires);
  });
  es.addEventListener('action', (e) => addActivity(JSON.parse(e.data)));
  es.addEventListener('error', () => {
    conn.dataset.state = 'down';
    document.getElementById('conn-text').textContent = 'disconnected — retrying (is npm start still running?)';
  });
}

connect();
