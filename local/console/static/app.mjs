// The local console page: plain JavaScript, no build step. It draws the topology the server derived from the
// synthesized template (a queue lane, stream lanes, the rest), then updates it from server-sent events (one
// `state` frame about once a second). The buttons' requests and the activity list are in api.mjs.

import { addActivity } from './api.mjs';
import { byId, h } from './dom.mjs';
import { applyState } from './live.mjs';
import { queueLane } from './queue-lane.mjs';
import { streamLane } from './stream-lane.mjs';
import { drawWires, redrawOnResize } from './wires.mjs';

const app = document.getElementById('app');
let topo;
let lastState;

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
    ...o.functions.map((id) => ['λ (no event source)', byId(topo.functions, id).name, id]),
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
    ...topo.lanes.map((l) => (l.kind === 'queue' ? queueLane(topo, l) : streamLane(topo, l))),
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
