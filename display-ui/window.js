// The window screen (/display/window.html?n=5): department, window number and name, clerk
// with a photo placeholder, and the number called or served; `欢迎您` when idle, `暂停服务`
// when paused or closed (texts from config). Silent: the zone's hall screen speaks.

import { param, fill } from './lib/live.js';
import { startScreen } from './lib/screen.js';
import { startEvaluator } from './evaluator.js';

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

const screen = startScreen({
  render,
  onCall(call) {
    if (call.window === number) flashUntil = Date.now() + FLASH_MS;
  },
  onEvent(e) {
    if (evaluator) evaluator.onEvent(e);
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
    state = 'paused';
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
  $('clerk-name').textContent = w && w.clerk ? w.clerk.name : '—';
}

setInterval(() => {
  if (flashUntil && Date.now() >= flashUntil) {
    flashUntil = 0;
    render();
  }
}, 1000);

screen.live.start();
