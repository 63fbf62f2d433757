// Admins: staff accounts (search, add, disable, enable, new password, name and role, window
// and department scope, the 工号 and photo on the window screen: admin-card.js) and devices (the list with kind, zone, printer and its paper state,
// last seen and health from the devices' heartbeats; register, or replace a token, with a
// setup URL to open on the device; revoke). Every change is recorded in the audit trail under
// the admin's name.
import { html, useState, useEffect } from '/staff/vendor/htm-preact-standalone.module.js';
import { api, get, post } from '/staff/api.js';
import { CardCell, CardForm } from '/staff/admin-card.js';

const ROLES = { clerk: '窗口人员', manager: '管理人员', admin: '系统管理员' };

function Users({ me }) {
  const [users, setUsers] = useState([]);
  const [search, setSearch] = useState('');
  const [scope, setScope] = useState(null); // {username, windows, departments}
  const [edit, setEdit] = useState(null); // {username, name, role}
  const [cards, setCards] = useState({}); // username → {staff_no, photo}
  const [cardOf, setCardOf] = useState(null); // the user whose card is being edited
  const [form, setForm] = useState({ username: '', name: '', role: 'clerk', password: '' });
  const [msg, setMsg] = useState('');
  const [error, setError] = useState('');
  const load = () => Promise.all([get('/api/v1/users'), get('/api/v1/staff-cards')])
    .then(([us, cs]) => { setUsers(us); setCards(Object.fromEntries(cs.map((c) => [c.username, c]))); })
    .catch((e) => setError(e.message));
  useEffect(() => { load(); }, []);
  const run = async (f, ok) => {
    setError(''); setMsg('');
    try { await f(); setMsg(ok); load(); } catch (e) { setError(e.message); }
  };
  const add = (e) => {
    e.preventDefault();
    run(() => post('/api/v1/users', form), '已添加 ' + form.username).then(() => setForm({ username: '', name: '', role: 'clerk', password: '' }));
  };
  const reset = (u) => {
    const p = prompt(`为 ${u.name}（${u.username}）设置新密码（至少8位）：`);
    if (p) run(() => post(`/api/v1/users/${u.username}/password`, { password: p }), '已设置新密码');
  };
  const saveScope = (e) => {
    e.preventDefault();
    run(() => post(`/api/v1/users/${scope.username}/scope`, { windows: scope.windows, departments: scope.departments }), '已保存服务范围')
      .then(() => setScope(null));
  };
  const saveEdit = (e) => {
    e.preventDefault();
    const body = { name: edit.name };
    if (edit.username !== me) body.role = edit.role;
    run(() => api('PATCH', `/api/v1/users/${edit.username}`, body), '已保存姓名和角色（改角色后须重新登录）')
      .then(() => setEdit(null));
  };
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  const needle = search.trim().toLowerCase();
  const shown = users.filter((u) => !needle || u.username.toLowerCase().includes(needle) || u.name.includes(search.trim()));
  return html`<section class="card">
    <h2>工作人员账号 <small>Staff accounts</small></h2>
    <input id="user-search" placeholder="搜索用户名或姓名 Search" value=${search} onInput=${(e) => setSearch(e.target.value)} />
    ${error && html`<p class="error" role="alert">${error}</p>`}${msg && html`<p class="ok">${msg}</p>`}
    <table id="users"><thead><tr><th>用户名</th><th>姓名</th><th>角色</th><th>服务范围</th><th>工号 · 照片</th><th>状态</th><th></th></tr></thead>
      <tbody>${shown.map((u) => html`<tr data-user=${u.username}><td>${u.username}</td><td class="user-name">${u.name}</td>
        <td class="user-role">${ROLES[u.role] || u.role}
          <button class="link user-edit" onClick=${() => setEdit({ username: u.username, name: u.name, role: u.role })}>修改</button></td>
        <td class="user-scope">${u.windows || u.departments ? [u.windows && `窗口 ${u.windows}`, u.departments && `部门 ${u.departments}`].filter(Boolean).join('；') : '不限'}
          <button class="link scope-edit" onClick=${() => setScope({ username: u.username, windows: u.windows || '', departments: u.departments || '' })}>修改</button></td>
        <${CardCell} user=${u} card=${cards[u.username]} onEdit=${() => setCardOf(u)} />
        <td>${u.disabled ? '已停用' : '正常'}</td>
        <td>${u.username !== me && (u.disabled
          ? html`<button onClick=${() => run(() => post(`/api/v1/users/${u.username}/enable`), '已启用')}>启用</button>`
          : html`<button onClick=${() => run(() => post(`/api/v1/users/${u.username}/disable`), '已停用')}>停用</button>`)}
          <button onClick=${() => reset(u)}>重设密码</button></td></tr>`)}</tbody></table>
    ${edit && html`<form class="admin-add" id="user-edit-form" onSubmit=${saveEdit}>
      <b>${edit.username} 的姓名和角色</b>
      <input id="edit-name" placeholder="姓名" value=${edit.name} onInput=${(e) => { const name = e.target.value; setEdit((x) => ({ ...x, name })); }} required />
      <select id="edit-role" value=${edit.role} disabled=${edit.username === me} title=${edit.username === me ? '不能修改自己的角色' : ''}
        onChange=${(e) => { const role = e.target.value; setEdit((x) => ({ ...x, role })); }}>${Object.entries(ROLES).map(([k, v]) => html`<option value=${k}>${v}</option>`)}</select>
      <button class="primary" id="edit-save" type="submit">保存</button>
      <button type="button" onClick=${() => setEdit(null)}>取消</button>
    </form>`}
    ${cardOf && html`<${CardForm} key=${cardOf.username} user=${cardOf} card=${cards[cardOf.username]} close=${() => setCardOf(null)}
      done=${(ok) => { setError(''); setMsg(ok); load(); }} fail=${(m) => { setMsg(''); setError(m); }} />`}
    ${scope && html`<form class="admin-add" id="scope-form" onSubmit=${saveScope}>
      <b>${scope.username} 的服务范围</b>
      <input id="scope-windows" placeholder="窗口，如 1-11,20（空：不限）" value=${scope.windows} onInput=${(e) => setScope({ ...scope, windows: e.target.value })} />
      <input id="scope-departments" placeholder="部门，如 gaj,rsj（空：不限）" value=${scope.departments} onInput=${(e) => setScope({ ...scope, departments: e.target.value })} />
      <button class="primary" id="scope-save" type="submit">保存</button>
      <button type="button" onClick=${() => setScope(null)}>取消</button>
    </form>`}
    <form class="admin-add" onSubmit=${add}>
      <input placeholder="用户名" value=${form.username} onInput=${set('username')} required />
      <input placeholder="姓名" value=${form.name} onInput=${set('name')} required />
      <select value=${form.role} onChange=${set('role')}>${Object.entries(ROLES).map(([k, v]) => html`<option value=${k}>${v}</option>`)}</select>
      <input type="password" placeholder="初始密码（至少8位）" value=${form.password} onInput=${set('password')} required />
      <button class="primary" type="submit">添加</button>
    </form>
  </section>`;
}

