// The clerk console's dialogs: the operations that need a choice before they run (过号 reason,
// 办结 outcome and note, 特呼, 回呼, 转移, 暂停). Each hands `onRun(op, body)` to the console,
// which posts it; a refusal keeps the dialog open with the API's message.
import { html, useState, useEffect, useRef } from '/staff/vendor/htm-preact-standalone.module.js';
import { OUTCOMES, POSITIONS, reasonsFor, reasonValue } from '/staff/console-labels.js';

/// Toggle buttons for one choice out of a few (big targets, keyboard reachable).
function Choice({ name, options, value, onPick }) {
  return html`<div class="console-choice" role="radiogroup" data-choice=${name}>
    ${options.map((o) => html`<button type="button" role="radio" aria-checked=${value === o.code}
      class=${value === o.code ? 'on' : ''} data-code=${o.code} onClick=${() => onPick(o.code)}>
      ${o.zh}<small>${o.en}</small></button>`)}
  </div>`;
}

/// The frame every dialog shares: title, body, error, 确定 / 取消; Esc cancels.
function Frame({ id, title, en, error, busy, ok, canOk, onOk, onClose, children }) {
  const ref = useRef(null);
  useEffect(() => {
    const first = ref.current && ref.current.querySelector('textarea, input, select, button[role=radio]');
    first && first.focus();
  }, []);
  const submit = (e) => { e.preventDefault(); if (canOk && !busy) onOk(); };
  const keys = (e) => { if (e.key === 'Escape') { e.preventDefault(); onClose(); } };
  return html`<div class="console-overlay" onKeyDown=${keys}>
    <form class="console-dialog" id="console-dialog" role="dialog" aria-modal="true" aria-label=${title} data-dialog=${id} ref=${ref} onSubmit=${submit}>
      <h2>${title}<small>${en}</small></h2>
      ${children}
      ${error && html`<p class="console-dialog-error" role="alert">${error}</p>`}
      <div class="console-dialog-actions">
        <button type="button" id="console-dialog-cancel" onClick=${onClose}>取消 <small>Esc</small></button>
        <button type="submit" class="primary" id="console-dialog-ok" disabled=${!canOk || busy}>${busy ? '处理中…' : ok}</button>
      </div>
    </form>
  </div>`;
}

/// A reason picked from codes, with a free text when 其他 is picked (then required).
function useReason(initial) {
  const [code, setCode] = useState(initial);
  const [text, setText] = useState('');
  const ok = code && (code !== 'other' || text.trim());
  return { code, setCode, text, setText, ok, value: reasonValue(code, text) };
}

function OtherText({ r, label }) {
  if (r.code !== 'other') return null;
  return html`<label class="console-field"><span>${label || '请说明'}<small>Details</small></span>
    <input id="console-reason-text" maxlength="100" value=${r.text} onInput=${(e) => r.setText(e.target.value)} required /></label>`;
}

/// A dialog that only asks for a reason code (过号).
function reasonDialog({ id, op, title, en, ok, use, initial }) {
  return function ReasonDialog({ run, ...f }) {
    const r = useReason(initial);
    return html`<${Frame} ...${f} id=${id} title=${title} en=${en} ok=${ok} canOk=${r.ok}
        onOk=${() => run(op, { reason: r.value })}>
      <${Choice} name=${id + '-reason'} options=${reasonsFor(use)} value=${r.code} onPick=${r.setCode} />
      <${OtherText} r=${r} />
    <//>`;
  };
}

const NoShow = reasonDialog({ id: 'no-show', op: 'no-show', title: '过号', en: 'No-show', ok: '确认过号', use: 'no_show', initial: 'not_present' });

/// HH:MM on the hall's clock, `mins` from `now` (hall ms), rounded up to 5 minutes.
function hallTimeIn(now, mins, tz) {
  const step = 5 * 60_000;
  const at = Math.ceil((now + mins * 60_000) / step) * step;
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
}

/// 暂停: a reason and, optionally, when the clerk will be back (the window screen and the wall
/// then say 午休，13:30恢复). Quick picks count from the hall's clock; any time can be typed.
function Pause({ run, now, hall, ...f }) {
  const r = useReason('');
  const [until, setUntil] = useState('');
  const tz = (hall && hall.timezone) || 'Asia/Shanghai';
  const picks = [
    { code: '', zh: '不确定', en: 'Not sure' },
    ...[15, 30, 60].map((m) => {
      const t = hallTimeIn(now, m, tz);
      return { code: t, zh: t, en: m < 60 ? `+${m} min` : '+1 h' };
    }),
  ];
  const body = () => (until ? { reason: r.value, until } : { reason: r.value });
  return html`<${Frame} ...${f} id="pause" title="暂停服务" en="Pause" ok="暂停" canOk=${r.ok}
      onOk=${() => run('pause', body())}>
    <${Choice} name="pause-reason" options=${reasonsFor('pause')} value=${r.code} onPick=${r.setCode} />
    <${OtherText} r=${r} />
    <div class="console-field"><span>预计恢复时间（选填）<small>Back at (optional)</small></span></div>
    <${Choice} name="pause-until" options=${picks} value=${until} onPick=${setUntil} />
    <label class="console-field console-field-inline"><span>其他时间<small>Other time</small></span>
      <input id="console-pause-until" type="time" step="300" value=${until} onInput=${(e) => setUntil(e.target.value)} /></label>
  <//>`;
}

