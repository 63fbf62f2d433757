// Managers: follow-ups of bad ratings (核实 → 整改/解释 → 办结; 申诉 → a second manager approves
// or rejects it, and the manager who filed it sees why they cannot) and the audit trail (paged,
// with the total, exports, and every follow-up linked to its ticket's trail). Every code is
// shown by its Chinese label from the server's one table (/api/v1/reports/labels).
import { html, useState, useEffect, useRef } from '/staff/vendor/htm-preact-standalone.module.js';
import { get, post, label, loadLabels, staffName } from '/staff/api.js';

const STATES = { open: '待核实', verified: '已核实', appealing: '申诉待审批', closed: '已办结' };
const RESULT_CODES = ['rectified', 'explained', 'appealed'];
const PAGE = 100;
// Another part of the page asks the audit to show one ticket's trail.
const showTrail = (day, ticket) => window.dispatchEvent(new CustomEvent('hallq-audit', { detail: { day, ticket } }));
// Times and names as the hall has them (its time zone, its departments).
const hall = { tz: 'Asia/Shanghai', departments: {} };
const hallLoaded = get('/api/v1/hall').then((h) => {
  hall.tz = h.timezone;
  for (const d of h.departments) hall.departments[d.id] = d.name;
  return h;
});
const time = (ms) => (ms ? new Date(ms).toLocaleString('zh-CN', { hour12: false, timeZone: hall.tz }) : '—');
const dept = (id) => hall.departments[id] || id;

