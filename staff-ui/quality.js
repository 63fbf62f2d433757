// Managers: follow-ups of bad ratings (核实 → 整改/解释/申诉 → 办结) and the audit trail.
import { html, useState, useEffect } from '/staff/vendor/htm-preact-standalone.module.js';
import { get, post } from '/staff/api.js';

const LEVELS = { very_satisfied: '非常满意', satisfied: '满意', basically_satisfied: '基本满意', dissatisfied: '不满意', very_dissatisfied: '非常不满意' };
const STATES = { open: '待核实', verified: '已核实', closed: '已办结' };
const RESULTS = { rectified: '整改', explained: '解释', appealed: '申诉' };
const OUTCOMES = { done: '即办件', promised: '承诺件', joint: '联办件', reported: '上报件', supplement: '补办件', returned: '退回件', consultation: '咨询' };
// Times and names as the hall has them (its time zone, its departments).
const hall = { tz: 'Asia/Shanghai', departments: {} };
const hallLoaded = get('/api/v1/hall').then((h) => {
  hall.tz = h.timezone;
  for (const d of h.departments) hall.departments[d.id] = d.name;
  return h;
});
const time = (ms) => (ms ? new Date(ms).toLocaleString('zh-CN', { hour12: false, timeZone: hall.tz }) : '—');
const dept = (id) => hall.departments[id] || id;

function FollowUps() {
  const [state, setState] = useState('open');
  const [rows, setRows] = useState(null);
  const [error, setError] = useState('');
  const [editing, setEditing] = useState(null);
  const [text, setText] = useState('');
  const [result, setResult] = useState('rectified');
  const load = () => hallLoaded
    .then(() => get('/api/v1/follow-ups' + (state ? '?state=' + state : '')))
    .then(setRows)
    .catch((e) => setError(e.message));
  useEffect(() => { load(); }, [state]);
  const act = async (f) => {
    setError('');
    try {
      if (f.state === 'open') await post(`/api/v1/follow-ups/${f.id}/verify`, { verification: text });
      else await post(`/api/v1/follow-ups/${f.id}/close`, { result, note: text });
      setEditing(null);
      setText('');
      load();
    } catch (e) { setError(e.message); }
  };
  return html`<section class="card quality-follow-ups">
    <h2>差评整改 <small>Follow-ups</small></h2>
    <div class="quality-tabs">${['open', 'verified', 'closed', ''].map((s) => html`<button class=${s === state ? 'primary' : ''} onClick=${() => setState(s)}>${STATES[s] || '全部'}</button>`)}</div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${rows == null ? html`<p class="loading">加载中…</p>` : rows.length === 0 ? html`<p class="muted">没有记录</p>` : html`<table id="follow-ups">
      <thead><tr><th>编号</th><th>服务日期</th><th>号票</th><th>评价</th><th>原因与意见</th><th>窗口/人员</th><th>部门</th><th>期限</th><th>状态</th><th></th></tr></thead>
      <tbody>${rows.map((f) => html`<tr data-id=${f.id} class=${f.overdue ? 'overdue' : ''}>
        <td class="num">${f.id}</td><td class="follow-up-day">${f.rating.service_day}</td><td>${f.rating.number}</td><td>${LEVELS[f.rating.level]}</td>
        <td class="wrap">${f.rating.reasons.join('、')}${f.rating.comment ? '；' + f.rating.comment : ''}</td>
        <td>${f.rating.window ?? '—'}号 ${f.rating.clerk ?? ''}</td><td>${dept(f.department)}</td>
        <td>${time(f.due_ms)}${f.overdue ? html` <b class="error">超期</b>` : ''}</td>
        <td>${STATES[f.state]}${f.result ? '（' + RESULTS[f.result] + '）' : ''}${f.verification ? html`<div class="muted wrap">核实：${f.verification}</div>` : ''}
          ${f.state === 'closed' && html`<div class="muted wrap follow-up-close">办结说明：${f.note || '—'}${f.closed_by ? `（${f.closed_by}，${time(f.closed_ms)}）` : ''}</div>`}</td>
        <td>${f.state !== 'closed' && (editing === f.id
          ? html`<div class="quality-act">
              ${f.state === 'verified' && html`<select value=${result} onChange=${(e) => setResult(e.target.value)}>${Object.entries(RESULTS).map(([k, v]) => html`<option value=${k}>${v}</option>`)}</select>`}
              <input placeholder=${f.state === 'open' ? '核实情况' : '处理说明'} value=${text} onInput=${(e) => setText(e.target.value)} />
              <button class="primary" disabled=${f.state === 'open' && !text.trim()} onClick=${() => act(f)}>${f.state === 'open' ? '记录核实' : '办结'}</button>
              <button onClick=${() => setEditing(null)}>取消</button></div>`
          : html`<button onClick=${() => { setEditing(f.id); setText(''); }}>${f.state === 'open' ? '核实' : '办结'}</button>`)}</td>
      </tr>`)}</tbody></table>`}
  </section>`;
}

function Audit() {
  const [q, setQ] = useState({ day: '', window: '', clerk: '', ticket: '', kind: '' });
  const [rows, setRows] = useState(null);
  const [error, setError] = useState('');
  const search = async (e, query = q) => {
    e && e.preventDefault();
    setError('');
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== ''));
    try { setRows(await get('/api/v1/audit?' + params)); } catch (err) { setError(err.message); }
  };
  // Start on the hall's service day (its clock, not this computer's).
  useEffect(() => {
    hallLoaded.then((h) => {
      const first = { ...q, day: h.service_day };
      setQ(first);
      search(null, first);
    }).catch((err) => setError(err.message));
  }, []);
  const field = (k, label, w) => html`<label>${label}<input style=${'width:' + w} value=${q[k]} onInput=${(e) => setQ({ ...q, [k]: e.target.value })} /></label>`;
  const detail = (e) => {
    const d = e.details || {};
    const parts = [];
    if (d.ticket) parts.push(d.ticket.number);
    if (d.reason) parts.push('原因：' + d.reason);
    if (d.note) parts.push('说明：' + d.note);
    if (d.outcome) parts.push('办结：' + (OUTCOMES[d.outcome] || d.outcome));
    if (d.to_queue) parts.push('转至：' + d.to_queue + (d.to_window ? '/' + d.to_window + '号窗口' : ''));
    if (d.clerk) parts.push(d.clerk.name);
    if (d.level) parts.push(LEVELS[d.level]);
    return parts.join('　');
  };
  return html`<section class="card quality-audit">
    <h2>审计日志 <small>Audit trail</small></h2>
    <form class="quality-filter" onSubmit=${search}>
      <label>日期<input type="date" value=${q.day} onInput=${(e) => setQ({ ...q, day: e.target.value })} /></label>
      ${field('window', '窗口', '5em')}${field('clerk', '工作人员', '8em')}${field('ticket', '号票', '7em')}${field('kind', '类型', '10em')}
      <button class="primary" type="submit">查询</button>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${rows && html`<table id="audit"><thead><tr><th>时间</th><th>类型</th><th>操作者</th><th>窗口</th><th>详情</th></tr></thead>
      <tbody>${rows.map((e) => html`<tr><td>${e.at.slice(11, 19)}</td><td>${e.kind}</td><td>${e.actor}</td><td class="num">${e.window ?? ''}</td><td class="wrap">${detail(e)}</td></tr>`)}</tbody></table>`}
  </section>`;
}

export default function Quality() {
  return html`<div class="quality"><${FollowUps} /><${Audit} /></div>`;
}
