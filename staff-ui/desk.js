// 服务台 (/staff/desk): the help desk the kiosk sends citizens to. Find today's ticket by its
// number or the citizen's ID number (shown back as the last 4 only), reprint it on a chosen
// printer (the slip is marked 补打; printer addresses and ticket tokens never reach this page),
// cancel it at the citizen's request, and issue a ticket on a citizen's behalf. 预约签到: find
// today's booking by its 6-digit check-in code or the ID number and check the citizen in (the
// ticket is marked 预约 and printed on the chosen printer).
import { html, useState, useEffect } from '/staff/vendor/htm-preact-standalone.module.js';
import { get, post } from '/staff/api.js';
import { BOOKING_STATE } from '/staff/bookings.js';

const STATE = {
  waiting: '等候中', called: '已呼叫', serving: '办理中', held: '已挂起', done: '已办结',
  no_show: '已过号', cancelled: '已取消', abandoned: '已作废',
};
const PRINTER = { unknown: '未检测', ok: '正常', paper_out: '缺纸', cover_open: '纸仓盖未关', offline: '离线', unreachable: '无法连接' };

function hhmm(iso) {
  const m = /T(\d{2}:\d{2})/.exec(iso || '');
  return m ? m[1] : '';
}

export default function Desk() {
  const [hall, setHall] = useState(null);
  const [printers, setPrinters] = useState([]);
  const [printer, setPrinter] = useState('');
  const [q, setQ] = useState('');
  const [found, setFound] = useState(null);
  const [confirming, setConfirming] = useState(null);
  const [msg, setMsg] = useState('');
  const [error, setError] = useState('');
  const [issue, setIssue] = useState({ queue: '', green: false, id: '' });
  const [issued, setIssued] = useState(null);
  const [aq, setAq] = useState('');
  const [bookings, setBookings] = useState(null);

  useEffect(() => {
    get('/api/v1/hall').then(setHall).catch((e) => setError(e.message));
    get('/api/v1/desk/printers').then((ps) => {
      setPrinters(ps);
      if (ps.length) setPrinter(ps[0].id);
    }).catch((e) => setError(e.message));
  }, []);

  const act = async (fn) => {
    setError('');
    setMsg('');
    try {
      await fn();
    } catch (e) {
      setError(e.message);
    }
  };
  const find = (e) => {
    e && e.preventDefault();
    return act(async () => {
      const r = await get(`/api/v1/desk/tickets?q=${encodeURIComponent(q.trim())}`);
      setFound(r.tickets);
      setConfirming(null);
    });
  };
  const printWord = (p) => (p.status === 'printed' ? `已在打印机 ${printer} 打印` : p.status === 'failed' ? `打印失败（${p.error}）` : '未打印');
  const reprint = (t) => act(async () => {
    const r = await post(`/api/v1/tickets/${t.id}/reprint`, { printer });
    setMsg(`${t.number} 补打：${printWord(r.print)}`);
  });
  const cancel = (t) => act(async () => {
    await post(`/api/v1/desk/tickets/${t.id}/cancel`);
    setMsg(`${t.number} 已按群众要求取消`);
    const r = await get(`/api/v1/desk/tickets?q=${encodeURIComponent(q.trim())}`);
    setFound(r.tickets);
    setConfirming(null);
  });
  const key = (v) => (/^\d{6}$/.test(v.trim()) ? { code: v.trim() } : { id_number: v.trim() });
  const findBookings = (e) => {
    e && e.preventDefault();
    return act(async () => {
      const r = await get(`/api/v1/desk/appointments?q=${encodeURIComponent(aq.trim())}`);
      setBookings(r.appointments);
    });
  };
  const checkIn = () => act(async () => {
    const t = await post('/api/v1/appointments/check-in', { ...key(aq), ...(printer ? { printer } : {}) });
    setMsg(`预约签到成功，号码 ${t.number}（${t.appointment.start}–${t.appointment.end}）：${printWord(t.print)}`);
    const r = await get(`/api/v1/desk/appointments?q=${encodeURIComponent(aq.trim())}`);
    setBookings(r.appointments);
  });
  const queue = hall && hall.queues.find((x) => x.id === issue.queue);
  const doIssue = (e) => {
    e.preventDefault();
    return act(async () => {
      const body = { queue: issue.queue, priority: issue.green ? 'green_channel' : 'normal' };
      if (queue && queue.real_name) body.id_number = issue.id.trim();
      if (printer) body.printer = printer;
      const t = await post('/api/v1/tickets', body);
      setIssued(t);
      setIssue({ ...issue, id: '' });
      setMsg(`已为群众取号 ${t.number}：${printWord(t.print)}`);
    });
  };

  return html`<div class="desk">
    <h1>服务台<small>Help desk</small></h1>
    <label class="desk-printer">打印机<small>Printer</small>
      <select id="desk-printer" value=${printer} onChange=${(e) => setPrinter(e.target.value)}>
        ${printers.map((p) => html`<option value=${p.id}>${p.id}（${PRINTER[p.state] || p.state}${p.paper_near_end ? '，纸将用完' : ''}）</option>`)}
      </select></label>
    ${error && html`<p class="error" role="alert" id="desk-error">${error}</p>`}
    ${msg && html`<p class="ok" id="desk-msg">${msg}</p>`}

    <section>
      <h2>查找号票<small>Find a ticket</small></h2>
      <form onSubmit=${find} class="desk-find">
        <input id="desk-q" placeholder="号码（如 XF003）或身份证号码" maxlength="32" value=${q}
          onInput=${(e) => setQ(e.target.value)} required />
        <button id="desk-find" type="submit" class="primary">查找</button>
      </form>
      ${found && (found.length === 0 ? html`<p id="desk-none">今天没有这个号码或证件的号票</p>` : html`<table id="desk-results">
        <thead><tr><th>号码</th><th>业务</th><th>状态</th><th>取号时间</th><th>前面</th><th>证件</th><th></th></tr></thead>
        <tbody>${found.map((t) => html`<tr data-ticket=${t.number}>
          <td><b>${t.number}</b>${t.priority === 'green_channel' ? ' 绿色通道' : ''}</td>
          <td>${t.queue_name}</td>
          <td class="desk-state">${STATE[t.state] || t.state}${t.window ? `（${t.window}号窗口）` : ''}</td>
          <td>${hhmm(t.issued_at)}</td>
          <td>${t.waiting_ahead ?? '—'}</td>
          <td>${t.id_last4 ? '****' + t.id_last4 : '—'}</td>
          <td class="desk-actions">
            <button class="desk-reprint" disabled=${!printer} onClick=${() => reprint(t)}>补打</button>
            ${t.state === 'waiting' && (confirming === t.id
              ? html`<button class="desk-cancel-yes danger" onClick=${() => cancel(t)}>确认取消</button>
                  <button class="desk-cancel-no" onClick=${() => setConfirming(null)}>不取消</button>`
              : html`<button class="desk-cancel" onClick=${() => setConfirming(t.id)}>取消号票</button>`)}
          </td></tr>`)}</tbody></table>`)}
    </section>

    <section>
      <h2>预约签到<small>Appointment check-in</small></h2>
      <form onSubmit=${findBookings} class="desk-find">
        <input id="desk-aq" placeholder="预约签到码（6位）或身份证号码" maxlength="32" value=${aq}
          onInput=${(e) => setAq(e.target.value)} required />
        <button id="desk-find-booking" type="submit" class="primary">查找预约</button>
      </form>
      ${bookings && (bookings.length === 0 ? html`<p id="desk-no-booking">今天没有这个签到码或证件的预约</p>` : html`<table id="desk-bookings">
        <thead><tr><th>时段</th><th>业务</th><th>证件</th><th>状态</th><th>号码</th><th></th></tr></thead>
        <tbody>${bookings.map((b, i) => html`<tr data-booking=${b.id} data-state=${b.state}>
          <td><b>${b.start}–${b.end}</b>${b.extended ? ' 延时' : ''}</td>
          <td>${b.queue_name}${b.return_visit ? '（补办回访）' : ''}</td>
          <td>${b.id_number || '—'}</td>
          <td class="desk-state">${BOOKING_STATE[b.state] ? BOOKING_STATE[b.state][0] : b.state}</td>
          <td>${b.ticket || ''}</td>
          <td class="desk-actions">${b.state === 'booked' && i === bookings.findIndex((x) => x.state === 'booked')
            ? html`<button id="desk-check-in" class="primary" onClick=${checkIn}>签到并打印</button>` : ''}</td>
        </tr>`)}</tbody></table>`)}
    </section>

    <section>
      <h2>代群众取号<small>Issue for a citizen</small></h2>
      <form onSubmit=${doIssue} class="desk-issue">
        <select id="desk-queue" value=${issue.queue} onChange=${(e) => setIssue({ ...issue, queue: e.target.value })} required>
          <option value="">选择业务…</option>
          ${hall && hall.queues.map((x) => html`<option value=${x.id} disabled=${!x.open}>${x.prefix} ${x.name}${x.open ? '' : '（停止取号）'}</option>`)}
        </select>
        <label><input type="checkbox" id="desk-green" checked=${issue.green} onChange=${(e) => setIssue({ ...issue, green: e.target.checked })} /> 绿色通道</label>
        ${queue && queue.real_name && html`<input id="desk-id" placeholder="身份证号码（实名取号）" maxlength="18" value=${issue.id}
          onInput=${(e) => setIssue({ ...issue, id: e.target.value })} required />`}
        <button id="desk-issue" type="submit" class="primary">取号并打印</button>
      </form>
      ${issued && html`<p class="desk-issued">号码 <b id="desk-issued">${issued.number}</b> · 前面 ${issued.waiting_ahead} 人</p>`}
    </section>
  </div>`;
}
