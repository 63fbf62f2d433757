// The kiosk app: state, navigation, idle return, taking a number. Opened as
// /kiosk/?device=TOKEN once; the token is kept in localStorage. `?idle=N` sets the idle
// timeout in seconds (default 60 on choosing screens, 30 on the ticket screen).

import { api, errorCode } from './api.js';
import { t, setLang } from './i18n.js';
import { validId, validPhone } from './checks.js';
import * as screens from './screens.js';

const params = new URLSearchParams(location.search);
const TOKEN_KEY = 'hallq.kiosk.device';
if (params.get('device')) {
  localStorage.setItem(TOKEN_KEY, params.get('device'));
  params.delete('device');
  const rest = params.toString();
  history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : ''));
}
const idleParam = Number(params.get('idle'));
const IDLE_S = idleParam > 0 ? idleParam : 60;
const TICKET_IDLE_S = idleParam > 0 ? idleParam : 30;
// Fewer, larger choices per screen in large text.
const GRID = () => (state.large ? [3, 2] : [5, 3]);

/** What one citizen's visit sets; cleared when the kiosk returns home. */
const visit = () => ({
  filter: 'hot',
  page: 0,
  dept: null,
  queue: null,
  priority: 'normal',
  greenKind: null,
  idNumber: '',
  phone: '',
  checkin: '',
  tooLate: false,
  ticket: null,
  message: null,
});
const state = { screen: 'home', lang: 'zh', large: false, hall: null, ...visit() };
let lastTouch = Date.now();
/** Hall clock minus this machine's clock, from the last /api/v1/hall. */
let clockOffset = 0;
let busy = false;

const $ = (sel) => document.querySelector(sel);

function render() {
  document.body.classList.toggle('large', state.large);
  $('#hall').textContent = state.hall?.name ?? '';
  const main = {
    home: () => screens.home(state),
    depts: () => screens.depts(state, ...GRID()),
    queues: () => screens.queues(state),
    green: () => screens.green(state),
    id: () => screens.keypad(state, 'id'),
    phone: () => screens.keypad(state, 'phone'),
    checkin: () => screens.keypad(state, 'checkin'),
    issuing: () => screens.busy(),
    setup: () => screens.setup(state),
    ticket: () => screens.ticket(state),
  }[state.screen]();
  $('#screen').innerHTML = main;
  document.body.dataset.screen = state.screen;
  scrollCue();
  renderFooter();
}

/** A list that scrolls says so while more of it is below (large text hides the last
 *  service's 绿色通道 button below the fold). */
function scrollCue() {
  const list = $('#queue-list');
  const cue = $('#scroll-cue');
  if (!list || !cue) return;
  const update = () => {
    cue.hidden = list.scrollHeight - list.scrollTop - list.clientHeight <= 4;
  };
  list.addEventListener('scroll', update, { passive: true });
  update();
}

function idleLeft() {
  if (['home', 'issuing', 'setup'].includes(state.screen)) return null;
  const limit = state.screen === 'ticket' ? TICKET_IDLE_S : IDLE_S;
  return Math.max(0, Math.ceil(limit - (Date.now() - lastTouch) / 1000));
}

function renderFooter() {
  const left = idleLeft();
  // The countdown shows on the ticket screen, and elsewhere in the last 10 seconds.
  const show = left !== null && (state.screen === 'ticket' || left <= 10) ? left : null;
  $('#footer').innerHTML = screens.footer(state, show);
}

function go(screen, extra = {}) {
  Object.assign(state, { message: null }, extra, { screen });
  render();
}

/** Back to the start for the next citizen: Chinese, standard text, nothing chosen. */
function goHome() {
  Object.assign(state, visit(), { lang: 'zh', large: false });
  setLang('zh');
  go('home');
}

async function loadHall() {
  const res = await api('/api/v1/hall');
  if (res.ok) {
    state.hall = res.data;
    const now = Date.parse(res.data.now);
    if (!Number.isNaN(now)) clockOffset = now - Date.now();
    if (['home', 'depts', 'queues'].includes(state.screen)) render();
  }
  return res.ok;
}

