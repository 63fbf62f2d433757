// The floor wall (/display/floor.html): the manager's live floor on a TV, every window and
// queue of the hall, paged so that nothing is cut; alarms on top. It runs on a display device
// token (given once as `?device=`, then kept on the device), so nothing expires and nobody
// logs in; without a working token it shows a setup screen. No buttons. ?page_s=N sets how
// long a page stays (default 10 s).

import { param, hallDateTime } from './lib/live.js';
import { TileGrid, chipPage, pageFrom } from './lib/tiles.js';
import { alarmText, mins } from './lib/alarms.js';

const POLL_MS = 3_000;
const PAGE_MS = (Number(param('page_s')) || 10) * 1000;
const KEY = 'hallq-display-token';
const $ = (id) => document.getElementById(id);

const given = param('device');
if (given) {
  localStorage.setItem(KEY, given);
  // The token leaves the address bar (and any screenshot of it) once it is kept.
  history.replaceState(null, '', location.pathname + location.search.replace(/([?&])device=[^&]*&?/, '$1').replace(/[?&]$/, ''));
}
const token = localStorage.getItem(KEY) || '';

const state = { hall: null, floor: null, offsetMs: 0, windowStart: 0, windowNext: 0, queueStart: 0, queueNext: 0 };
const tiles = new TileGrid($('windows'));

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

function setup(why) {
  $('setup').hidden = false;
  $('setup-why').textContent = why;
  document.body.dataset.setup = '1';
}

function online(on) {
  document.body.classList.toggle('stale', !on);
  $('offline').hidden = on;
}

async function load() {
  if (!token) return setup('本屏没有设备令牌。No device token on this screen.');
  try {
    if (!state.hall) {
      const h = await fetch('/api/v1/hall', { cache: 'no-store' });
      if (h.ok) state.hall = await h.json();
    }
    const t0 = Date.now();
    const res = await fetch('/api/v1/floor/wall', {
      cache: 'no-store',
      headers: { Authorization: `Bearer ${token}` },
    });
    if (res.status === 401 || res.status === 403) {
      return setup('本屏的设备令牌无效或已被吊销。The device token is not valid or was revoked.');
    }
    if (!res.ok) throw new Error(`floor ${res.status}`);
    const f = await res.json();
    state.offsetMs = Date.parse(f.at) + (Date.now() - t0) / 2 - Date.now();
    state.floor = f;
    $('setup').hidden = true;
    document.body.dataset.setup = '';
    online(true);
    render();
  } catch (_) {
    online(false);
  }
}

function render() {
  const f = state.floor;
  if (!f) return;
  if (state.hall) $('hall-name').textContent = state.hall.name;
  const t = f.totals;
  $('totals').replaceChildren(
    ...[['等候', t.waiting, '人'], ['今日取号', t.issued_today, ''], ['开放窗口', t.windows_open + t.windows_serving, `/${f.windows.length}`]].map(
      ([k, v, unit]) => {
        const s = el('span', null, `${k} `);
        s.append(el('b', null, String(v)), unit);
        return s;
      },
    ),
  );
  $('alarms-panel').hidden = f.alarms.length === 0;
  $('alarms').replaceChildren(...f.alarms.map((a) => el('li', null, `⚠ ${alarmText(a, f.queues)}`)));

  const ws = f.windows;
  tiles.render(ws.length, (per) => {
    const { shown, start, next, caption } = pageFrom(ws, per, state.windowStart);
    state.windowStart = start;
    state.windowNext = next;
    $('windows-page').textContent = caption;
    $('windows').replaceChildren(...shown.map(windowTile));
  });

  const qs = [...f.queues].sort((a, b) => b.waiting - a.waiting || b.longest_wait_s - a.longest_wait_s);
  const page = chipPage($('queues'), qs, state.queueStart, (q) => {
    const li = el('li', q.alarm ? 'alarm' : null, q.name);
    li.dataset.queue = q.id;
    li.append(el('b', null, String(q.waiting)));
    if (q.waiting) li.append(el('i', null, mins(q.longest_wait_s)));
    return li;
  });
  state.queueStart = page.start;
  state.queueNext = page.next;
  $('queues-page').textContent = page.caption;
}

const WORDS = { closed: '未开放', open: '空闲', paused: '暂停' };

function windowTile(w) {
  const cls = w.status === 'open' ? 'idle' : w.status;
  const tile = el('div', `tile ${cls}${w.alarm ? ' alarm' : ''}`);
  tile.dataset.window = w.number;
  const head = el('div', 'head');
  head.append(el('b', null, `${w.number}号`), el('span', 'name', w.name));
  const cur = el('div', 'cur', w.status === 'serving' && w.current ? w.current : WORDS[w.status] || '');
  if (w.status === 'paused') cur.textContent = `暂停 ${mins(w.status_s)}`;
  tile.append(head, cur);
  return tile;
}

function turnPages() {
  if (!state.floor) return;
  state.windowStart = state.windowNext;
  state.queueStart = state.queueNext;
  render();
}

function tick() {
  if (!state.hall) return;
  $('time').textContent = hallDateTime(Date.now() + state.offsetMs, state.hall.timezone)[1];
}

window.hallqTurnPage = turnPages;
addEventListener('resize', render);
setInterval(load, POLL_MS);
setInterval(turnPages, PAGE_MS);
setInterval(tick, 1000);
load().then(tick);
