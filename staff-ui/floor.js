// 大厅实况 (/staff/floor): every queue and window now, and the alarms, updated live from the
// event stream. Big type, high contrast: meant for a wall-mounted TV as much as a desk.
import { html, useState, useEffect, useRef } from '/staff/vendor/htm-preact-standalone.module.js';
import { get, events } from '/staff/api.js';
import { BookingsByQueue, useBookings } from '/staff/bookings.js';
import { alarmText, mins } from '/display/lib/alarms.js';

const STATUS = {
  closed: ['未开放', 'Closed'],
  open: ['空闲', 'Idle'],
  serving: ['办理中', 'Serving'],
  paused: ['暂停', 'Paused'],
};

export default function Floor() {
  const [floor, setFloor] = useState(null);
  const [error, setError] = useState('');
  const [live, setLive] = useState(false);
  const [tv, setTv] = useState(new URLSearchParams(location.search).has('tv'));
  const [, setTick] = useState(0);
  const fetchedAt = useRef(Date.now());
  const pending = useRef(null);
  const [bookingBump, setBookingBump] = useState(0);
  const bookings = useBookings(null, bookingBump);

  const load = async () => {
    try {
      const f = await get('/api/v1/floor');
      fetchedAt.current = Date.now();
      setFloor(f);
      setError('');
    } catch (e) {
      setError(e.message);
    }
  };

  useEffect(() => {
    load();
    // Any committed change reloads the floor, at most once a second.
    const stop = events((f) => {
      if (f && f.type && f.type.startsWith('appointment.')) setBookingBump((x) => x + 1);
      if (pending.current) return;
      pending.current = setTimeout(() => { pending.current = null; load(); }, 1000);
    }, setLive);
    const every = setInterval(load, 30000);
    const tick = setInterval(() => setTick((n) => n + 1), 1000);
    return () => { stop(); clearInterval(every); clearInterval(tick); clearTimeout(pending.current); };
  }, []);

  useEffect(() => {
    document.body.classList.toggle('tv', tv);
    return () => document.body.classList.remove('tv');
  }, [tv]);

  if (!floor) return html`<div class="floor">${error ? html`<p class="error">${error}</p>` : html`<p class="loading">加载中…</p>`}</div>`;
  const since = Math.floor((Date.now() - fetchedAt.current) / 1000);
  const t = floor.totals;
  const busy = floor.queues.filter((q) => q.waiting > 0).sort((a, b) => b.waiting - a.waiting || b.longest_wait_s - a.longest_wait_s);
  // The hall's clock (its time zone, and a simulated clock in tests), not the browser's.
  const [hh, mm, ss] = floor.at.slice(11, 19).split(':').map(Number);
  const t0 = (hh * 3600 + mm * 60 + ss + since) % 86400;
  const two = (n) => String(n).padStart(2, '0');
  const clock = `${two(Math.floor(t0 / 3600))}:${two(Math.floor((t0 % 3600) / 60))}:${two(t0 % 60)}`;
  return html`<div class="floor">
    <header class="floor-head">
      <h1>大厅实况 <small>Live floor</small></h1>
      <div class="floor-clock">${clock}</div>
      <span class=${'live ' + (live ? 'on' : 'off')}>${live ? '实时' : '连接中…'}</span>
      <button onClick=${() => setTv(!tv)}>${tv ? '退出大屏' : '大屏模式'}</button>
    </header>
    <section class="floor-totals">
      <div class="card stat"><b id="total-waiting">${t.waiting}</b><span>等候人数 Waiting</span></div>
      <div class="card stat"><b>${t.windows_serving}</b><span>办理中窗口 Serving</span></div>
      <div class="card stat"><b>${t.windows_open}</b><span>空闲窗口 Idle</span></div>
      <div class="card stat"><b class=${t.windows_paused ? 'warn' : ''}>${t.windows_paused}</b><span>暂停窗口 Paused</span></div>
      <div class="card stat"><b>${t.issued_today}</b><span>今日取号 Issued today</span></div>
      ${floor.uplink && html`<div class="card stat" id="uplink-lag"><b class=${floor.uplink.connected ? '' : 'warn'}>${floor.uplink.lag_events}</b><span>${floor.uplink.connected ? '未上报事件 Not yet shipped' : '上报中断 Uplink down'}</span></div>`}
    </section>
    <section class="alarms" aria-live="polite">
      ${floor.alarms.length === 0
        ? html`<p class="ok">无告警 No alarms</p>`
        : floor.alarms.map((a) => html`<p class=${'alarm ' + a.kind}>⚠ ${alarmText(a, floor.queues)}</p>`)}
    </section>
    <h2>等候中的业务 <small>Queues with citizens waiting</small></h2>
    <section class="queue-cards">
      ${busy.length === 0 && html`<p class="muted">当前无人等候</p>`}
      ${busy.map((q) => html`<div class=${'card queue-card' + (q.alarm ? ' alarm' : '')}>
        <div class="q-name">${q.name}<small>${q.department_name}</small></div>
        <div class="q-waiting"><b>${q.waiting}</b> 人</div>
        <div class="q-times">最长 ${mins(q.longest_wait_s + since)} · 预计 ${mins(q.estimated_wait_s)}</div>
      </div>`)}
    </section>
    <h2>今日预约 <small>Bookings today, by queue</small></h2>
    <section class="card">
      <${BookingsByQueue} ...${bookings} queues=${floor.queues} now=${clock.slice(0, 5)} />
    </section>
    <h2>窗口 <small>Windows</small></h2>
    <section class="window-tiles">
      ${floor.windows.map((w) => html`<div class=${'tile ' + w.status + (w.alarm ? ' alarm' : '')} title=${w.name}>
        <div class="w-num">${w.number}</div>
        <div class="w-status">${STATUS[w.status][0]} ${w.status === 'open' || w.status === 'paused' ? mins(w.status_s + since) : ''}</div>
        <div class="w-clerk">${w.clerk ? w.clerk.name : ''}</div>
        ${w.current && html`<div class="w-current">${w.current} <small>${mins((w.service_s || 0) + since)}</small></div>`}
      </div>`)}
    </section>
  </div>`;
}
