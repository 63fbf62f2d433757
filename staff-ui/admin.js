// Admins: staff accounts (add, disable, enable, new password) and devices (register, revoke).
import { html, useState, useEffect } from '/staff/vendor/htm-preact-standalone.module.js';
import { get, post } from '/staff/api.js';

const ROLES = { clerk: '窗口人员', manager: '管理人员', admin: '系统管理员' };

function Users({ me }) {
  const [users, setUsers] = useState([]);
  const [form, setForm] = useState({ username: '', name: '', role: 'clerk', password: '' });
  const [msg, setMsg] = useState('');
  const [error, setError] = useState('');
  const load = () => get('/api/v1/users').then(setUsers).catch((e) => setError(e.message));
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
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  return html`<section class="card">
    <h2>工作人员账号 <small>Staff accounts</small></h2>
    ${error && html`<p class="error" role="alert">${error}</p>`}${msg && html`<p class="ok">${msg}</p>`}
    <table id="users"><thead><tr><th>用户名</th><th>姓名</th><th>角色</th><th>状态</th><th></th></tr></thead>
      <tbody>${users.map((u) => html`<tr data-user=${u.username}><td>${u.username}</td><td>${u.name}</td><td>${ROLES[u.role] || u.role}</td>
        <td>${u.disabled ? '已停用' : '正常'}</td>
        <td>${u.username !== me && (u.disabled
          ? html`<button onClick=${() => run(() => post(`/api/v1/users/${u.username}/enable`), '已启用')}>启用</button>`
          : html`<button onClick=${() => run(() => post(`/api/v1/users/${u.username}/disable`), '已停用')}>停用</button>`)}
          <button onClick=${() => reset(u)}>重设密码</button></td></tr>`)}</tbody></table>
    <form class="admin-add" onSubmit=${add}>
      <input placeholder="用户名" value=${form.username} onInput=${set('username')} required />
      <input placeholder="姓名" value=${form.name} onInput=${set('name')} required />
      <select value=${form.role} onChange=${set('role')}>${Object.entries(ROLES).map(([k, v]) => html`<option value=${k}>${v}</option>`)}</select>
      <input type="password" placeholder="初始密码（至少8位）" value=${form.password} onInput=${set('password')} required />
      <button class="primary" type="submit">添加</button>
    </form>
  </section>`;
}

function Devices() {
  const [form, setForm] = useState({ id: '', kind: 'kiosk', window: '' });
  const [issued, setIssued] = useState(null);
  const [revoke, setRevoke] = useState('');
  const [error, setError] = useState('');
  const [msg, setMsg] = useState('');
  const register = async (e) => {
    e.preventDefault();
    setError(''); setIssued(null);
    try {
      const body = { id: form.id, kind: form.kind };
      if (form.window) body.window = Number(form.window);
      setIssued(await post('/api/v1/devices/register', body));
    } catch (err) { setError(err.message); }
  };
  const doRevoke = async (e) => {
    e.preventDefault();
    setError(''); setMsg('');
    try { await post(`/api/v1/devices/${encodeURIComponent(revoke)}/revoke`); setMsg('已吊销 ' + revoke); setRevoke(''); } catch (err) { setError(err.message); }
  };
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  return html`<section class="card">
    <h2>设备 <small>Devices</small></h2>
    ${error && html`<p class="error" role="alert">${error}</p>`}${msg && html`<p class="ok">${msg}</p>`}
    <form class="admin-add" onSubmit=${register}>
      <input placeholder="设备编号，如 kiosk-2" value=${form.id} onInput=${set('id')} required />
      <select value=${form.kind} onChange=${set('kind')}><option value="kiosk">取号机</option><option value="display">显示屏</option><option value="evaluator">评价器</option></select>
      ${form.kind === 'evaluator' && html`<input type="number" min="1" placeholder="所在窗口" value=${form.window} onInput=${set('window')} required />`}
      <button class="primary" type="submit">登记</button>
    </form>
    ${issued && html`<p class="ok">设备 ${issued.id} 已登记。令牌只显示这一次，请立即配置到设备上：<code id="device-token">${issued.token}</code></p>`}
    <form class="admin-add" onSubmit=${doRevoke}>
      <input placeholder="要吊销的设备编号" value=${revoke} onInput=${(e) => setRevoke(e.target.value)} required />
      <button type="submit">吊销</button>
    </form>
  </section>`;
}

export default function Admin({ user }) {
  return html`<div class="admin"><${Users} me=${user.username} /><${Devices} /></div>`;
}
