// The clerk console at one window: its state, the current citizen with a timer, the window's
// queues with waiting counts, held tickets, and the buttons of a hall caller (F1-F8 as on
// hardware callers). Kept live by the event stream: any event touching this window or its
// queues refreshes the window and the queue counts (at most every 500 ms).
import { html, useState, useEffect, useRef, useCallback } from '/staff/vendor/htm-preact-standalone.module.js';
import { get, post, duration, events } from '/staff/api.js';
import { Dialog } from '/staff/console-dialogs.js';
import { Bookings, useBookings } from '/staff/bookings.js';
import { KEYS, OUTCOMES, reasonsFor, CALL_CHOICE, TICKET_STATE, reasonLabel, usualOutcome, noteOutcome } from '/staff/console-labels.js';

const REFRESH_MS = 500;

/// The buttons in screen order. `dialog` names the dialog that asks first.
const BUTTONS = [
  { op: 'call-next', zh: '叫号', en: 'Call next', key: 'F1' },
  { op: 'recall', zh: '重呼', en: 'Recall', key: 'F2' },
  { op: 'start', zh: '开始', en: 'Start', key: 'F3' },
  { op: 'finish', zh: '办结', en: 'Finish', key: 'F4', dialog: 'finish' },
  { op: 'no-show', zh: '过号', en: 'No-show', key: 'F5', dialog: 'no-show' },
  { op: 'hold', zh: '挂起', en: 'Hold', key: 'F6' },
  { op: 'transfer', zh: '转移', en: 'Transfer', key: 'F7', dialog: 'transfer' },
  { op: 'pause-resume', zh: '暂停', en: 'Pause', key: 'F8', dialog: 'pause' },
  { op: 'call', zh: '特呼', en: 'Call number', dialog: 'call' },
  { op: 'call-back', zh: '回呼', en: 'Call back', dialog: 'call-back' },
  { op: 'sign-out', zh: '签退', en: 'Sign out' },
];

/// Which operations the window's state allows now.
function allowed(win) {
  const cur = win && win.current;
  const st = cur && cur.state;
  const open = win && win.status === 'open';
  const paused = win && win.status === 'paused';
  const idle = open && !cur;
  return {
    'call-next': idle, recall: st === 'called', start: st === 'called',
    finish: st === 'called' || st === 'serving', 'no-show': st === 'called',
    hold: st === 'called' || st === 'serving', transfer: st === 'called' || st === 'serving',
    'pause-resume': paused || idle, call: idle, 'call-back': idle && win.held.length > 0,
    'sign-out': win && !cur,
  };
}

/// Whether an event-stream frame can change what this window's console shows.
function touches(f, n, queues) {
  if (f.type === 'snapshot') return true;
  const mine = (w) => w && w.number === n;
  if (mine(f.window) || mine(f.from_window) || f.to_window === n) return true;
  const q = (id) => id && queues.includes(id);
  return q(f.ticket && f.ticket.queue) || q(f.to_queue) || q(f.from_queue);
}

/// `fn` at most once per `ms`, the last call never lost.
function useThrottle(fn, ms) {
  const latest = useRef(fn);
  latest.current = fn;
  const st = useRef({ last: 0, timer: null });
  useEffect(() => () => clearTimeout(st.current.timer), []);
  return useCallback(() => {
    const s = st.current;
    if (s.timer) return;
    s.timer = setTimeout(() => {
      s.timer = null;
      s.last = Date.now();
      latest.current();
    }, Math.max(0, s.last + ms - Date.now()));
  }, []);
}

/// A clock that ticks every second, in the hall's time (the server's clock may differ).
function useNow(skew) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now + skew;
}

function notice(op, w, body) {
  const num = w.current ? w.current.number : '';
  switch (op) {
    case 'call-next': return w.current ? `已叫号 ${num}（${CALL_CHOICE[w.reason] || ''}）` : '暂无可叫的号 Nobody waiting';
    case 'call': case 'call-back': return `已呼叫 ${num}`;
    case 'recall': return `已重呼 ${num}（第 ${w.current.recall_count} 次）`;
    case 'start': return `${num} 开始办理`;
    case 'finish': return `已办结：${(OUTCOMES.find((o) => o.code === body.outcome) || {}).zh}（F4 默认办结方式，按「办结」按钮可另选）`;
    case 'no-show': return '已过号';
    case 'hold': return '已挂起，可稍后回呼';
    case 'transfer': return '已转移';
    case 'pause': return '已暂停服务';
    case 'resume': return '已恢复服务';
    default: return '';
  }
}

