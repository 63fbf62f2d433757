// The window's evaluator (评价器): after the clerk finishes (办结), ask the citizen to rate the
// service; a bad rating asks why; skipping is fine; back to idle after a timeout. A tap made
// while the link is down is kept on the device and sent, idempotently, when it is back.
// Mounted by window.html when opened with `evaluator=1` (and `device=TOKEN` once).

const LEVELS = [
  { code: 'very_satisfied', zh: '非常满意', en: 'Very satisfied', tone: 'great' },
  { code: 'satisfied', zh: '满意', en: 'Satisfied', tone: 'good' },
  { code: 'basically_satisfied', zh: '基本满意', en: 'Fair', tone: 'fair' },
  { code: 'dissatisfied', zh: '不满意', en: 'Dissatisfied', tone: 'bad' },
  { code: 'very_dissatisfied', zh: '非常不满意', en: 'Very dissatisfied', tone: 'worse' },
];
const BAD = new Set(['dissatisfied', 'very_dissatisfied']);

const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k != null) e.append(k);
  return e;
};

/// Start the evaluator for window `n` inside `root`. `askSeconds`: how long a question stays.
/// `reasons()`: the preset reasons for a bad rating; `now()`: the hall clock in ms.
export function startEvaluator({ root, n, token, reasons = () => [], askSeconds = 30, now = Date.now }) {
  const state = { mode: 'idle', ticket: null, level: null, chosen: new Set(), timer: null, left: 0 };
  window.hallqEvaluator = state;
  document.head.append(el('link', { rel: 'stylesheet', href: '/display/evaluator.css' }));
  const box = el('div', { class: 'evaluator', id: 'evaluator', 'data-mode': 'idle' });
  root.append(box);

  const clear = () => { clearInterval(state.timer); state.timer = null; };
  const idle = () => { clear(); state.mode = 'idle'; state.ticket = null; state.level = null; state.chosen = new Set(); draw(); };
  const countdown = (secs, then) => {
    clear();
    state.left = secs;
    state.timer = setInterval(() => {
      state.left -= 1;
      const c = box.querySelector('.evaluator-countdown');
      if (c) c.textContent = `${state.left} 秒后返回`;
      if (state.left <= 0) then();
    }, 1000);
  };

  // Taps not yet acknowledged by the server, kept on the device (localStorage) so a rating
  // given while the link is down is sent when it is back. Each carries an idempotency key: a
  // resend of a tap whose first answer was lost is answered 200 `replayed`, never counted twice.
  const OUTBOX = `hallq-evaluator-outbox-${n}`;
  const pending = () => {
    try { return JSON.parse(localStorage.getItem(OUTBOX) || '[]'); } catch (_) { return []; }
  };
  const keep = (list) => localStorage.setItem(OUTBOX, JSON.stringify(list));
  const drop = (key) => keep(pending().filter((x) => x.key !== key));
  /// 'done' (stored now or before), 'offline' (try again later), or why it was refused.
  const send = async (item) => {
    let res;
    try {
      res = await fetch('/api/v1/ratings', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
        body: JSON.stringify({ ...item.body, key: item.key }),
      });
    } catch (_) {
      return 'offline';
    }
    if (res.ok) return 'done';
    const err = await res.json().catch(() => null);
    if (res.status >= 500) return 'offline';
    if (err && err.error && err.error.code === 'already_rated') return 'done';
    return (err && err.error && err.error.message) || '评价未能提交';
  };
  let flushing = false;
  const flush = async () => {
    if (flushing) return;
    flushing = true;
    try {
      for (const item of pending()) {
        const r = await send(item);
        if (r === 'offline') break;
        drop(item.key);
      }
    } finally {
      flushing = false;
    }
  };
  state.outbox = pending;
  setInterval(flush, 5000);
  window.addEventListener('online', flush);
  flush();

  const submit = async () => {
    const item = {
      key: `w${n}-t${state.ticket.id}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      body: { ticket: state.ticket.id, level: state.level, reasons: [...state.chosen] },
    };
    keep([...pending(), item]);
    state.mode = 'sending';
    draw();
    const r = await send(item);
    if (r === 'done' || r === 'offline') {
      if (r === 'done') drop(item.key);
      // Offline: the tap is kept and sent when the link is back; the citizen is thanked.
      state.mode = r === 'done' ? 'thanks' : 'saved';
      draw();
      countdown(4, idle);
    } else {
      drop(item.key);
      state.mode = 'error';
      state.error = r;
      draw();
      countdown(5, idle);
    }
  };

  const choose = (code) => {
    state.level = code;
    if (BAD.has(code)) {
      state.mode = 'reasons';
      draw();
      countdown(askSeconds, idle);
    } else {
      submit();
    }
  };

  function draw() {
    box.dataset.mode = state.mode;
    box.replaceChildren();
    if (state.mode === 'idle') {
      box.append(el('p', { class: 'evaluator-idle' }, '服务评价器', el('small', {}, 'Service evaluator')));
      return;
    }
    if (state.mode === 'unbound') {
      // Checked at load: a rating taken here would be refused and the citizen's tap lost.
      box.append(el('p', { class: 'evaluator-msg error', id: 'evaluator-binding' }, state.error));
      return;
    }
    if (state.mode === 'ask') {
      box.append(
        el('h2', {}, `请您对 ${state.ticket.number} 号的服务进行评价`, el('small', {}, 'Please rate our service')),
        el('div', { class: 'evaluator-levels' }, LEVELS.map((l) =>
          el('button', { class: 'evaluator-level ' + l.tone, 'data-level': l.code, onclick: () => choose(l.code) },
            l.zh, el('small', {}, l.en)))),
        el('div', { class: 'evaluator-foot' },
          el('button', { class: 'evaluator-skip', onclick: idle }, '跳过 Skip'),
          el('span', { class: 'evaluator-countdown' }, `${state.left} 秒后返回`)),
      );
      return;
    }
    if (state.mode === 'reasons') {
      box.append(
        el('h2', {}, '很抱歉！请告诉我们哪里做得不好', el('small', {}, 'What went wrong? (choose at least one)')),
        el('div', { class: 'evaluator-reasons' }, reasons().map((r) =>
          el('button', {
            class: 'evaluator-reason' + (state.chosen.has(r) ? ' on' : ''),
            'aria-pressed': state.chosen.has(r) ? 'true' : 'false',
            onclick: () => { state.chosen.has(r) ? state.chosen.delete(r) : state.chosen.add(r); draw(); },
          }, r))),
        el('div', { class: 'evaluator-foot' },
          el('button', { class: 'evaluator-submit', disabled: state.chosen.size === 0, onclick: submit }, '提交评价 Submit'),
          el('button', { class: 'evaluator-skip', onclick: idle }, '跳过 Skip'),
          el('span', { class: 'evaluator-countdown' }, `${state.left} 秒后返回`)),
      );
      return;
    }
    if (state.mode === 'sending') box.append(el('p', { class: 'evaluator-msg' }, '正在提交…'));
    if (state.mode === 'thanks') box.append(el('p', { class: 'evaluator-msg' }, '感谢您的评价！', el('small', {}, 'Thank you')));
    if (state.mode === 'saved') box.append(el('p', { class: 'evaluator-msg', id: 'evaluator-saved' }, '感谢您的评价！网络恢复后将自动提交', el('small', {}, 'Thank you; it will be sent when the link is back')));
    if (state.mode === 'error') box.append(el('p', { class: 'evaluator-msg error' }, state.error));
  }

  // Which window this evaluator's token belongs to, asked once at load: an evaluator opened
  // at another window says so instead of asking citizens for ratings it cannot submit.
  fetch('/api/v1/devices/me', { headers: { Authorization: 'Bearer ' + token } })
    .then(async (res) => {
      const me = res.ok ? await res.json() : null;
      let why = '';
      if (!me) why = '本评价器尚未配置设备令牌，请联系管理员 (no evaluator token)';
      else if (me.kind !== 'evaluator') why = '此设备令牌不是评价器令牌，请联系管理员';
      else if (me.window !== n) why = `本评价器属于${me.window}号窗口 (this evaluator belongs to window ${me.window})`;
      if (why) {
        clear();
        state.mode = 'unbound';
        state.error = why;
        draw();
      }
    })
    .catch(() => {}); // offline at load: the stream's own badge says so; ratings retry later
  // Asked again every minute: the evaluator's heartbeat for the admin's device list.
  setInterval(() => {
    fetch('/api/v1/devices/me', { headers: { Authorization: 'Bearer ' + token } }).catch(() => {});
  }, 60_000);

  /// Called by the page for every event of the stream.
  const onEvent = (e) => {
    if (state.mode === 'unbound') return;
    // A replay after a reconnect must not ask about a citizen who left long ago.
    const fresh = !e.at || now() - Date.parse(e.at) < askSeconds * 1000;
    if (e.type === 'ticket.finished' && e.window && e.window.number === n && fresh) {
      state.mode = 'ask';
      state.ticket = { id: e.ticket.id, number: e.ticket.number };
      state.level = null;
      state.chosen = new Set();
      draw();
      countdown(askSeconds, idle);
    } else if (e.type === 'ticket.called' && e.window && e.window.number === n && state.mode !== 'idle') {
      idle(); // the next citizen is being called: the last one has gone
    }
  };
  draw();
  return { onEvent, state };
}
