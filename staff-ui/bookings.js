// 今日预约: the day's bookings by slot, for the clerk console (the window's queues) and the
// live floor (every queue). Each booking shows its slot, queue, the ID's last 4 (never a name),
// whether it is a 补办件 return visit, and its state: 待签到, 已签到 (with the ticket's number),
// 爽约, 已取消. Read from GET /api/v1/appointments; kept fresh by appointment events and a
// minute's timer (a booking becomes 爽约 on the hall clock with no event from this page).
import { html, useState, useEffect, useRef } from '/staff/vendor/htm-preact-standalone.module.js';
import { get } from '/staff/api.js';

export const BOOKING_STATE = {
  booked: ['待签到', 'Booked'],
  checked_in: ['已签到', 'Checked in'],
  missed: ['爽约', 'Missed'],
  cancelled: ['已取消', 'Cancelled'],
};

const REFRESH_MS = 60_000;

/// Today's bookings, optionally only those of `queues` (ids); `bump` changes to reload now.
export function useBookings(queues, bump) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState('');
  const want = useRef(queues);
  want.current = queues;
  const load = async () => {
    try {
      const r = await get('/api/v1/appointments');
      const only = want.current;
      setRows(r.appointments.filter((b) => !only || only.includes(b.queue)));
      setError('');
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    load();
    const t = setInterval(load, REFRESH_MS);
    return () => clearInterval(t);
  }, [bump, (queues || []).join(',')]);
  return { rows, error };
}

/// Counts by state: {booked, checked_in, missed, cancelled}.
function counts(rows) {
  const c = { booked: 0, checked_in: 0, missed: 0, cancelled: 0 };
  for (const b of rows) c[b.state] = (c[b.state] || 0) + 1;
  return c;
}

/// The list by slot. `hall` names the queues; `id` prefixes element ids.
export function Bookings({ rows, error, hall, id }) {
  const q = (qid) => (hall && hall.queues.find((x) => x.id === qid)) || { prefix: '', name: qid };
  if (error) return html`<section class="bookings" id=${id}><h2>今日预约<small>Bookings today</small></h2>
    <p class="console-muted">${error}</p></section>`;
  if (!rows) return html`<section class="bookings" id=${id}><h2>今日预约<small>Bookings today</small></h2>
    <p class="console-muted">加载中… Loading…</p></section>`;
  const c = counts(rows);
  const slots = [];
  for (const b of rows) {
    const key = `${b.start}–${b.end}`;
    const last = slots[slots.length - 1];
    if (last && last.key === key) last.rows.push(b);
    else slots.push({ key, extended: b.extended, rows: [b] });
  }
  return html`<section class="bookings" id=${id} data-count=${rows.length}>
    <h2>今日预约<small>Bookings today</small><b>${rows.length}</b></h2>
    <p class="bookings-counts">
      ${['booked', 'checked_in', 'missed', 'cancelled'].map((s) => html`<span class=${'booking-' + s} data-state-count=${s}>${BOOKING_STATE[s][0]} ${c[s]}</span>`)}
    </p>
    ${rows.length === 0 ? html`<p class="console-muted">今天没有预约 None today</p>` : html`<div class="bookings-scroll"><table>
      <tbody>${slots.map((s) => html`
        <tr class="bookings-slot"><th colspan="4">${s.key}${s.extended ? ' · 延时服务' : ''}</th></tr>
        ${s.rows.map((b) => html`<tr class=${'booking-' + b.state} data-booking=${b.id} data-state=${b.state}>
          <td><span class="console-prefix">${q(b.queue).prefix}</span>${q(b.queue).name}${b.return_visit ? html`<span class="console-tag">补办回访</span>` : ''}</td>
          <td class="bookings-id">${b.id_number || '—'}</td>
          <td>${BOOKING_STATE[b.state] ? BOOKING_STATE[b.state][0] : b.state}</td>
          <td class="num">${b.ticket || ''}</td>
        </tr>`)}`)}
      </tbody></table></div>`}
  </section>`;
}

/// The floor's view: one row per queue with bookings today, counts by state and the next slot
/// still waiting for check-in. `queues` are the floor's queues ({id, name}).
export function BookingsByQueue({ rows, error, queues, now }) {
  if (error) return html`<p class="muted">${error}</p>`;
  if (!rows) return html`<p class="muted">加载中…</p>`;
  const by = new Map();
  for (const b of rows) {
    if (!by.has(b.queue)) by.set(b.queue, []);
    by.get(b.queue).push(b);
  }
  if (by.size === 0) return html`<p class="muted" id="floor-bookings">今天没有预约 No bookings today</p>`;
  const name = (id) => (queues.find((q) => q.id === id) || { name: id }).name;
  return html`<table class="floor-bookings" id="floor-bookings">
    <thead><tr><th>业务 Queue</th><th class="num">预约</th><th class="num">待签到</th><th class="num">已签到</th>
      <th class="num">爽约</th><th class="num">已取消</th><th>下一时段 Next slot</th></tr></thead>
    <tbody>${[...by.entries()].map(([q, list]) => {
      const c = counts(list);
      const next = list.find((b) => b.state === 'booked' && b.end > now);
      return html`<tr data-queue=${q}>
        <td>${name(q)}${list.some((b) => b.return_visit) ? html` <small>含补办回访</small>` : ''}</td>
        <td class="num">${list.length}</td><td class="num">${c.booked}</td><td class="num">${c.checked_in}</td>
        <td class=${'num' + (c.missed ? ' warn' : '')}>${c.missed}</td><td class="num">${c.cancelled}</td>
        <td>${next ? `${next.start}–${next.end}` : '—'}</td>
      </tr>`;
    })}</tbody></table>`;
}
