// The console page's queue lane: the jobs queue, its dead-letter queue and the workers its mappings invoke.

import { act } from './api.mjs';
import { byId, fieldLine, h, stat } from './dom.mjs';
import { laneSection } from './lane.mjs';

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

function workerCard(topo, m) {
  const f = byId(topo.functions, m.functionId);
  return h(
    'div',
    { class: 'card function worker', 'data-node': m.functionId, 'data-mapping': m.id, 'data-function': f.name },
    h('div', { class: 'title' }, h('span', { class: 'kind', text: `λ ${f.role ?? 'function'}` }), f.name),
    functionStats(),
    fieldLine('sub', 'records ok ', ['recordsOk', '0'], ' · failed ', ['recordsFailed', '0']),
    h('div', {
      class: 'sub mapping',
      'data-node': m.id,
      text: `mapping ${m.id}: batch ${m.batchSize}, window ${m.windowSeconds} s${m.partialBatchResponse ? ', partial batch response' : ''}${m.maximumConcurrency ? `, max concurrency ${m.maximumConcurrency}` : ''}${m.enabled ? '' : ', DISABLED'}`,
    }),
  );
}

export function queueLane(topo, lane) {
  const q = byId(topo.queues, lane.queue);
  const dlq = lane.dlq ? byId(topo.queues, lane.dlq) : undefined;
  return laneSection(
    topo,
    lane,
    q.name,
    [],
    [
      h('div', { class: 'col' }, queueCard(q), dlq ? dlqCard(dlq) : null),
      h(
        'div',
        { class: 'col' },
        lane.workers.map((id) => workerCard(topo, byId(topo.sqsMappings, id))),
      ),
    ],
  );
}
