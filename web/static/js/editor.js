// SqlEditor: a textarea laid over a highlighted <pre>, with a line-number gutter that marks the
// lines of diagnostics. The textarea keeps native editing, selection, undo and accessibility.
import { html, useRef, useEffect, useMemo } from './lib.js';
import { segments, errorRanges, lineStarts, offsetOf } from './sql.js';

export function SqlEditor({ id, label, value, onInput, diagnostics = [], rows = 10, editorRef, readOnly = false }) {
  const ta = useRef(null), pre = useRef(null), gutter = useRef(null);
  const lines = value.split('\n').length;
  // The box grows with the text (up to 30 lines), then scrolls; the gutter follows its scroll.
  const shown = Math.min(Math.max(rows, lines + 1), Math.max(rows, 30));
  const digits = Math.min(Math.max(String(lines).length, 2), 5);
  const errLines = new Set(diagnostics.map((d) => d.line));
  const segs = useMemo(() => segments(value, errorRanges(value, diagnostics)), [value, diagnostics]);
  const sync = () => {
    if (!ta.current) return;
    pre.current.scrollTop = ta.current.scrollTop;
    pre.current.scrollLeft = ta.current.scrollLeft;
    gutter.current.scrollTop = ta.current.scrollTop;
  };
  useEffect(sync, [value]);
  useEffect(() => {
    if (!editorRef) return;
    editorRef.current = {
      // focusAt puts the caret at a 1-based line and column.
      focusAt(line, column) {
        const t = ta.current;
        const off = offsetOf(lineStarts(t.value), t.value, line, column);
        t.focus();
        t.setSelectionRange(off, off);
        t.scrollTop = Math.max(0, (line - 3) * 20);
        sync();
      },
    };
  });
  const descId = id + '-diagnostics';
  return html`<div class="editor" data-editor=${id}>
    <div class=${'gutter d' + digits} ref=${gutter} aria-hidden="true">${Array.from({ length: lines }, (_, i) => html`<div class=${errLines.has(i + 1) ? 'err' : ''} data-line=${i + 1}>${i + 1}</div>`)}</div>
    <div class="surface">
      <pre ref=${pre} aria-hidden="true"><code>${segs.map(([a, b, cls, err]) => {
        const c = (cls + (err ? ' tok-err' : '')).trim();
        return c ? html`<span class=${c}>${value.slice(a, b)}</span>` : value.slice(a, b);
      })}${'\n '}</code></pre>
      <textarea ref=${ta} id=${id} rows=${shown} spellcheck="false" autocapitalize="off" autocomplete="off" wrap="off"
        aria-label=${label} aria-invalid=${diagnostics.length > 0 ? 'true' : 'false'} aria-describedby=${descId} readOnly=${readOnly}
        value=${value} onInput=${(e) => onInput(e.target.value)} onScroll=${sync}></textarea>
    </div>
  </div>`;
}

// Diagnostics lists problems as buttons that move the caret to them.
export function Diagnostics({ id, diagnostics, editorRef }) {
  return html`<ul class="diagnostics" id=${id + '-diagnostics'} aria-live="polite" data-testid=${'diagnostics-' + id}>
    ${diagnostics.map((d) => html`<li class="error small"><button type="button" class="link" onClick=${() => editorRef.current && editorRef.current.focusAt(d.line, d.column)}>
      Line ${d.line}, column ${d.column}</button>: ${d.message}</li>`)}
  </ul>`;
}
