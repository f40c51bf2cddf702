// The console page's requests and activity list: actions POST to /api/actions/<name> with the per-start token
// the server embedded in the page; every action's outcome (from the server's `action` events, or a failed request)
// is listed in the activity column.

import { h } from './dom.mjs';

const token = document.querySelector('meta[name="console-token"]').content;
const activity = document.getElementById('activity');

export async function act(name, body, button) {
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

export function addActivity(entry) {
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
