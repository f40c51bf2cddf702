// The wires of the console page: drawn between the cards the lanes hold, from the topology's edges.
import { byId, nodeSel } from './dom.mjs';

function edges(topo) {
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

export function wiresLayer() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'wires');
  return svg;
}

export function drawWires(topo) {
  for (const flow of document.querySelectorAll('.flow')) {
    const svg = flow.querySelector('svg.wires');
    const box = flow.getBoundingClientRect();
    svg.setAttribute('width', box.width);
    svg.setAttribute('height', box.height);
    svg.replaceChildren();
    for (const [a, b, style] of edges(topo)) {
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
/** Redraws the wires once a resize has settled (the cards moved). */
export function redrawOnResize(getTopo) {
  let timer;
  window.addEventListener('resize', () => {
    clearTimeout(timer);
    timer = setTimeout(() => drawWires(getTopo()), 100);
  });
}
