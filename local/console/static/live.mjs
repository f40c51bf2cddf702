// The console page's live part: each `state` frame from the server written into the cards the topology drew.
import { byId, fmt, h, ms, nodeSel, set, setFields, setInvocationCounts, shortSeq } from './dom.mjs';
import { drawWires } from './wires.mjs';

export function applyState(topo, s) {
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
    if (d.messages.length === 0)
      list.replaceChildren(
        h('div', { class: 'empty', text: d.more > 0 ? `${d.more} messages (too many to list)` : 'empty — no dead jobs' }),
      );
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
              h(
                'td',
                { title: m.body },
                h('div', { class: 'mono', text: m.type ?? '(not an envelope)' }),
                h('div', { class: 'mono muted', text: (m.envelopeId ?? m.body).slice(0, 36) }),
              ),
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
      ...st.shards.map((sh) =>
        h(
          'div',
          { class: 'shard', 'data-shard': sh.shardId },
          h('span', { class: 'mono', text: sh.shardId }),
          h('span', { text: `${fmt(sh.records)} records` }),
          h('span', { class: 'mono muted', title: sh.tip ?? '', text: `tip ${shortSeq(sh.tip)}` }),
        ),
      ),
    );
  }
  for (const c of s.consumers) {
    const el = document.querySelector(`.card.consumer${nodeSel(c.mapping)}`);
    if (!el) continue;
    const m = byId(topo.kinesisMappings, c.mapping);
    const st = total.get(m.streamId);
    const inLog = st ? st.shards.reduce((a, x) => a + x.records, 0) : 0;
    setInvocationCounts(el, c);
    setFields(el, {
      behind: fmt(c.behindRecords),
      millisBehind: ms(c.millisBehind),
      filteredOut: fmt(c.filteredOut),
      onFailure: fmt(c.onFailureRecords),
      direct: `${fmt(c.direct.invocations)} (${fmt(c.direct.records)} records)`,
      retrying: fmt(c.retrying),
    });
    set(
      el,
      'last',
      c.last
        ? `${c.last.outcome}, ${c.last.records} record(s)${c.last.failed ? `, ${c.last.failed} failed` : ''}, ${ms(c.last.durationMs)}`
        : '–',
      c.last?.error,
    );
    const status = !c.running
      ? m.enabled
        ? 'not running'
        : 'disabled'
      : c.paused
        ? 'paused'
        : c.retrying > 0
          ? 'retrying'
          : c.behindRecords > 0
            ? 'catching up'
            : 'at the tip';
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
          h('span', {
            'data-field': 'shard-behind',
            text: sh.behindRecords > 0 ? `${fmt(sh.behindRecords)} behind · ${ms(sh.millisBehind)}` : 'at the tip',
          }),
        ),
      ),
    );
  }
  for (const fnState of s.functions) {
    for (const el of document.querySelectorAll(
      `.card.worker${nodeSel(fnState.id)}, .card.consumer[data-function-node="${CSS.escape(fnState.id)}"]`,
    )) {
      if (el.classList.contains('worker')) setInvocationCounts(el, fnState);
      setFields(el, { errors: fmt(fnState.errors), avgDuration: ms(fnState.avgDurationMs), lastDuration: ms(fnState.lastDurationMs) });
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
            h(
              'tr',
              {},
              h('th', { text: 'consumer' }),
              h('th', { text: 'objects' }),
              h('th', { text: 'records' }),
              h('th', { text: 'condition · types' }),
            ),
            [...byConsumer.entries()].map(([consumer, objs]) =>
              h(
                'tr',
                { 'data-failures-of': consumer },
                h('td', { class: 'mono', text: consumer }),
                h('td', { class: 'num', 'data-field': 'failure-objects', text: String(objs.length) }),
                h('td', { class: 'num', text: String(objs.reduce((a, o) => a + o.records, 0)) }),
                h('td', {
                  class: 'err',
                  text: `${[...new Set(objs.map((o) => o.condition ?? o.unreadable ?? '?'))].join(', ')} · ${[...new Set(objs.flatMap((o) => o.types))].join(', ')}`,
                }),
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
  requestAnimationFrame(() => drawWires(topo));
}
