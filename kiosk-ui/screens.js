// The kiosk's screens as HTML, from the state. Pure: no fetching, no timers. Buttons carry
// data-act (and data-arg); kiosk.js handles them.

import { t, esc, windowRanges, waitText, nameOf } from './i18n.js';
import { initial, byPinyin } from './pinyin.js';

const btn = (act, label, { arg = '', cls = '', disabled = false, id = '' } = {}) =>
  `<button type="button" data-act="${act}" data-arg="${esc(arg)}"${cls ? ` class="${cls}"` : ''}${
    id ? ` id="${id}"` : ''
  }${disabled ? ' disabled' : ''}>${label}</button>`;

/** Queues of a department, in config order. */
export function queuesOf(hall, dept) {
  return hall.queues.filter((q) => q.department === dept);
}

/** Window numbers that call a queue. */
export function windowsOf(hall, queue) {
  return hall.windows.filter((w) => w.queues.includes(queue)).map((w) => w.number);
}

/** How busy a department is: people today and waiting now, then its share of the windows
 *  (a window shared by nine departments counts a ninth for each). */
function busyness(hall, dept) {
  const qs = queuesOf(hall, dept.id);
  const people = qs.reduce((n, q) => n + q.issued + 2 * q.waiting, 0);
  const deptOf = new Map(hall.queues.map((q) => [q.id, q.department]));
  const share = hall.windows.reduce((sum, w) => {
    const served = new Set(w.queues.map((q) => deptOf.get(q)));
    return served.has(dept.id) ? sum + 1 / served.size : sum;
  }, 0);
  return people * 1000 + share;
}

/** Departments for a filter: 'hot' busiest first, 'az' in pinyin order, or one initial
 *  (of the name shown: English names in English). */
export function departments(hall, filter) {
  const ds = hall.departments.filter((d) => queuesOf(hall, d.id).length > 0);
  if (filter === 'hot') {
    return ds
      .map((d) => [busyness(hall, d), d])
      .sort((a, b) => b[0] - a[0] || byPinyin(nameOf(a[1]), nameOf(b[1])))
      .map(([, d]) => d);
  }
  const az = [...ds].sort((a, b) => byPinyin(nameOf(a), nameOf(b)));
  return filter === 'az' ? az : az.filter((d) => initial(nameOf(d)) === filter);
}

export function letters(hall) {
  return [...new Set(hall.departments.map((d) => initial(nameOf(d))))].sort();
}

function closedText(reason) {
  if (reason === 'appointments_only') return t('closed_appointments_only');
  return t(reason === 'quota_exhausted' ? 'closed_quota_exhausted' : 'closed_queue_closed');
}

/** Why no queue of the hall issues now (null while one does, or before the hall is known):
 *  before opening, after the cut-off, 延时服务 (appointments only) or every quota taken. */
function hallClosed(hall) {
  const qs = hall?.queues ?? [];
  if (!qs.length || qs.some((q) => q.open)) return null;
  if (qs.some((q) => q.closed_reason === 'appointments_only')) return 'appointments_only';
  return qs.every((q) => q.closed_reason === 'quota_exhausted') ? 'quota_exhausted' : 'queue_closed';
}

export function home(s) {
  // With nothing issuing, the big button says so at once instead of leading through
  // departments whose every queue is closed; 预约签到 stays (延时服务 is check-in only).
  const closed = hallClosed(s.hall);
  const sub = closed ? closedText(closed) : t('take_sub');
  const take = btn('start', `${esc(t('take'))}<small>${esc(sub)}</small>`, {
    cls: closed ? 'take closed' : 'take',
    id: 'take',
    disabled: Boolean(closed),
  });
  return `<main class="home">
    <div class="welcome">${esc(t('welcome'))}</div>
    <div class="name" id="hall-name">${esc(s.hall?.name ?? '')}</div>
    ${take}
    ${btn('checkin', `${esc(t('checkin'))}<small>${esc(t('checkin_sub'))}</small>`, { cls: 'checkin', id: 'checkin' })}
    <div class="options">
      ${btn('lang', s.lang === 'zh' ? 'English' : '中文', { id: 'lang' })}
      ${btn('large', esc(t(s.large ? 'large_off' : 'large_on')), { id: 'large' })}
    </div>
    ${s.message ? `<div class="message" id="message">${esc(s.message)}</div>` : ''}
    <div class="notice">${esc(s.lang === 'zh' ? s.hall?.texts?.notice ?? t('notice_default') : t('notice_default'))}</div>
  </main>`;
}

