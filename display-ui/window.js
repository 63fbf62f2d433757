// The window screen (/display/window.html?n=5): department, window number and name, clerk
// with a photo placeholder, and the number called or served; `欢迎您` when idle, `暂停服务`
// and its reason when paused (texts from config), `本窗口未开放` when nobody is signed in.
// Silent: the zone's hall screen speaks.

import { param, fill } from './lib/live.js';
import { startScreen } from './lib/screen.js';
import { startEvaluator } from './evaluator.js';
import { pauseWords } from './lib/pause.js';
import { clerkCard } from './lib/clerk-card.js';

const FLASH_MS = 5_000;
const number = Number(param('n'));
let flashUntil = 0;
const $ = (id) => document.getElementById(id);

// `evaluator=1`: this screen is also the window's evaluator (评价器). Its device token comes
// once in the URL (`device=`) and is kept on the device.
let evaluator = null;
if (param('evaluator') === '1') {
  const given = param('device');
  if (given) localStorage.setItem('hallq-evaluator-token', given);
  const token = given || localStorage.getItem('hallq-evaluator-token') || '';
  const ask = Number(param('ask')) || 30;
  evaluator = startEvaluator({
    root: document.body,
    n: number,
    token,
    reasons: () => (screen.hall && screen.hall.rating_reasons) || [],
    askSeconds: ask,
    now: () => screen.live.now(),
  });
}

// The clerk's 工号 and photo come with a display device token (`device=` once, then kept on
// the device, like the floor TV's), or with this window's evaluator token.
const DISPLAY_KEY = 'hallq-display-token';
if (param('device') && param('evaluator') !== '1') localStorage.setItem(DISPLAY_KEY, param('device'));
const card = clerkCard({
  n: number,
  token: () => localStorage.getItem(DISPLAY_KEY) || (evaluator ? localStorage.getItem('hallq-evaluator-token') || '' : ''),
  changed: () => render(),
});

const screen = startScreen({
  render,
  onCall(call) {
    if (call.window === number) flashUntil = Date.now() + FLASH_MS;
  },
  onEvent(e) {
    if (evaluator) evaluator.onEvent(e);
    card.onEvent(e);
  },
});

function render() {
  const { hall, floor } = screen;
  if (!hall) return;
  const plan = hall.windows.find((w) => w.number === number);
  if (!plan) {
    $('department').textContent = '未知窗口 Unknown window';
    $('window-name').textContent = `n=${param('n') ?? ''}`;
    return;
  }
  const queue = hall.queues.find((q) => q.id === plan.queues[0]);
  const dept = queue && hall.departments.find((d) => d.id === queue.department);
  // A comprehensive window serves many departments: its own name says what it is.
  $('department').textContent = plan.kind === 'resident' && dept ? dept.name : plan.name;
  $('window-name').textContent = plan.kind === 'resident' ? plan.name : hall.name;
  $('window-number').textContent = `${number}号窗口`;
  document.title = `${number}号窗口 · ${plan.name}`;

  const w = floor.window(number);
  const t = hall.texts;
  let state = 'closed';
  let text = t.window_paused;
  let sub = '';
  if (w && w.status === 'paused') {
    // Paused: the clerk is coming back; the reason and the time when given (午休，13:30恢复).
    state = 'paused';
    const p = pauseWords(w, hall.reasons, screen.live.now());
    sub = p.zh ? `${p.zh} · ${p.back ? p.en : `${p.en}, back soon`}` : '请稍候 Back soon';
  } else if (!w || w.status === 'closed') {
    // Closed: nobody works here now, which is not the same as a break.
    text = '本窗口未开放';
    sub = '请到其他窗口办理 Please use another window';
  } else if (w && w.status === 'open' && !w.current) {
    state = 'idle';
    text = t.window_idle;
  } else if (w && w.status === 'open' && w.current) {
    state = w.current.state === 'serving' ? 'serving' : 'called';
    text = state === 'called' ? fill(t.window_calling, w.current.number, number) : w.current.number;
    sub = state === 'called' ? '请到本窗口办理 Please come to this window' : '正在办理 Now serving';
    if (w.current.priority === 'green_channel') sub = `绿色通道 · ${sub}`;
  }
  document.body.classList.remove('idle', 'paused', 'closed', 'called', 'serving');
  document.body.classList.add(state);
  $('status-text').textContent = text;
  $('status-text').classList.toggle('flash', state === 'called' && Date.now() < flashUntil);
  $('status-sub').textContent = sub;
  fitWidth($('status-text'));
  renderClerk(w);
}

/** The clerk's photo, name (as the hall allows) and 工号; the placeholder when nobody is in. */
function renderClerk(w) {
  const staffed = w && w.status !== 'closed';
  const c = staffed ? card.card() : null;
  const name = (c && c.name) || (w && w.clerk ? w.clerk.name : '');
  const img = $('clerk').querySelector('img');
  const src = c ? card.photoSrc() : 'img/clerk-placeholder.svg';
  if (img.getAttribute('src') !== src) img.setAttribute('src', src);
  $('clerk-name').textContent = staffed ? name || '工作人员' : '—';
  $('clerk-no').textContent = c && c.staff_no ? `工号 ${c.staff_no}` : '';
  $('clerk-no').hidden = !(c && c.staff_no);
  $('clerk').classList.toggle('has-photo', src !== 'img/clerk-placeholder.svg');
}

/** Shrink the status line until the whole number fits the screen's width (portrait). */
function fitWidth(node) {
  node.style.fontSize = '';
  let size = parseFloat(getComputedStyle(node).fontSize);
  while (node.scrollWidth > node.clientWidth && size > 16) {
    size *= 0.94;
    node.style.fontSize = `${size}px`;
  }
}

window.addEventListener('resize', () => render());

let lastRender = Date.now();
setInterval(() => {
  // Redraw when a flash ends, and now and then so a passed return time drops off.
  if ((flashUntil && Date.now() >= flashUntil) || Date.now() - lastRender > 15_000) {
    flashUntil = 0;
    lastRender = Date.now();
    render();
  }
}, 1000);

screen.live.start();
