// The hall screen (/display/?zone=A): latest calls, every window of the zone, waiting per
// queue, date and time, the scrolling notice; announces each call of the zone by voice.
// ?voice=off mutes a second screen in the same zone.

import { param, hallDateTime } from './lib/live.js';
import { startScreen } from './lib/screen.js';
import { Voice } from './lib/voice.js';

// A call is spoken only while fresh: replays after a long cut are shown, not read out.
const SPEAK_WITHIN_MS = 60_000;
const FLASH_MS = 5_000;

const zone = param('zone');
const voice = param('voice') === 'off' ? null : new Voice();
let flashing = null; // {number, until}
const $ = (id) => document.getElementById(id);

const screen = startScreen({
  render,
  onCall(call, e) {
    if (!inZone(call.zone)) return;
    flashing = { number: call.number, until: Date.now() + FLASH_MS };
    if (voice && !(screen.live.now() - Date.parse(e.at) > SPEAK_WITHIN_MS)) {
      voice.announce(call.clips);
    }
  },
});
const { floor, live } = screen;
window.hallqVoice = voice;

function inZone(z) {
  return !zone || z === zone;
}

function zoneWindows() {
  return [...floor.windows.values()].filter((w) => inZone(w.zone)).sort((a, b) => a.number - b.number);
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
  renderCalls();
  renderWindows();
  renderQueues();
}

function renderHeader() {
  const hall = screen.hall;
  if (!hall) return;
  $('hall-name').textContent = hall.name;
  const z = hall.zones.find((x) => x.id === zone);
  $('zone-name').textContent = z ? z.name : '';
  document.title = `${hall.name}${z ? ' · ' + z.name : ''}`;
  const notice = $('notice').firstElementChild;
  if (notice.textContent !== hall.texts.notice) notice.textContent = hall.texts.notice;
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
  fitText(latest.querySelector('.text'));
  const list = $('calls');
  list.replaceChildren(
    ...calls.slice(1).map((c) => {
      const li = el('li', null, callText(c));
      li.dataset.number = c.number;
      if (c.priority === 'green_channel') li.prepend(greenBadge());
      return li;
    }),
  );
}

function renderWindows() {
  const box = $('windows');
  const ws = zoneWindows();
  layoutTiles(box, ws.length);
  const fresh = flashing && Date.now() < flashing.until;
  box.replaceChildren(
    ...ws.map((w) => {
      const state = w.status !== 'open' ? w.status : w.current ? w.current.state : 'idle';
      const green = w.status === 'open' && w.current && w.current.priority === 'green_channel';
      const tile = el('div', `tile ${state}${green ? ' green' : ''}`);
      tile.dataset.window = w.number;
      const head = el('div', 'head');
      head.append(el('b', null, `${w.number}号`), green ? greenBadge() : el('span', null, w.name));
      const cur = el('div', 'cur');
      if (w.status === 'paused') cur.textContent = '暂停服务';
      else if (w.status === 'closed') cur.textContent = '未开放';
      else if (!w.current) cur.textContent = '空闲';
      else {
        cur.textContent = w.current.number;
        if (fresh && flashing.number === w.current.number) cur.classList.add('flash');
      }
      tile.append(head, cur);
      return tile;
    }),
  );
}

// Columns and font sizes so that every tile of the zone fits the panel.
let lastLayout = '';
function layoutTiles(box, n) {
  const w = box.clientWidth;
  const h = box.clientHeight;
  const key = `${n}:${w}:${h}`;
  if (!n || !w || !h || key === lastLayout) return;
  lastLayout = key;
  const gap = parseFloat(getComputedStyle(box).rowGap) || 8;
  let best = { cols: 1, size: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const tw = (w - gap * (cols - 1)) / cols;
    const th = (h - gap * (rows - 1)) / rows;
    const size = Math.min(tw / 1.8, th); // tiles look best about 1.8 times wider than tall
    if (size > best.size) best = { cols, rows, tw, th: Math.min(th, tw / 1.2), size };
  }
  box.style.gridTemplateColumns = `repeat(${best.cols}, 1fr)`;
  box.style.gridAutoRows = `${Math.floor(best.th)}px`;
  box.style.setProperty('--tile-big', `${Math.max(12, Math.min(best.th * 0.42, best.tw / 4.2))}px`);
  box.style.setProperty('--tile-small', `${Math.max(10, Math.min(best.th * 0.2, best.tw / 7.5))}px`);
}

/** Shrink a one-line text until it fits its box (from the CSS size down). */
function fitText(node) {
  if (!node) return;
  node.style.fontSize = '';
  let size = parseFloat(getComputedStyle(node).fontSize);
  while (node.scrollWidth > node.clientWidth && size > 12) {
    size *= 0.94;
    node.style.fontSize = `${size}px`;
  }
}

function renderQueues() {
  const hall = screen.hall;
  if (!hall) return;
  const ids = new Set();
  for (const w of hall.windows) if (inZone(w.zone)) w.queues.forEach((q) => ids.add(q));
  const list = $('queues');
  const shown = hall.queues.filter((q) => ids.has(q.id));
  // Queues with people waiting first: when the hall is too big for the strip, the ones
  // cut off are those with nobody waiting.
  const waiting = (q) => floor.waiting.get(q.id) ?? 0;
  list.replaceChildren(
    ...[...shown.filter((q) => waiting(q) > 0), ...shown.filter((q) => waiting(q) === 0)]
      .map((q) => {
        const li = el('li', null, q.name);
        li.dataset.queue = q.id;
        li.append(el('b', null, String(waiting(q))));
        return li;
      }),
  );
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
window.addEventListener('resize', () => {
  lastLayout = '';
  render();
});

if (voice) {
  voice.ready.then(() => {
    if (!voice.suspended) return;
    const b = $('enable-voice');
    b.hidden = false;
    b.addEventListener('click', async () => {
      await voice.resume();
      b.hidden = true;
    }, { once: true });
  });
}

live.start().then(tick);