function Finish({ run, outcome: usual, ...f }) {
  const [outcome, setOutcome] = useState(usual || '');
  const [note, setNote] = useState('');
  const o = OUTCOMES.find((x) => x.code === outcome);
  const needsNote = o && o.note;
  const canOk = o && (!needsNote || note.trim());
  const body = () => (note.trim() ? { outcome, note: note.trim() } : { outcome });
  return html`<${Frame} ...${f} id="finish" title="办结" en="Finish" ok="确认办结" canOk=${canOk}
      onOk=${() => run('finish', body())}>
    <${Choice} name="outcome" options=${OUTCOMES} value=${outcome} onPick=${setOutcome} />
    <label class="console-field"><span>${needsNote ? o.note : '备注（选填）'}<small>${needsNote ? o.noteEn + ' (required)' : 'Note (optional)'}</small></span>
      <textarea id="console-note" rows="3" maxlength="500" required=${!!needsNote}
        value=${note} onInput=${(e) => setNote(e.target.value)}></textarea></label>
  <//>`;
}

function CallSpecific({ run, ticket: pickedTicket, ...f }) {
  const [ticket, setTicket] = useState(pickedTicket || '');
  const r = useReason('');
  const t = ticket.trim().toUpperCase();
  return html`<${Frame} ...${f} id="call" title="特呼" en="Call a specific number" ok="特呼" canOk=${t && r.ok}
      onOk=${() => run('call', { ticket: t, reason: r.value })}>
    <label class="console-field"><span>号码<small>Ticket number</small></span>
      <input id="console-call-ticket" placeholder="如 XF003" maxlength="8" value=${ticket}
        onInput=${(e) => setTicket(e.target.value)} required /></label>
    <div class="console-field"><span>原因（必填）<small>Reason (required)</small></span></div>
    <${Choice} name="call-reason" options=${reasonsFor('call')} value=${r.code} onPick=${r.setCode} />
    <${OtherText} r=${r} />
  <//>`;
}

function CallBack({ run, held, ...f }) {
  const [ticket, setTicket] = useState(held.length === 1 ? held[0].number : '');
  const options = held.map((h) => ({ code: h.number, zh: h.number, en: '' }));
  return html`<${Frame} ...${f} id="call-back" title="回呼" en="Call back a held ticket" ok="回呼" canOk=${!!ticket}
      onOk=${() => run('call-back', { ticket })}>
    ${held.length ? html`<${Choice} name="held" options=${options} value=${ticket} onPick=${setTicket} />`
      : html`<p class="console-muted">没有挂起的号 No held tickets</p>`}
  <//>`;
}

function Transfer({ run, hall, windowNumber, ...f }) {
  const [to, setTo] = useState('queue');
  const [queue, setQueue] = useState('');
  const [win, setWin] = useState('');
  const [position, setPosition] = useState('original');
  const [reason, setReason] = useState('');
  const n = parseInt(win, 10);
  const target = to === 'queue' ? (queue ? { to_queue: queue } : null)
    : (n > 0 && n !== windowNumber ? { to_window: n } : null);
  const body = () => ({ ...target, position, ...(reason.trim() ? { reason: reason.trim() } : {}) });
  const depts = new Map((hall ? hall.departments : []).map((d) => [d.id, d.name]));
  return html`<${Frame} ...${f} id="transfer" title="转移" en="Transfer" ok="确认转移" canOk=${!!target}
      onOk=${() => run('transfer', body())}>
    <${Choice} name="transfer-to" options=${[{ code: 'queue', zh: '转到业务', en: 'To a queue' }, { code: 'window', zh: '转到窗口', en: 'To a window' }]}
      value=${to} onPick=${setTo} />
    ${to === 'queue'
      ? html`<label class="console-field"><span>业务<small>Queue</small></span>
          <select id="console-transfer-queue" value=${queue} onChange=${(e) => setQueue(e.target.value)}>
            <option value="">请选择 Choose…</option>
            ${(hall ? hall.queues : []).map((q) => html`<option value=${q.id}>${q.prefix} ${q.name}（${depts.get(q.department) || q.department}）</option>`)}
          </select></label>`
      : html`<label class="console-field"><span>窗口号<small>Window number</small></span>
          <input id="console-transfer-window" type="number" min="1" value=${win} onInput=${(e) => setWin(e.target.value)} /></label>`}
    <div class="console-field"><span>排队位置<small>Position</small></span></div>
    <${Choice} name="position" options=${POSITIONS} value=${position} onPick=${setPosition} />
    <label class="console-field"><span>原因（选填）<small>Reason (optional)</small></span>
      <input id="console-transfer-reason" maxlength="100" value=${reason} onInput=${(e) => setReason(e.target.value)} /></label>
  <//>`;
}

const DIALOGS = { 'no-show': NoShow, finish: Finish, call: CallSpecific, 'call-back': CallBack, transfer: Transfer, pause: Pause };

/// The open dialog `kind`, or nothing.
export function Dialog({ kind, ...props }) {
  const D = DIALOGS[kind];
  return D ? html`<${D} ...${props} />` : null;
}