export function Banner({ text, onClose }) {
  return html`<div class="console-banner" id="console-error" role="alert">
    <span>${text}</span>
    <button class="link" onClick=${onClose} title="关闭 Close">✕</button>
  </div>`;
}

export function Desk({ user, n, onLeave }) {
  const [win, setWin] = useState(null);
  const [hall, setHall] = useState(null);
  const [skew, setSkew] = useState(0);
  const [online, setOnline] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [info, setInfo] = useState('');
  const [dialog, setDialog] = useState(null);
  const [dialogError, setDialogError] = useState('');
  const [waitingList, setWaitingList] = useState([]);
  const [picked, setPicked] = useState('');
  const [bookingBump, setBookingBump] = useState(0);
  const now = useNow(skew);

  const plan = hall && hall.windows.find((w) => w.number === n);
  const queueIds = plan ? plan.queues : [];
  const queueIdsRef = useRef(queueIds);
  queueIdsRef.current = queueIds;
  // Only queues that take appointments have a booking list.
  const booked = hall ? queueIds.filter((id) => (hall.queues.find((q) => q.id === id) || {}).appointments) : [];
  const bookings = useBookings(booked, bookingBump);

  // Counts operations sent, so a refresh that crossed one does not paint the older state.
  const ops = useRef(0);
  const refresh = async () => {
    const before = ops.current;
    try {
      const [w, h, l] = await Promise.all([
        get(`/api/v1/windows/${n}`), get('/api/v1/hall'), get(`/api/v1/windows/${n}/waiting-list`),
      ]);
      setHall(h);
      setWaitingList(l.tickets);
      setSkew(Date.parse(h.now) - Date.now());
      if (ops.current !== before) return later();
      if (w.status === 'closed') return onLeave('本窗口已签退 The window was signed out');
      if (w.clerk && w.clerk.username !== user.username) return onLeave(`窗口已由 ${w.clerk.name} 签入`);
      setWin(w);
    } catch (e) {
      setError(e.message);
    }
  };
  const later = useThrottle(refresh, REFRESH_MS);
  useEffect(() => { refresh(); }, [n]);
  useEffect(() => events(
    (f) => {
      if (touches(f, n, queueIdsRef.current)) later();
      if (f.type && f.type.startsWith('appointment.')) setBookingBump((x) => x + 1);
    },
    (on) => { setOnline(on); if (on) later(); }, // a reconnect may have missed something
  ), [n]);

  const can = allowed(win);

  const run = async (op, body) => {
    ops.current += 1;
    setBusy(true);
    setError('');
    setDialogError('');
    try {
      const w = await post(`/api/v1/windows/${n}/${op}`, body);
      if (op === 'sign-out') return onLeave('');
      if (op === 'finish') noteOutcome(n, body.outcome);
      setWin(w);
      setInfo(notice(op, w, body || {}));
      setDialog(null);
      later();
      return true;
    } catch (e) {
      if (dialogRef.current) setDialogError(e.message);
      else setError(e.message);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const dialogRef = useRef(dialog);
  dialogRef.current = dialog;

  const press = (b, key) => {
    // Offline, the console cannot know the window's state: nothing is sent on a guess.
    if (busy || !onlineRef.current || !can[b.op]) return;
    setInfo('');
    if (b.op === 'pause-resume') return win.status === 'paused' ? run('resume') : (setDialogError(''), setDialog('pause'));
    // F4: 办结 in one key, with the window's usual outcome.
    if (b.op === 'finish' && key) return run('finish', { outcome: usualOutcome(n) });
    if (b.dialog) { setDialogError(''); setPicked(''); return setDialog(b.dialog); }
    run(b.op);
  };
  const onlineRef = useRef(online);
  onlineRef.current = online;
  const pressRef = useRef(press);
  pressRef.current = press;

  useEffect(() => {
    const onKey = (e) => {
      const op = KEYS[e.key];
      if (!op) return;
      e.preventDefault(); // F5 must not reload, F1 must not open help
      if (dialogRef.current) return;
      const b = BUTTONS.find((x) => x.op === op);
      pressRef.current(b, true);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  if (!win) {
    return html`<div class="console">${error ? html`<${Banner} text=${error} onClose=${() => setError('')} />`
      : html`<p class="loading">加载中… Loading…</p>`}</div>`;
  }
  const queues = queueIds.map((id) => hall.queues.find((q) => q.id === id)).filter(Boolean);
  return html`<div class="console console-desk" data-window=${n}>
    <${Header} win=${win} online=${online} now=${now} />
    ${error ? html`<${Banner} text=${error} onClose=${() => setError('')} />`
      : html`<p class="console-info" id="console-info">${info || '\u00a0'}</p>`}
    <div class="console-body">
      <div class="console-main">
        <${Current} win=${win} now=${now} hall=${hall} />
        <div class="console-buttons">
          ${BUTTONS.map((b) => {
            const resume = b.op === 'pause-resume' && win.status === 'paused';
            return html`<button id=${'console-op-' + b.op} data-op=${b.op} data-key=${b.key || ''}
                class=${'console-op console-op-' + b.op + (resume ? ' resume' : '')}
                disabled=${busy || !online || !can[b.op]} onClick=${() => press(b)}>
              <span class="console-op-zh">${resume ? '恢复' : b.zh}</span>
              <small>${resume ? 'Resume' : b.en}</small>
              ${b.key && html`<kbd>${b.key}</kbd>`}
            </button>`;
          })}
        </div>
      </div>
      <aside class="console-side">
        <${Queues} win=${win} queues=${queues} />
        <${WaitingList} list=${waitingList} now=${now} hall=${hall} canCall=${can.call && !busy && online}
          onPick=${(t) => { setPicked(t); setDialogError(''); setDialog('call'); }} />
        <${Held} win=${win} canCall=${can['call-back'] && !busy && online} onCall=${(t) => run('call-back', { ticket: t })} />
        ${booked.length > 0 && html`<${Bookings} ...${bookings} hall=${hall} id="console-bookings" />`}
      </aside>
    </div>
    ${dialog && html`<${Dialog} kind=${dialog} run=${run} busy=${busy} error=${dialogError}
      held=${win.held} hall=${hall} now=${now} windowNumber=${n} outcome=${usualOutcome(n)} ticket=${picked}
      onClose=${() => { setDialog(null); setPicked(''); }} />`}
  </div>`;
}

// The wall's words for a window (display-ui/hall.js): 空闲 is open with nobody at the
// counter, 未开放 nobody signed in.
const STATUS = { open: '服务中', paused: '暂停服务', closed: '未开放' };
const STATUS_EN = { open: 'Open', paused: 'Paused', closed: 'Closed' };

function since(now, at) {
  return at ? duration((now - Date.parse(at)) / 1000) : '—';
}

function Header({ win, online, now }) {
  return html`<header class="console-head">
    <h1><b id="console-window-number">${win.number}</b>号窗口<span class="console-head-name">${win.name}</span>
      <small>${win.zone}区 · Window ${win.number}</small></h1>
    <span class=${'console-status console-status-' + win.status} id="console-status" data-status=${win.status}>
      ${STATUS[win.status]}<small>${STATUS_EN[win.status]}</small>
      ${win.status === 'paused' && html`<span id="console-pause-reason">：${reasonLabel(reasonsFor('pause'), win.pause_reason)}${win.pause_until ? `，${win.pause_until.slice(11, 16)}恢复` : ''}</span>`}
      <span class="console-since">${since(now, win.since)}</span>
    </span>
    <span class="console-clerk">${win.clerk ? win.clerk.name : ''}</span>
    <span class=${'console-conn' + (online ? ' on' : '')} id="console-conn" data-online=${online}
      title=${online ? '实时连接正常 Live' : '实时连接中断，正在重连 Reconnecting'}>
      ${online ? '实时' : '重连中'}</span>
  </header>`;
}

function Current({ win, now, hall }) {
  const cur = win.current;
  if (!cur) {
    return html`<section class="console-current idle" id="console-current" data-number="">
      <div class="console-number">${win.status === 'paused' ? '暂停' : '空闲'}</div>
      <div class="console-meta">
        ${win.status === 'paused' ? '暂停中，恢复后才能叫号 Paused' : '当前没有办理中的群众，按 F1 叫号 Press F1 to call'}
      </div>
    </section>`;
  }
  const q = hall && hall.queues.find((x) => x.id === cur.queue);
  const serving = cur.state === 'serving';
  return html`<section class=${'console-current ' + cur.state} id="console-current" data-number=${cur.number} data-state=${cur.state}>
    <div class="console-number">${cur.number}</div>
    <div class="console-meta">
      <div class="console-state">${TICKET_STATE[cur.state] || cur.state}
        ${cur.priority === 'green_channel' && html`<span class="console-tag">绿色通道</span>`}
        ${cur.recall_count > 0 && html`<span class="console-tag">重呼 ${cur.recall_count} 次</span>`}
        ${cur.transfer_count > 0 && html`<span class="console-tag">转移 ${cur.transfer_count} 次</span>`}
      </div>
      <div>${q ? q.name : cur.queue}</div>
      <div class="console-timers">
        <span>${serving ? '办理用时' : '呼叫后'}<small>${serving ? 'Serving' : 'Since call'}</small>
          <b id="console-timer">${since(now, serving ? cur.started_at : cur.called_at)}</b></span>
        <span>等候了<small>Waited</small><b id="console-waited">${duration(cur.wait_s)}</b></span>
      </div>
    </div>
  </section>`;
}

function Queues({ win, queues }) {
  return html`<section class="console-queues">
    <h2>等候人数<small>Waiting</small><b id="console-window-waiting" data-waiting=${win.waiting}>${win.waiting}</b></h2>
    <table>
      <thead><tr><th>业务 Queue</th><th class="num">等候</th><th class="num">最久</th></tr></thead>
      <tbody>
        ${queues.map((q) => html`<tr data-queue=${q.id} class=${q.open ? '' : 'closed'}>
          <td><span class="console-prefix">${q.prefix}</span>${q.name}${!q.open && html`<small>（停止取号）</small>`}</td>
          <td class="num"><b id=${'console-waiting-' + q.id} data-waiting=${q.waiting}>${q.waiting}</b></td>
          <td class="num">${q.waiting ? duration(q.longest_wait_s) : '—'}</td>
        </tr>`)}
      </tbody>
    </table>
  </section>`;
}

function Held({ win, canCall, onCall }) {
  return html`<section class="console-held" id="console-held">
    <h2>挂起<small>Held</small><b>${win.held.length}</b></h2>
    ${win.held.length === 0 ? html`<p class="console-muted">无 None</p>`
      : html`<ul>${win.held.map((t) => html`<li data-held=${t.number}>
          <span class="console-held-number">${t.number}</span>
          <button disabled=${!canCall} onClick=${() => onCall(t.number)}>回呼<small>Call back</small></button>
        </li>`)}</ul>`}
  </section>`;
}

/// 等候名单: who this window would call, in order, with their waits ticking; picking one is a
/// 特呼 (the dialog asks for the reason).
function WaitingList({ list, now, hall, canCall, onPick }) {
  const name = (id) => (hall && (hall.queues.find((q) => q.id === id) || {}).name) || id;
  return html`<section class="console-waiting-list" id="console-waiting-list">
    <h2>等候名单<small>Waiting, in calling order</small><b>${list.length}</b></h2>
    ${list.length === 0 ? html`<p class="console-muted">无 None</p>` : html`<ol>${list.map((t) => html`<li data-waiting-ticket=${t.number}>
      <span class="console-held-number">${t.number}</span>
      <span class="console-waiting-queue">${name(t.queue)}${t.priority === 'green_channel' ? ' · 绿色通道' : ''}${t.transferred_here ? ' · 转至本窗口' : ''}</span>
      <span class="console-waiting-wait">${duration((now - Date.parse(t.issued_at)) / 1000)}</span>
      <button disabled=${!canCall} onClick=${() => onPick(t.number)}>特呼<small>Call</small></button>
    </li>`)}</ol>`}
  </section>`;
}
