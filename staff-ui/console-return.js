// 补办件 with a return visit, in the clerk console: in the 办结 dialog, when the outcome is
// 补办件 and the citizen's queue takes appointments, the clerk may book the return (a day, a
// slot, and a printer at hand for the citizen's slip); after the finish, a card shows the
// return code, the slot and the documents, with 补打 to print the slip again. The window screen
// shows the same code to the citizen (display-ui/return-visit.js).
import { html, useState, useEffect } from '/staff/vendor/htm-preact-standalone.module.js';
import { get, post } from '/staff/api.js';

const printerKey = (n) => `hallq-console-printer-${n}`;

/// `YYYY-MM-DD` plus `days`.
function addDays(day, days) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];
function dayLabel(day) {
  const [y, m, d] = day.split('-').map(Number);
  return `${m}月${d}日 周${WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]}`;
}

/// The return the dialog will book: `{ on, day, start, printer }`; `body(r)` is the API's
/// `return` object or null.
export function useReturn(n) {
  const [r, setR] = useState({ on: false, day: '', start: '', printer: localStorage.getItem(printerKey(n)) || '' });
  const set = (patch) => setR((old) => {
    const next = { ...old, ...patch };
    if ('printer' in patch) localStorage.setItem(printerKey(n), patch.printer);
    return next;
  });
  return { r, set };
}

export function returnBody(r) {
  if (!r.on || !r.day || !r.start) return null;
  return { day: r.day, start: r.start, ...(r.printer ? { printer: r.printer } : {}) };
}

/// The return-visit part of the 办结 dialog (only for 补办件 in a queue with appointments).
export function ReturnPicker({ hall, queue, ret }) {
  const q = hall && hall.queues.find((x) => x.id === queue);
  const offered = q && q.appointments;
  const [slots, setSlots] = useState(null);
  const [printers, setPrinters] = useState([]);
  const [error, setError] = useState('');
  const { r, set } = ret;
  useEffect(() => {
    if (!offered || !r.on || slots) return;
    const from = addDays(hall.service_day, 1);
    const to = addDays(hall.service_day, offered.days_ahead);
    get(`/api/v1/appointments/slots?queue=${encodeURIComponent(queue)}&from=${from}&to=${to}`)
      .then((s) => {
        setSlots(s.slots);
        const first = s.slots[0];
        if (first && !r.day) set({ day: first.day, start: '' });
      })
      .catch((e) => setError(e.message));
    get('/api/v1/desk/printers').then(setPrinters).catch(() => setPrinters([]));
  }, [offered, r.on]);
  if (!offered) {
    return html`<p class="console-muted" id="console-return-none">本业务不提供预约，无法预约回访 No appointments in this queue</p>`;
  }
  const days = slots ? [...new Set(slots.map((s) => s.day))] : [];
  const ofDay = slots ? slots.filter((s) => s.day === r.day) : [];
  return html`<fieldset class="console-return" id="console-return">
    <label class="console-field console-field-inline console-return-on"><input type="checkbox" id="console-return-on" checked=${r.on}
      onChange=${(e) => set({ on: e.target.checked })} />
      <span>预约回访（受保护名额，不占号源）<small>Book the return visit</small></span></label>
    ${r.on && error && html`<p class="console-dialog-error">${error}</p>`}
    ${r.on && !slots && !error && html`<p class="console-muted">加载时段… Loading slots…</p>`}
    ${r.on && slots && html`
      <label class="console-field console-field-inline"><span>日期<small>Day</small></span>
        <select id="console-return-day" value=${r.day} onChange=${(e) => set({ day: e.target.value, start: '' })}>
          ${days.map((d) => html`<option value=${d}>${dayLabel(d)}</option>`)}
        </select></label>
      <div class="console-choice console-return-slots" role="radiogroup" data-choice="return-slot">
        ${ofDay.map((s) => html`<button type="button" role="radio" aria-checked=${r.start === s.start}
          class=${r.start === s.start ? 'on' : ''} data-code=${s.start} onClick=${() => set({ start: s.start })}>
          ${s.start}-${s.end}<small>${s.extended ? '延时 ' : ''}余${s.available}</small></button>`)}
      </div>
      <label class="console-field console-field-inline"><span>回执打印机<small>Slip printer</small></span>
        <select id="console-return-printer" value=${r.printer} onChange=${(e) => set({ printer: e.target.value })}>
          <option value="">不打印 No slip</option>
          ${printers.map((p) => html`<option value=${p.id}>${p.id}${p.state === 'ok' ? '' : `（${p.state}）`}</option>`)}
        </select></label>`}
  </fieldset>`;
}

const PRINT_WORD = { printed: '回执已打印', failed: '回执打印失败', none: '未打印回执' };

/// The return just booked, shown in the console until the next call; 补打 prints it again.
export function ReturnCard({ ret, n, onClose }) {
  const [print, setPrint] = useState(ret.print);
  const [busy, setBusy] = useState(false);
  const printer = localStorage.getItem(printerKey(n)) || '';
  const again = async () => {
    setBusy(true);
    try {
      const r = await post(`/api/v1/windows/${n}/return/print`, { printer });
      setPrint(r.print);
    } catch (e) {
      setPrint({ status: 'failed', error: e.message });
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="console-return-card" id="console-return-card" data-code=${ret.code}>
    <div class="console-return-code">已预约回访<small>Return visit</small><b id="console-return-code">${ret.code}</b></div>
    <div class="console-return-what">
      <div>${dayLabel(ret.day)} ${ret.start}-${ret.end} · ${ret.queue_name}</div>
      <div class="console-muted">需补齐：${ret.documents}</div>
    </div>
    <div class="console-return-print">
      <span>${print ? PRINT_WORD[print.status] || '' : ''}${print && print.error ? `（${print.error}）` : ''}</span>
      ${printer && html`<button id="console-return-reprint" disabled=${busy} onClick=${again}>补打回执<small>Print again</small></button>`}
      <button class="link" onClick=${onClose} title="关闭 Close">✕</button>
    </div>
  </section>`;
}
