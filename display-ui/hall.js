// The hall screen (/display/?zone=A, or the whole hall without `zone`): latest calls, the
// zone's windows, waiting per queue, date and time, the scrolling notice; announces each call
// of the zone by voice. Nothing is ever cut: text shrinks only down to the readable minimum
// (hall.css), then windows and waiting counts go on pages that turn by themselves.
// ?voice=off mutes a second screen in the same zone; ?unstaffed=hide leaves out windows that
// nobody is signed in to; ?page_s=N sets how long a page stays (default 10 s).

import { param, hallDateTime } from './lib/live.js';
import { startScreen } from './lib/screen.js';
import { Voice } from './lib/voice.js';
import { pauseWords } from './lib/pause.js';
import { TileGrid, chipPage, fitText, minimums, pageFrom } from './lib/tiles.js';

// A call is spoken only while fresh: replays after a long cut are shown, not read out.
const SPEAK_WITHIN_MS = 60_000;
const FLASH_MS = 5_000;
const PAGE_MS = (Number(param('page_s')) || 10) * 1000;

const zone = param('zone');
const hideUnstaffed = param('unstaffed') === 'hide';
let badZone = false;
const voice = param('voice') === 'off' ? null : new Voice();
let flashing = null; // {number, until}
const $ = (id) => document.getElementById(id);
// Which page of windows and of waiting counts is showing; both turn on one timer.
const pages = { windowStart: 0, windowNext: 0, queueStart: 0, queueNext: 0 };

const screen = startScreen({
  render,
  onCall(call, e) {
    if (badZone || !inZone(call.zone)) return;
    flashing = { number: call.number, until: Date.now() + FLASH_MS };
    if (voice && !(screen.live.now() - Date.parse(e.at) > SPEAK_WITHIN_MS)) {
      voice.announce(call.clips);
    }
  },
});
const { floor, live } = screen;
const tiles = new TileGrid($('windows'));
window.hallqVoice = voice;

function inZone(z) {
  return !zone || z === zone;
}