function currentQueue() {
  return state.hall?.queues.find((q) => q.id === state.queue);
}

/** After the queue (and the green-channel choice): the optional steps, then the ticket. */
function nextStep(from) {
  const q = currentQueue();
  const order = ['green', 'id', 'phone'];
  const needed = {
    green: state.priority === 'green_channel',
    id: q?.real_name,
    phone: q?.ask_phone,
  };
  for (const step of order.slice(order.indexOf(from) + 1)) {
    if (needed[step]) return go(step);
  }
  return issue();
}

function previousStep() {
  const q = currentQueue();
  const order = ['queues', 'green', 'id', 'phone'];
  const needed = { queues: true, green: state.priority === 'green_channel', id: q?.real_name, phone: q?.ask_phone };
  const at = order.indexOf(state.screen);
  for (const step of order.slice(0, at).reverse()) {
    if (needed[step]) return go(step);
  }
  return go('depts');
}

async function issue() {
  if (busy) return;
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return go('queues', { message: t('no_device') });
  busy = true;
  go('issuing');
  const body = { queue: state.queue, priority: state.priority };
  if (state.idNumber) body.id_number = state.idNumber;
  if (state.phone) body.phone = state.phone;
  const res = await api('/api/v1/tickets', { method: 'POST', body, token });
  busy = false;
  lastTouch = Date.now();
  if (res.status === 201) {
    go('ticket', { ticket: res.data, idNumber: '', phone: '' });
    loadHall();
    return;
  }
  const code = errorCode(res);
  const text = code === 'network' ? t('offline') : t(`err_${code}`) !== `err_${code}` ? t(`err_${code}`) : t('failed');
  if (code === 'invalid_id_number' || code === 'id_number_required') return go('id', { message: text });
  if (code === 'invalid_phone') return go('phone', { message: text });
  await loadHall();
  go('queues', { message: text, idNumber: '', phone: '' });
}

function typeKey(k) {
  const field = { id: 'idNumber', phone: 'phone', checkin: 'checkin' }[state.screen];
  const max = state.screen === 'phone' ? 11 : 18;
  if (k === '⌫') state[field] = state[field].slice(0, -1);
  else if (state[field].length < max) state[field] += k;
  state.message = null;
  render();
}

/** 预约签到: a 6-digit code or an ID number; the ticket comes back as from an issue. */
async function checkIn() {
  const v = state.checkin;
  const body = /^[0-9]{6}$/.test(v) ? { code: v } : validId(v) ? { id_number: v } : null;
  if (!body) return go('checkin', { message: t('checkin_invalid') });
  if (busy) return;
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return go('checkin', { message: t('no_device') });
  busy = true;
  go('issuing');
  const res = await api('/api/v1/appointments/check-in', { method: 'POST', body, token });
  busy = false;
  lastTouch = Date.now();
  if (res.status === 201) {
    go('ticket', { ticket: res.data, checkin: '' });
    loadHall();
    return;
  }
  const code = errorCode(res);
  // The server's message says from when (too_early) or why.
  const text = code === 'network' ? t('offline') : res.data?.error?.message || t('failed');
  go('checkin', { message: text, tooLate: code === 'too_late' });
}

function confirmEntry() {
  if (state.screen === 'checkin') return checkIn();
  if (state.screen === 'id') {
    if (!validId(state.idNumber)) return go('id', { message: t('id_invalid') });
    return nextStep('id');
  }
  if (!validPhone(state.phone)) return go('phone', { message: t('phone_invalid') });
  return nextStep('phone');
}