function FollowUps({ me }) {
  const [state, setState] = useState('open');
  const [rows, setRows] = useState(null);
  const [error, setError] = useState('');
  const [editing, setEditing] = useState(null);
  const [text, setText] = useState('');
  const [result, setResult] = useState('rectified');
  const [decision, setDecision] = useState('approve');
  const mine = (f) => f.appeal_by === `staff:${me}`;
  // A list that arrives after its tab was left is dropped: a slow load must not overwrite the
  // list of the tab clicked since.
  const shown = useRef(state);
  shown.current = state;
  const load = () => {
    const tab = state;
    return Promise.all([hallLoaded, loadLabels()])
      .then(() => get('/api/v1/follow-ups' + (tab ? '?state=' + tab : '')))
      .then((r) => { if (shown.current === tab) setRows(r); })
      .catch((e) => { if (shown.current === tab) setError(e.message); });
  };
  useEffect(() => { load(); }, [state]);
  const act = async (f) => {
    setError('');
    try {
      if (f.state === 'open') await post(`/api/v1/follow-ups/${f.id}/verify`, { verification: text });
      else if (f.state === 'appealing') await post(`/api/v1/follow-ups/${f.id}/decide-appeal`, { approve: decision === 'approve', note: text });
      else await post(`/api/v1/follow-ups/${f.id}/close`, { result, note: text });
      setEditing(null);
      setText('');
      load();
    } catch (e) { setError(e.message); }
  };
  return html`<section class="card quality-follow-ups">
    <h2>差评整改 <small>Follow-ups</small></h2>
    <div class="quality-tabs">${['open', 'verified', 'appealing', 'closed', ''].map((s) => html`<button class=${s === state ? 'primary' : ''} onClick=${() => setState(s)}>${STATES[s] || '全部'}</button>`)}</div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${rows == null ? html`<p class="loading">加载中…</p>` : rows.length === 0 ? html`<p class="muted">没有记录</p>` : html`<table id="follow-ups">
      <thead><tr><th>编号</th><th>服务日期</th><th>号票</th><th>评价</th><th>原因与意见</th><th>窗口/人员</th><th>部门</th><th>期限</th><th>状态</th><th></th></tr></thead>
      <tbody>${rows.map((f) => html`<tr data-id=${f.id} class=${f.overdue ? 'overdue' : ''}>
        <td class="num">${f.id}</td><td class="follow-up-day">${f.rating.service_day}</td>
        <td><a href="#audit-trail" class="ticket-link" title="查看该号票的全部记录" onClick=${() => showTrail(f.rating.service_day, f.rating.number)}>${f.rating.number}</a></td>
        <td>${label('levels', f.rating.level)}</td>
        <td class="wrap">${f.rating.reasons.join('、')}${f.rating.comment ? '；' + f.rating.comment : ''}</td>
        <td>${f.rating.window ?? '—'}号窗口 ${staffName(f.rating.clerk)}</td><td>${dept(f.department)}</td>
        <td>${time(f.due_ms)}${f.overdue ? html` <b class="error">超期</b>` : ''}</td>
        <td>${label('follow_up_states', f.state)}${f.result ? '（' + label('follow_up_results', f.result) + '）' : ''}${f.verification ? html`<div class="muted wrap">核实：${f.verification}</div>` : ''}
          ${f.appeal_by && f.state === 'appealing' && html`<div class="wrap follow-up-appeal">申诉理由：${f.appeal_note}（${staffName(f.appeal_by)}提出，待另一位管理人员审批）</div>`}
          ${f.appeal_by && f.state === 'verified' && html`<div class="wrap follow-up-appeal error">申诉未获批准：${f.note || '—'}</div>`}
          ${f.state === 'closed' && html`<div class="muted wrap follow-up-close">办结说明：${f.note || '—'}${f.closed_by ? `（${staffName(f.closed_by)}，${time(f.closed_ms)}）` : ''}</div>`}</td>
        <td>${f.state === 'appealing' && mine(f)
          ? html`<span class="muted appeal-mine">您提出的申诉须由另一位管理人员审批</span>`
          : f.state !== 'closed' && (editing === f.id
          ? html`<div class="quality-act">
              ${f.state === 'verified' && html`<select value=${result} onChange=${(e) => setResult(e.target.value)}>${RESULT_CODES.map((k) => html`<option value=${k}>${label('follow_up_results', k)}</option>`)}</select>`}
              ${f.state === 'appealing' && html`<select id="appeal-decision" value=${decision} onChange=${(e) => setDecision(e.target.value)}><option value="approve">批准申诉</option><option value="reject">驳回申诉</option></select>`}
              <input placeholder=${f.state === 'open' ? '核实情况' : f.state === 'appealing' ? (decision === 'reject' ? '驳回理由（必填）' : '审批意见') : result === 'appealed' ? '申诉理由（必填）' : '处理说明'} value=${text} onInput=${(e) => setText(e.target.value)} />
              <button class="primary" disabled=${(f.state === 'open' || (f.state === 'appealing' && decision === 'reject') || (f.state === 'verified' && result === 'appealed')) && !text.trim()} onClick=${() => act(f)}>${f.state === 'open' ? '记录核实' : f.state === 'appealing' ? '提交审批' : result === 'appealed' ? '提出申诉' : '办结'}</button>
              <button onClick=${() => setEditing(null)}>取消</button></div>`
          : html`<button class="follow-up-act" onClick=${() => { setEditing(f.id); setText(''); setDecision('approve'); }}>${f.state === 'open' ? '核实' : f.state === 'appealing' ? '审批申诉' : '办结'}</button>`)}</td>
      </tr>`)}</tbody></table>`}
  </section>`;
}

