// What both kinds of lane on the console page share: the frame (heading, send bar, flow), the producer cards.

import { act } from './api.mjs';
import { byId, h } from './dom.mjs';
import { wiresLayer } from './wires.mjs';

function producerCard(topo, id, target) {
  if (id === 'console') {
    const isQueue = !!byId(topo.queues, target);
    return h(
      'div',
      { class: 'card producer', 'data-node': `producer:${target}`, 'data-producer': 'console' },
      h('div', { class: 'title' }, h('span', { class: 'kind', text: 'producer' }), 'console / shell'),
      h('div', { class: 'sub mono', text: isQueue ? 'enqueueJobs() · npm run enqueue' : 'publishEvents() · npm run publish' }),
    );
  }
  const f = byId(topo.functions, id);
  return h(
    'div',
    { class: 'card producer', 'data-node': `producer:${target}:${id}`, 'data-producer': f.name },
    h('div', { class: 'title' }, h('span', { class: 'kind', text: 'producer' }), f.name),
    h('div', { class: 'sub', text: 'λ sends here (its environment names it)' }),
  );
}

function sendBar(topo, kind) {
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

/** Each kind of lane's frame: its class, the resource it shows, its heading and what it sends. */
const FRAMES = {
  queue: {
    cls: 'jobs',
    target: (lane) => lane.queue,
    tag: 'message queue',
    heading: 'Jobs',
    blurb: ' — one worker takes each job; done = deleted; failing too often = dead-lettered',
    sends: 'job',
  },
  stream: {
    cls: 'events',
    target: (lane) => lane.stream,
    tag: 'event stream',
    heading: 'Events',
    blurb: ' — every consumer reads every event, at its own position',
    sends: 'event',
  },
};

/** A lane about the resource named `name`: its heading, its send bar and `bars`, then the flow from its producers
 *  through `cols` to the wires. */
export function laneSection(topo, lane, name, bars, cols) {
  const f = FRAMES[lane.kind];
  const target = f.target(lane);
  return h(
    'section',
    { class: `lane ${f.cls}`, 'data-lane': target },
    h('h2', {}, h('span', { class: 'tag', text: f.tag }), `${f.heading}: ${name}`, h('span', { class: 'muted', text: f.blurb })),
    sendBar(topo, f.sends),
    bars,
    h(
      'div',
      { class: 'flow' },
      h(
        'div',
        { class: 'col producers' },
        lane.producers.map((p) => producerCard(topo, p, target)),
      ),
      cols,
      wiresLayer(),
    ),
  );
}
