// The phone booking page (/book/): department → queue → day → slot with places left → ID and
// phone → the booking's own page (/a/{token}) with its code, QR code, how to check in, the
// one-time notice (一次性告知) and cancel. Everything it knows comes from the public API.

import { api, errorCode } from './api.js';

const $ = (sel) => document.querySelector(sel);
const esc = (s) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const WEEK = ['日', '一', '二', '三', '四', '五', '六'];
const STATES = { booked: '已预约', checked_in: '已签到', cancelled: '已取消', missed: '已失约' };

const state = { hall: null, dept: null, queue: null, slots: [], day: null, slot: null, error: null };

const btn = (act, label, { arg = '', cls = '', disabled = false } = {}) =>
  `<button type="button" data-act="${act}" data-arg="${esc(arg)}"${cls ? ` class="${cls}"` : ''}${
    disabled ? ' disabled' : ''
  }>${label}</button>`;

function bookable() {
  return (state.hall?.queues ?? []).filter((q) => q.appointments);
}

function dayLabel(day) {
  const d = new Date(`${day}T00:00:00`);
  return `${day.slice(5).replace('-', '月')}日 周${WEEK[d.getDay()]}`;
}

function errorBox() {
  return state.error ? `<div class="error" id="error">${esc(state.error)}</div>` : '';
}

function render() {
  const qs = bookable();
  let body;
  if (!state.dept) {
    const depts = state.hall.departments.filter((d) => qs.some((q) => q.department === d.id));
    body = `<div class="steps">第 1 步 / 共 4 步：选择部门</div>
      <div class="pick" id="depts">${depts.map((d) => btn('dept', esc(d.name), { arg: d.id })).join('')}</div>`;
  } else if (!state.queue) {
    const mine = qs.filter((q) => q.department === state.dept);
    body = `${btn('back', '‹ 重新选择部门', { cls: 'back' })}
      <div class="steps">第 2 步 / 共 4 步：选择业务</div>
      <div class="pick" id="queues">${mine
        .map((q) => btn('queue', `${esc(q.name)}<small>每段 ${q.appointments.slot_minutes} 分钟，可预约 ${q.appointments.days_ahead} 天内</small>`, { arg: q.id }))
        .join('')}</div>`;
  } else if (!state.slot) {
    const q = qs.find((x) => x.id === state.queue);
    const days = [...new Set(state.slots.map((s) => s.day))];
    const day = state.day ?? days[0];
    const slots = state.slots.filter((s) => s.day === day);
    body = `${btn('back', '‹ 重新选择业务', { cls: 'back' })}
      <div class="card"><b>${esc(q.name)}</b></div>
      <div class="steps">第 3 步 / 共 4 步：选择日期和时段</div>
      ${days.length ? '' : '<div class="error">近期没有可预约的时段</div>'}
      <div class="days" id="days">${days.map((d) => btn('day', esc(dayLabel(d)), { arg: d, cls: d === day ? 'on' : '' })).join('')}</div>
      <div class="slots" id="slots">${slots
        .map((s, i) =>
          btn(
            'slot',
            `${esc(s.start)}-${esc(s.end)}${s.extended ? ' 延时' : ''}<small>${s.available > 0 ? `余 ${s.available} 个` : '已约满'}</small>`,
            { arg: state.slots.indexOf(s), cls: s.extended ? 'ext' : '', disabled: s.available <= 0 },
          ),
        )
        .join('')}</div>`;
  } else {
    const q = qs.find((x) => x.id === state.queue);
    const s = state.slot;
    body = `${btn('back', '‹ 重新选择时段', { cls: 'back' })}
      <div class="card facts"><div><b>${esc(q.name)}</b></div><div>${esc(dayLabel(s.day))} ${esc(s.start)}-${esc(s.end)}${s.extended ? '（延时服务）' : ''}</div></div>
      <div class="steps">第 4 步 / 共 4 步：填写信息</div>
      ${errorBox()}
      <form id="form">
        <label>身份证号码<input id="id-number" inputmode="text" autocomplete="off" maxlength="18" required></label>
        <label>手机号码<input id="phone" inputmode="numeric" autocomplete="tel" maxlength="11" required></label>
        <button type="submit" id="submit">确认预约</button>
      </form>`;
  }
  $('#page').innerHTML = body + (state.slot ? '' : errorBox());
  document.body.dataset.ready = '1';
}

async function loadSlots() {
  const res = await api(`/api/v1/appointments/slots?queue=${encodeURIComponent(state.queue)}`);
  state.slots = res.ok ? res.data.slots : [];
  state.error = res.ok ? null : res.data?.error?.message ?? '网络连接失败，请稍后再试';
  state.day = null;
  render();
}