/** `rows` x `cols` tiles per page. */
export function depts(s, rows, cols) {
  const pageSize = rows * cols;
  const list = departments(s.hall, s.filter);
  const pages = Math.max(1, Math.ceil(list.length / pageSize));
  const page = Math.min(s.page, pages - 1);
  const shown = list.slice(page * pageSize, (page + 1) * pageSize);
  const tiles = shown
    .map((d) => {
      const qs = queuesOf(s.hall, d.id);
      const waiting = qs.reduce((n, q) => n + q.waiting, 0);
      const open = qs.filter((q) => q.open);
      const sub = open.length
        ? `<span class="w">${esc(t('waiting', { n: waiting }))}</span>`
        : `<span class="x">${esc(closedText(qs[0]?.closed_reason))}</span>`;
      return btn('dept', `<span class="n">${esc(nameOf(d))}</span>${sub}`, { arg: d.id, cls: 'tile dept' });
    })
    .join('');
  const filters = [
    btn('filter', esc(t('busiest')), { arg: 'hot', cls: `wide${s.filter === 'hot' ? ' on' : ''}` }),
    btn('filter', esc(t('all')) + ' A-Z', { arg: 'az', cls: `wide${s.filter === 'az' ? ' on' : ''}` }),
    ...letters(s.hall).map((l) => btn('filter', l, { arg: l, cls: s.filter === l ? 'on' : '' })),
  ].join('');
  return `<main class="depts">
    <h1>${esc(t('choose_dept'))}</h1>
    <div class="filters" aria-label="${esc(t('by_letter'))}">${filters}</div>
    <div class="grid" style="grid-template-rows: repeat(${rows}, minmax(0, 1fr))">${tiles}</div>
    <div class="pager">
      ${btn('page', esc(t('prev')), { arg: page - 1, disabled: page === 0, id: 'prev' })}
      <span>${esc(t('page', { n: page + 1, m: pages }))}</span>
      ${btn('page', esc(t('next')), { arg: page + 1, disabled: page >= pages - 1, id: 'next' })}
    </div>
  </main>`;
}

export function queues(s) {
  const dept = s.hall.departments.find((d) => d.id === s.dept);
  const cards = queuesOf(s.hall, s.dept)
    .map((q) => {
      const meta = [
        `${t('waiting', { n: q.waiting })} · ${waitText(q, 'wait_about')}`,
        t('windows', { w: windowRanges(windowsOf(s.hall, q.id)) }),
      ]
        .map((m) => `<div>${esc(m)}</div>`)
        .join('');
      const actions = q.open
        ? `<div class="actions">
            ${btn('queue', esc(t('take')), { arg: q.id, cls: 'go' })}
            ${btn('green', esc(t('green_channel')), { arg: q.id, cls: 'green' })}
          </div>`
        : `<div class="reason">${esc(closedText(q.closed_reason))}</div>`;
      return `<div class="queue${q.open ? '' : ' closed'}" data-queue="${esc(q.id)}">
        <div class="info"><div class="qn">${esc(nameOf(q))}</div><div class="meta">${meta}</div></div>
        ${actions}
      </div>`;
    })
    .join('');
  return `<main class="queue-screen">
    <h1>${esc(nameOf(dept))}</h1>
    <div class="sub">${esc(t('choose_queue'))}</div>
    ${s.message ? `<div class="message" id="message">${esc(s.message)}</div>` : ''}
    <div class="queues" id="queue-list">${cards}</div>
    <div class="scroll-cue" id="scroll-cue" hidden>${esc(t('more_below'))}</div>
  </main>`;
}

export function green(s) {
  const kinds = t('green_kinds')
    .map((k, i) => btn('kind', esc(k), { arg: i, cls: s.greenKind === i ? 'on' : '' }))
    .join('');
  return `<main class="green-screen">
    <h1>${esc(t('green_title'))}</h1>
    <div class="sub">${esc(t('green_hint'))}</div>
    <div class="kinds">${kinds}</div>
    <div class="row">
      ${btn('normal', esc(t('normal_ticket')))}
      ${btn('green-ok', esc(t('confirm')), { cls: 'primary', disabled: s.greenKind === null })}
    </div>
  </main>`;
}

