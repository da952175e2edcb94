// A small SVG chart of checkpoints: size as bars (left axis), duration as a line (right axis).
import { html } from './lib.js';
import { bytes } from './ui.js';

// checkpointMs is a checkpoint's duration: duration_ms when the server gives it, else from its
// trigger and completion times; null while it has not completed.
export function checkpointMs(c) {
  if (typeof c.duration_ms === 'number') return c.duration_ms;
  return c.completed_at ? Math.max(0, new Date(c.completed_at) - new Date(c.triggered_at)) : null;
}

export function CheckpointChart({ checkpoints }) {
  const cs = checkpoints.slice(-40);
  if (cs.length === 0) return null;
  const W = 640, H = 190, L = 64, R = 56, T = 14, B = 28;
  const dur = (c) => checkpointMs(c) ?? 0;
  const maxSize = Math.max(1, ...cs.map((c) => c.size_bytes || 0));
  const maxDur = Math.max(1, ...cs.map(dur));
  const bw = (W - L - R) / cs.length;
  const x = (i) => L + i * bw + bw / 2;
  const ys = (v) => T + (H - T - B) * (1 - v / maxSize);
  const yd = (v) => T + (H - T - B) * (1 - v / maxDur);
  const line = cs.map((c, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${yd(dur(c)).toFixed(1)}`).join(' ');
  const step = Math.ceil(cs.length / 10);
  return html`<figure>
    <svg class="chart" width=${W} height=${H} viewBox=${`0 0 ${W} ${H}`} role="img" data-testid="checkpoint-chart"
      aria-label=${`Checkpoint sizes and durations of the last ${cs.length} checkpoints; largest ${bytes(maxSize)}, longest ${maxDur} ms`}>
      <line class="axis" x1=${L} y1=${H - B} x2=${W - R} y2=${H - B} />
      <line class="axis" x1=${L} y1=${T} x2=${L} y2=${H - B} />
      <line class="axis" x1=${W - R} y1=${T} x2=${W - R} y2=${H - B} />
      <text x=${L - 6} y=${T + 4} text-anchor="end">${bytes(maxSize)}</text>
      <text x=${L - 6} y=${H - B} text-anchor="end">0</text>
      <text x=${W - R + 6} y=${T + 4}>${maxDur} ms</text>
      <text x=${W - R + 6} y=${H - B}>0</text>
      ${cs.map((c, i) => html`<rect class="bar" x=${x(i) - bw * 0.35} y=${ys(c.size_bytes || 0)} width=${bw * 0.7} height=${H - B - ys(c.size_bytes || 0)}><title>checkpoint ${c.checkpoint_id}: ${bytes(c.size_bytes)}, ${dur(c)} ms, ${c.status}</title></rect>`)}
      <path class="line" d=${line} />
      ${cs.map((c, i) => html`<circle class="dot" cx=${x(i)} cy=${yd(dur(c))} r="2.5" />`)}
      ${cs.map((c, i) => (i % step === 0 ? html`<text x=${x(i)} y=${H - B + 16} text-anchor="middle">#${c.checkpoint_id}</text>` : null))}
    </svg>
    <figcaption class="legend"><span><span class="sw bar"></span>size</span><span><span class="sw line"></span>duration</span></figcaption>
  </figure>`;
}