const actions = {
  start: () => go('depts', { filter: 'hot', page: 0 }),
  checkin: () => go('checkin', { checkin: '', tooLate: false }),
  lang: () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    setLang(state.lang);
    // Initials differ between the languages' names.
    if (/^[A-Z#]$/.test(state.filter ?? '')) state.filter = 'az';
    render();
  },
  large: () => {
    state.large = !state.large;
    state.page = 0;
    render();
  },
  filter: (arg) => go('depts', { filter: arg, page: 0 }),
  page: (arg) => go('depts', { page: Math.max(0, Number(arg)) }),
  dept: (arg) => {
    go('queues', { dept: arg });
    loadHall();
  },
  queue: (arg) => {
    Object.assign(state, { queue: arg, priority: 'normal', greenKind: null, idNumber: '', phone: '' });
    nextStep('queues');
  },
  green: (arg) => {
    Object.assign(state, { queue: arg, priority: 'green_channel', greenKind: null, idNumber: '', phone: '' });
    go('green');
  },
  kind: (arg) => go('green', { greenKind: Number(arg) }),
  normal: () => {
    state.priority = 'normal';
    nextStep('green');
  },
  'green-ok': () => nextStep('green'),
  key: typeKey,
  clear: () => go(state.screen, { id: { idNumber: '' }, phone: { phone: '' }, checkin: { checkin: '' } }[state.screen]),
  skip: () => {
    state.phone = '';
    nextStep('phone');
  },
  enter: confirmEntry,
  back: previousStep,
  home: goHome,
};

document.addEventListener(
  'pointerdown',
  () => {
    lastTouch = Date.now();
  },
  true,
);

document.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-act]');
  if (!b || b.disabled) return;
  lastTouch = Date.now();
  actions[b.dataset.act]?.(b.dataset.arg);
});

// A card reader or keyboard that types into the page.
document.addEventListener('keydown', (e) => {
  lastTouch = Date.now();
  if (!['id', 'phone', 'checkin'].includes(state.screen)) return;
  if (/^[0-9]$/.test(e.key) || (state.screen !== 'phone' && /^[xX]$/.test(e.key))) typeKey(e.key.toUpperCase());
  else if (e.key === 'Backspace') typeKey('⌫');
  else if (e.key === 'Enter') confirmEntry();
  else return;
  e.preventDefault();
});

function tick() {
  $('#clock').textContent = new Intl.DateTimeFormat('sv-SE', {
    timeZone: state.hall?.timezone || 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(Date.now() + clockOffset));
  const left = idleLeft();
  if (left === 0) goHome();
  else renderFooter();
}

// A new version of the screens: reload when nobody is using the kiosk.
let uiVersion = null;
async function checkVersion() {
  const res = await api('/api/v1/version');
  if (!res.ok) return;
  if (uiVersion && res.data.ui_version !== uiVersion && state.screen === 'home') location.reload();
  uiVersion = res.data.ui_version;
}

/**
 * Whether this kiosk's token works, asked at load: 'missing', 'invalid', 'kind' (not a kiosk
 * token), or null when it works or the server can't be reached (issuing then says why).
 */
async function deviceProblem() {
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return 'missing';
  const res = await api('/api/v1/devices/me', { token });
  if (res.status === 401) return 'invalid';
  if (res.ok && res.data.kind !== 'kiosk') return 'kind';
  return null;
}

async function start() {
  setLang('zh');
  render();
  while (!(await loadHall())) await new Promise((r) => setTimeout(r, 3000));
  const problem = await deviceProblem();
  // The same question every minute is this kiosk's heartbeat (the admin's device list).
  setInterval(() => {
    const token = localStorage.getItem(TOKEN_KEY);
    if (token) api('/api/v1/devices/me', { token }).catch(() => {});
  }, 60_000);
  if (problem) {
    // A setup screen at once, never a citizen's whole visit ending in 本机尚未配置.
    state.setup = problem;
    state.screen = 'setup';
    setInterval(async () => {
      if (!(await deviceProblem())) location.reload();
    }, 30000);
  }
  render();
  document.body.dataset.ready = '1';
  setInterval(tick, 1000);
  setInterval(() => {
    if (state.screen !== 'issuing') loadHall();
  }, 15000);
  checkVersion();
  setInterval(checkVersion, 60000);
  tick();
}

start();