/** `what` is 'id', 'phone' or 'checkin' (a booking code or an ID number). */
export function keypad(s, what) {
  const value = { id: s.idNumber, phone: s.phone, checkin: s.checkin }[what] ?? '';
  // The SMS promise only where the hall has an SMS gateway configured (`[[notify]]`).
  // A refused ID stays on screen masked to its last 4 characters (DOMAIN.md): the citizen
  // corrects it with the keys, or clears it, without showing it to the next in line.
  const masked = what === 'id' && s.message ? value.replace(/.(?=.{4})/g, '*') : value;
  const shown = what === 'id' ? masked.replace(/^(.{6})(.{0,8})(.*)$/, '$1 $2 $3').trim() : value;
  const title = { id: 'id_title', phone: 'phone_title', checkin: 'checkin_title' }[what];
  const phoneHint = s.hall?.notifications?.sms ? 'phone_hint_sms' : 'phone_hint';
  const hint = { id: 'id_hint', phone: phoneHint, checkin: 'checkin_hint' }[what];
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', what === 'phone' ? '' : 'X', '0', '⌫']
    .map((k) => (k ? btn('key', k, { arg: k }) : '<span></span>'))
    .join('');
  return `<main class="keypad-screen">
    <h1>${esc(t(title))}</h1>
    <div class="sub">${esc(t(hint))}</div>
    <div class="entry" id="entry">${esc(shown) || '&nbsp;'}</div>
    ${s.message ? `<div class="message" id="message">${esc(s.message)}</div>` : ''}
    <div class="keypad">${keys}</div>
    <div class="row">
      ${btn('clear', esc(t('clear')))}
      ${what === 'phone' ? btn('skip', esc(t('skip')), { id: 'skip' }) : ''}
      ${what === 'checkin' && s.tooLate ? btn('start', esc(t('walk_in')), { id: 'walk-in' }) : ''}
      ${btn('enter', esc(t('confirm')), { cls: 'primary', id: 'enter' })}
    </div>
  </main>`;
}

/** The kiosk cannot issue (`why`: missing, invalid or kind): say so before anyone starts. */
export function setup(s) {
  return `<main class="setup"><div class="center"><div>
    <h1>${esc(t('setup_title'))}</h1>
    <p class="message" id="setup-why">${esc(t(`setup_${s.setup}`))}</p>
    <p class="sub">${esc(t('setup_how'))}</p></div></div></main>`;
}

export function busy() {
  return `<main><div class="center">${esc(t('issuing'))}</div></main>`;
}

export function ticket(s) {
  const tk = s.ticket;
  const queue = s.hall?.queues.find((q) => q.id === tk.queue);
  const dept = s.hall?.departments.find((d) => d.id === queue?.department);
  const print = tk.print?.status;
  const printLine =
    print === 'printed'
      ? `<div class="ok" id="print-ok">${esc(t('printed'))}</div>`
      : `<div class="message" id="print-failed">${esc(t(print === 'failed' ? 'print_failed' : 'print_none'))}</div>`;
  const facts = [
    t('ahead', { n: tk.waiting_ahead }),
    waitText(tk, 'est'),
    t('watch', { w: windowRanges(tk.windows) }),
  ];
  return `<main class="ticket">
    <div class="label">${esc(t('your_number'))}</div>
    <div class="number" id="number">${esc(tk.number)}</div>
    <div class="qname" id="ticket-queue">${esc(dept ? nameOf(dept) : tk.department_name)} · ${esc(queue ? nameOf(queue) : tk.queue_name)}${
      tk.priority === 'green_channel' ? ` · ${esc(t('green_channel'))}` : ''
    }${tk.priority === 'appointment' ? ` · <span id="appointment-mark">${esc(t('appointment'))}</span>` : ''}</div>
    <div class="facts">${facts.map((f) => `<div>${esc(f)}</div>`).join('')}</div>
    ${printLine}
    <div class="qr">
      <img id="qr" alt="QR" src="/api/v1/tickets/${esc(tk.token)}/qr.svg">
      <div>${esc(t('scan'))}</div>
    </div>
  </main>`;
}

export function footer(s, left) {
  if (s.screen === 'home' || s.screen === 'setup') return '';
  const back = ['queues', 'green', 'id', 'phone', 'checkin'].includes(s.screen) ? btn('back', esc(t('back')), { id: 'back' }) : '';
  const home = s.screen === 'ticket' ? btn('home', esc(t('done')), { cls: 'primary', id: 'done' }) : btn('home', esc(t('home')), { id: 'home' });
  const count = left !== null ? `<span class="countdown" id="countdown">${esc(t('back_in', { s: left }))}</span>` : '';
  return `${back}${home}<span class="spacer"></span>${count}${btn('lang', s.lang === 'zh' ? 'English' : '中文', { id: 'lang2' })}`;
}