function Audit() {
  const [q, setQ] = useState({ day: '', window: '', clerk: '', ticket: '', kind: '' });
  const [page, setPage] = useState(null);
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState('');
  const params = (query, extra) => new URLSearchParams({ ...Object.fromEntries(Object.entries(query).filter(([, v]) => v !== '')), ...extra });
  const search = async (e, query = q, at = 0) => {
    e && e.preventDefault();
    setError('');
    try {
      await loadLabels();
      setPage(await get('/api/v1/reports/audit?' + params(query, { offset: at, limit: PAGE })));
      setOffset(at);
    } catch (err) { setError(err.message); }
  };
  // Start on the hall's service day (its clock, not this computer's).
  useEffect(() => {
    hallLoaded.then((h) => {
      const first = { ...q, day: h.service_day };
      setQ(first);
      search(null, first);
    }).catch((err) => setError(err.message));
    const trail = (e) => {
      const one = { day: e.detail.day, window: '', clerk: '', ticket: e.detail.ticket, kind: '' };
      setQ(one);
      search(null, one);
    };
    window.addEventListener('hallq-audit', trail);
    return () => window.removeEventListener('hallq-audit', trail);
  }, []);
  const field = (k, text, w) => html`<label>${text}<input name=${k} style=${'width:' + w} value=${q[k]} onInput=${(e) => setQ({ ...q, [k]: e.target.value })} /></label>`;
  const time = (at) => at.slice(11, 19);
  const total = page ? page.total : 0;
  const shown = page ? page.entries.length : 0;
  const link = (format) => '/api/v1/reports/audit?' + params(q, { format });
  return html`<section class="card quality-audit" id="audit-trail">
    <h2>审计日志 <small>Audit trail</small></h2>
    <form class="quality-filter" onSubmit=${(e) => search(e, q, 0)}>
      <label>日期<input type="date" value=${q.day} onInput=${(e) => setQ({ ...q, day: e.target.value })} /></label>
      ${field('window', '窗口', '5em')}${field('clerk', '工作人员账号', '8em')}${field('ticket', '号票', '7em')}
      <label>操作<select value=${q.kind} onChange=${(e) => setQ({ ...q, kind: e.target.value })}>
        <option value="">全部</option>
        ${KINDS.map((k) => html`<option value=${k}>${label('events', k)}</option>`)}
      </select></label>
      <button class="primary" type="submit">查询</button>
      <a class="download" id="audit-csv" href=${link('csv')} download>导出 CSV</a>
      <a class="download" id="audit-xlsx" href=${link('xlsx')} download>导出 Excel</a>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${page && html`<p class="muted audit-count" id="audit-count">${total === 0 ? '没有符合条件的记录' : `显示第 ${offset + 1}–${offset + shown} 条，共 ${total} 条（最新在前）`}${q.ticket ? html` · 号票 ${q.ticket} 的全部记录（含差评核实、办结） <a href="#audit-trail" onClick=${() => { const all = { ...q, ticket: '' }; setQ(all); search(null, all); }}>显示全部</a>` : ''}</p>
      <table id="audit"><thead><tr><th>时间</th><th>操作</th><th>操作者</th><th class="num">窗口</th><th>号票</th><th>详情</th></tr></thead>
      <tbody>${page.entries.map((e) => html`<tr data-seq=${e.seq}><td>${time(e.at)}</td><td>${e.kind_label}</td><td>${e.actor_name}</td><td class="num">${e.window ?? ''}</td>
        <td>${e.ticket_number ? html`<a href="#audit-trail" class="ticket-link" onClick=${() => showTrail(q.day || e.at.slice(0, 10), e.ticket_number)}>${e.ticket_number}</a>` : ''}</td>
        <td class="wrap">${e.summary}</td></tr>`)}</tbody></table>
      <div class="pager">
        <button id="audit-prev" disabled=${offset === 0} onClick=${() => search(null, q, Math.max(0, offset - PAGE))}>上一页</button>
        <span>第 ${Math.floor(offset / PAGE) + 1} / ${Math.max(1, Math.ceil(total / PAGE))} 页</span>
        <button id="audit-next" disabled=${offset + shown >= total} onClick=${() => search(null, q, offset + PAGE)}>下一页</button>
      </div>`}
  </section>`;
}

/// The event kinds a manager filters by.
const KINDS = ['ticket.issued', 'ticket.called', 'ticket.recalled', 'ticket.no_show', 'ticket.finished', 'ticket.transferred', 'ticket.cancelled', 'window.', 'window.paused', 'rating.submitted', 'follow_up.'];

export default function Quality({ user }) {
  return html`<div class="quality"><${FollowUps} me=${user && user.username} /><${Audit} /></div>`;
}