async function submit() {
  const body = {
    queue: state.queue,
    day: state.slot.day,
    start: state.slot.start,
    id_number: $('#id-number').value.trim().toUpperCase(),
    phone: $('#phone').value.trim(),
  };
  $('#submit').disabled = true;
  const res = await api('/api/v1/appointments', { method: 'POST', body });
  if (res.status === 201) {
    location.href = res.data.url;
    return;
  }
  state.error = errorCode(res) === 'network' ? '网络连接失败，请稍后再试' : res.data?.error?.message ?? '预约未成功';
  if (['slot_full', 'slot_unavailable'].includes(errorCode(res))) {
    state.slot = null;
    await loadSlots();
    state.error = res.data?.error?.message;
  }
  render();
}

const actions = {
  dept: (arg) => Object.assign(state, { dept: arg, error: null }) && render(),
  queue: (arg) => {
    state.queue = arg;
    loadSlots();
  },
  day: (arg) => {
    state.day = arg;
    render();
  },
  slot: (arg) => {
    state.slot = state.slots[Number(arg)];
    state.error = null;
    render();
  },
  back: () => {
    state.error = null;
    if (state.slot) state.slot = null;
    else if (state.queue) state.queue = null;
    else state.dept = null;
    render();
  },
};

// ---- a booking's own page --------------------------------------------------------------

function time(rfc) {
  return rfc ? rfc.slice(11, 16) : '';
}

async function showBooking(token) {
  $('#title').textContent = '我的预约';
  const res = await api(`/api/v1/appointments/${encodeURIComponent(token)}`);
  if (!res.ok) {
    $('#page').innerHTML = `<div class="error">${esc(res.data?.error?.message ?? '没有找到该预约')}</div>`;
    document.body.dataset.ready = '1';
    return;
  }
  const b = res.data;
  const live = b.state === 'booked';
  $('#page').innerHTML = `
    <div class="card code">
      <div class="label">预约签到码</div>
      <div class="n" id="code">${esc(b.code)}</div>
      ${live ? `<img id="qr" alt="QR" src="/api/v1/appointments/${esc(b.token)}/qr.svg">` : ''}
    </div>
    <div class="state${live || b.state === 'checked_in' ? '' : ' final'}" id="state">${esc(STATES[b.state] ?? b.state)}${b.return_visit ? '（补办回访）' : ''}</div>
    <div class="card facts">
      <div>${esc(b.department_name)} · <b>${esc(b.queue_name)}</b></div>
      <div id="when">${esc(dayLabel(b.day))} ${esc(b.start)}-${esc(b.end)}${b.extended ? '（延时服务）' : ''}</div>
      ${b.ticket ? `<div>号票：<a href="/t/${esc(b.ticket.token)}" id="ticket">${esc(b.ticket.number)}</a></div>` : ''}
    </div>
    ${live ? `<div class="card" id="how">请于 ${esc(time(b.check_in_from))}-${esc(time(b.check_in_until))} 到大厅自助取号机点击“预约签到”，输入预约码或刷身份证，取得预约号后等候叫号。逾时未签到视为失约。</div>` : ''}
    ${b.notice ? `<div class="notice" id="notice"><b>一次性告知</b><br>${esc(b.notice)}</div>` : ''}
    ${live ? `<div class="actions">${btn('cancel', '取消预约', { arg: b.token })}</div>` : ''}
    <div><a href="/book/">继续预约其他业务</a></div>`;
  document.body.dataset.ready = '1';
}

async function cancel(token) {
  if (!confirm('确定取消该预约吗？')) return;
  await api(`/api/v1/appointments/${encodeURIComponent(token)}/cancel`, { method: 'POST', body: {} });
  showBooking(token);
}

document.addEventListener('click', (e) => {
  const b = e.target.closest('button[data-act]');
  if (!b || b.disabled) return;
  if (b.dataset.act === 'cancel') return cancel(b.dataset.arg);
  actions[b.dataset.act]?.(b.dataset.arg);
});

document.addEventListener('submit', (e) => {
  e.preventDefault();
  submit();
});

async function start() {
  const hall = await api('/api/v1/hall');
  if (hall.ok) $('#hall-name').textContent = hall.data.name;
  const m = location.pathname.match(/^\/a\/([0-9a-fA-F]{64})$/);
  if (m) return showBooking(m[1]);
  if (!hall.ok) {
    $('#page').innerHTML = '<div class="error">网络连接失败，请稍后再试</div>';
    return;
  }
  state.hall = hall.data;
  render();
}

start();