const KINDS = { kiosk: '取号机', display: '显示屏', evaluator: '评价器', integrator: '对接系统' };
/// A device's heartbeat (GET /api/v1/devices/me every minute; the floor TV's own polling).
const SEEN = { online: '在线', silent: '失联', unseen: '启动后未见', revoked: '—' };
const PRINTER = { unknown: '未检测', ok: '正常', paper_out: '缺纸', cover_open: '纸仓盖未关', offline: '离线', unreachable: '无法连接' };

function Devices() {
  const [list, setList] = useState(null);
  const [form, setForm] = useState({ id: '', kind: 'kiosk', window: '' });
  const [issued, setIssued] = useState(null);
  const [error, setError] = useState('');
  const [msg, setMsg] = useState('');
  const load = () => get('/api/v1/devices').then(setList).catch((e) => setError(e.message));
  useEffect(() => { load(); }, []);
  const register = async (e) => {
    e.preventDefault();
    setError(''); setIssued(null);
    try {
      const body = { id: form.id, kind: form.kind };
      if (form.window) body.window = Number(form.window);
      const d = await post('/api/v1/devices/register', body);
      setIssued({ ...d, url: d.setup_url });
      load();
    } catch (err) { setError(err.message); }
  };
  const replace = async (d) => {
    if (!confirm(`为 ${d.id} 换发令牌？旧令牌立即失效，须在该设备上打开新的设置网址。`)) return;
    setError(''); setMsg(''); setIssued(null);
    try {
      const r = await post(`/api/v1/devices/${encodeURIComponent(d.id)}/token`);
      setIssued({ ...r, replaced: true, url: r.setup_url });
      // The token, its address and its QR code sit under the list: bring them into view.
      setTimeout(() => document.getElementById('device-issued')?.scrollIntoView({ block: 'nearest' }));
    } catch (err) { setError(err.message); }
  };
  const revoke = async (id) => {
    setError(''); setMsg('');
    try { await post(`/api/v1/devices/${encodeURIComponent(id)}/revoke`); setMsg('已吊销 ' + id); load(); } catch (err) { setError(err.message); }
  };
  const printer = (id) => list && list.printers.find((p) => p.id === id);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  return html`<section class="card">
    <h2>设备 <small>Devices</small></h2>
    ${error && html`<p class="error" role="alert">${error}</p>`}${msg && html`<p class="ok">${msg}</p>`}
    ${list && html`<table id="devices"><thead><tr><th>编号</th><th>类型</th><th>区域/窗口</th><th>打印机</th><th>纸张与状态</th><th>最近在线</th><th>令牌</th><th></th></tr></thead>
      <tbody>${list.devices.map((d) => {
        const p = printer(d.printer);
        return html`<tr data-device=${d.id}><td>${d.id}</td><td>${KINDS[d.kind] || d.kind}</td>
          <td>${d.zone ? d.zone + '区' : d.window ? d.window + '号窗口' : '—'}</td>
          <td>${d.printer || '—'}</td>
          <td class="device-paper">${p ? `${PRINTER[p.state] || p.state}${p.paper_near_end ? '，纸将用完' : ''}${p.last_error ? `（${p.last_error}）` : ''}` : '—'}</td>
          <td class=${'device-seen ' + d.health} data-health=${d.health}>${SEEN[d.health] || d.health}${d.last_seen ? ' ' + d.last_seen.slice(11, 16) : ''}</td>
          <td>${d.revoked ? '已吊销' : '有效'}</td>
          <td>${!d.revoked && html`<button class="device-token" onClick=${() => replace(d)}>换发令牌</button>
            <button class="device-revoke" onClick=${() => revoke(d.id)}>吊销</button>`}</td></tr>`;
      })}</tbody></table>`}
    <form class="admin-add" onSubmit=${register}>
      <input placeholder="设备编号，如 kiosk-2" value=${form.id} onInput=${set('id')} required />
      <select value=${form.kind} onChange=${set('kind')}>${Object.entries(KINDS).map(([k, v]) => html`<option value=${k}>${v}</option>`)}</select>
      ${form.kind === 'evaluator' && html`<input type="number" min="1" placeholder="所在窗口" value=${form.window} onInput=${set('window')} required />`}
      <button class="primary" type="submit">登记</button>
    </form>
    ${issued && html`<div class="ok" id="device-issued">设备 ${issued.id} ${issued.replaced ? '已换发令牌，旧令牌已失效' : '已登记'}。令牌只显示这一次：<code id="device-token">${issued.token}</code>
      ${issued.url && html`<br />在该设备上打开设置网址（之后令牌保存在设备上）：<a id="device-setup-url" href=${issued.url} target="_blank" rel="noopener">${issued.url}</a>`}
      ${issued.setup_qr_svg && html`<br />或用该设备扫描二维码：<br /><img id="device-setup-qr" class="setup-qr" width="200" height="200" alt="设置网址二维码"
        src=${'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(issued.setup_qr_svg)} />`}</div>`}
  </section>`;
}

export default function Admin({ user }) {
  return html`<div class="admin"><${Users} me=${user.username} /><${Devices} /></div>`;
}