function zoneWindows() {
  return [...floor.windows.values()]
    .filter((w) => inZone(w.zone) && !(hideUnstaffed && w.status === 'closed'))
    .sort((a, b) => a.number - b.number);
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

function greenBadge() {
  return el('span', 'green-badge', '绿色通道');
}

function callText(c) {
  return c.text || `请 ${c.number} 到 ${c.window} 号窗口办理`;
}

function render() {
  renderHeader();
  if (badZone) return;
  renderCalls();
  renderWindows();
  renderQueues();
}

function renderHeader() {
  const hall = screen.hall;
  if (!hall) return;
  $('hall-name').textContent = hall.name;
  const z = hall.zones.find((x) => x.id === zone);
  badZone = zone != null && !z;
  $('zone-name').textContent = z ? z.name : zone ? '' : '全厅';
  document.title = `${hall.name}${z ? ' · ' + z.name : ''}`;
  const notice = $('notice').firstElementChild;
  if (notice.textContent !== hall.texts.notice) notice.textContent = hall.texts.notice;
  showBadZone(hall);
}

/** An unknown `zone` says so, and which zones there are, instead of an empty wall. */
function showBadZone(hall) {
  const box = $('bad-zone');
  box.hidden = !badZone;
  document.querySelector('main').style.visibility = badZone ? 'hidden' : '';
  document.body.dataset.error = badZone ? 'unknown_zone' : '';
  if (!badZone || box.dataset.zone === zone) return;
  box.dataset.zone = zone;
  const head = el('div');
  head.append('本大厅没有区域 ', el('b', null, `“${zone}”`), el('small', null, ` Unknown zone “${zone}”`));
  const list = el('ul');
  for (const z of hall.zones) {
    list.append(el('li', null, `?zone=${z.id} · ${z.name}`));
  }
  box.replaceChildren(head, el('div', null, '可用的区域 Zones of this hall:'), list);
}

function renderCalls() {
  const calls = floor.calls.filter((c) => inZone(c.zone));
  const latest = $('latest');
  latest.replaceChildren();
  const fresh = flashing && Date.now() < flashing.until;
  if (calls.length === 0) {
    latest.className = 'call latest empty';
    latest.textContent = '—';
  } else {
    const c = calls[0];
    latest.className = 'call latest' + (fresh && flashing.number === c.number ? ' flash' : '');
    latest.dataset.number = c.number;
    if (c.priority === 'green_channel') latest.append(greenBadge());
    latest.append(el('div', 'text', callText(c)));
  }
  const min = minimums();
  fitText(latest.querySelector('.text'), min.number);
  const list = $('calls');
  list.replaceChildren(
    ...calls.slice(1).map((c) => {
      const li = el('li', null, callText(c));
      li.dataset.number = c.number;
      if (c.priority === 'green_channel') li.prepend(greenBadge());
      return li;
    }),
  );
  for (const li of list.children) fitText(li, min.name);
  // Whole lines only: a call that would be sliced by the panel's edge is left out.
  const bottom = list.getBoundingClientRect().bottom;
  for (const li of [...list.children].reverse()) {
    if (li.getBoundingClientRect().bottom <= bottom + 0.5) break;
    li.remove();
  }
}

function tileState(w) {
  return w.status !== 'open' ? w.status : w.current ? w.current.state : 'idle';
}

function renderWindows() {
  const box = $('windows');
  const ws = zoneWindows();
  tiles.render(ws.length, (per) => {
    const { shown, start, next, caption } = pageFrom(ws, per, pages.windowStart);
    pages.windowStart = start;
    pages.windowNext = next;
    $('windows-page').textContent = caption;
    box.replaceChildren(...shown.map(windowTile));
    if (!ws.length) box.replaceChildren(el('div', 'tile closed', '暂无开放窗口 No window open'));
  });
}

function windowTile(w) {
  const fresh = flashing && Date.now() < flashing.until;
  const state = tileState(w);
  const green = w.status === 'open' && w.current && w.current.priority === 'green_channel';
  const tile = el('div', `tile ${state}${green ? ' green' : ''}`);
  tile.dataset.window = w.number;
  const head = el('div', 'head');
  head.append(el('b', null, `${w.number}号`), green ? greenBadge() : el('span', 'name', w.name));
  const cur = el('div', 'cur');
  if (w.status === 'paused') {
    // 午休 13:30恢复 when the clerk gave a time; the wall has no room for the English.
    const p = pauseWords(w, screen.hall && screen.hall.reasons, live.now());
    cur.textContent = p.back ? `${p.why || '暂停'} ${p.back}恢复` : p.why || '暂停服务';
  }
  else if (w.status === 'closed') cur.textContent = '未开放';
  else if (!w.current) cur.textContent = '空闲';
  else {
    cur.textContent = w.current.number;
    if (fresh && flashing.number === w.current.number) cur.classList.add('flash');
  }
  tile.append(head, cur);
  return tile;
}

function renderQueues() {
  const hall = screen.hall;
  if (!hall) return;
  const ids = new Set();
  for (const w of hall.windows) if (inZone(w.zone)) w.queues.forEach((q) => ids.add(q));
  const shown = hall.queues.filter((q) => ids.has(q.id));
  // Queues with people waiting first, so the first page has those who wait.
  const waiting = (q) => floor.waiting.get(q.id) ?? 0;
  const ordered = [...shown.filter((q) => waiting(q) > 0), ...shown.filter((q) => waiting(q) === 0)];
  const page = chipPage($('queues'), ordered, pages.queueStart, (q) => {
    const li = el('li', null, q.name);
    li.dataset.queue = q.id;
    li.append(el('b', null, String(waiting(q))));
    return li;
  });
  pages.queueStart = page.start;
  pages.queueNext = page.next;
  $('queues-page').textContent = page.caption;
}

/** Turn the pages of windows and waiting counts. */
function turnPages() {
  if (badZone) return;
  pages.windowStart = pages.windowNext;
  pages.queueStart = pages.queueNext;
  render();
}

function tick() {
  const hall = screen.hall;
  if (hall) {
    const [date, time] = hallDateTime(live.now(), hall.timezone);
    $('date').textContent = date;
    $('time').textContent = time;
  }
  // End a flash once its time is up.
  if (flashing && Date.now() >= flashing.until) {
    flashing = null;
    render();
  }
}

setInterval(tick, 1000);
setInterval(turnPages, PAGE_MS);
window.addEventListener('resize', () => render());
// For tests: turn a page now.
window.hallqTurnPage = turnPages;

if (voice) {
  voice.ready.then(() => {
    if (!voice.suspended || badZone) return;
    const b = $('enable-voice');
    b.hidden = false;
    b.addEventListener('click', async () => {
      await voice.resume();
      b.hidden = true;
    }, { once: true });
  });
}

document.body.classList.toggle('whole', !zone);
live.start().then(tick);
