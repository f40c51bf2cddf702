// DOM helpers of the console page: building elements, formatting numbers and durations, filling fields.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat())
    if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

export const fmt = (n) => (n === undefined || n === null ? '–' : Number(n).toLocaleString('en-US'));
export function ms(v) {
  if (v === undefined || v === null) return '–';
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)} s`;
  if (v < 3_600_000) return `${Math.floor(v / 60_000)} min ${Math.round((v % 60_000) / 1000)} s`;
  return `${(v / 3_600_000).toFixed(1)} h`;
}
export const shortSeq = (s) => (s ? (s.length > 14 ? `…${s.slice(-10)}` : s) : '–');
export const byId = (list, id) => list.find((x) => x.id === id);
export const nodeSel = (id) => `[data-node="${CSS.escape(id)}"]`;

export function set(root, field, value, title) {
  if (!root) return;
  for (const el of root.querySelectorAll(`[data-field="${field}"]`)) {
    if (el.closest('[data-node]') !== root && root.matches('[data-node]')) continue;
    el.textContent = value;
    if (title !== undefined) el.title = title;
  }
}

/** set() for each field of `values`. */
export function setFields(root, values) {
  for (const [field, value] of Object.entries(values)) set(root, field, value);
}

/** The invocation counters a worker card and a consumer card both show. */
export function setInvocationCounts(root, x) {
  setFields(root, { invocations: fmt(x.invocations), recordsOk: fmt(x.recordsOk), recordsFailed: fmt(x.recordsFailed) });
}

export function stat(label, field, cls = '') {
  return h(
    'div',
    { class: `stat ${cls}` },
    h('span', { class: 'num', 'data-field': field, text: '–' }),
    h('span', { class: 'lbl', text: label }),
  );
}

/** A line of text and live fields (class `cls`): each [field, initial] pair is a bold field the state fills. */
export function fieldLine(cls, ...parts) {
  return h(
    'div',
    { class: cls },
    parts.map((p) => (Array.isArray(p) ? h('b', { 'data-field': p[0], text: p[1] }) : p)),
  );
}
