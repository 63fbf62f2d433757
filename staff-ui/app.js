// Staff pages: sign-in, navigation and routing. Each page is its own module:
// console.js (clerk console, /staff/), desk.js (help desk, /staff/desk), floor.js (/staff/floor), reports.js (/staff/reports),
// appraisal.js (/staff/appraisal), admin.js (/staff/admin).
import { html, render, useState, useEffect } from '/staff/vendor/htm-preact-standalone.module.js';
import { get, post, api } from '/staff/api.js';

const PAGES = [
  { path: '/staff/', label: '叫号工作台', en: 'Console', roles: ['clerk', 'manager', 'admin'], module: '/staff/console.js' },
  { path: '/staff/desk', label: '服务台', en: 'Help desk', roles: ['clerk', 'manager', 'admin'], module: '/staff/desk.js' },
  { path: '/staff/floor', label: '大厅实况', en: 'Floor', roles: ['manager', 'admin'], module: '/staff/floor.js' },
  { path: '/staff/reports', label: '统计报表', en: 'Reports', roles: ['manager', 'admin'], module: '/staff/reports.js' },
  { path: '/staff/appraisal', label: '量化考评', en: 'Appraisal', roles: ['manager', 'admin'], module: '/staff/appraisal.js' },
  { path: '/staff/quality', label: '好差评与审计', en: 'Ratings & audit', roles: ['manager', 'admin'], module: '/staff/quality.js' },
  { path: '/staff/admin', label: '账号与设备', en: 'Admin', roles: ['admin'], module: '/staff/admin.js' },
];

function pageFor(pathname) {
  const p = pathname.replace(/\/+$/, '') || '/staff';
  return PAGES.find((x) => x.path.replace(/\/+$/, '') === p) || PAGES[0];
}

function Login({ onIn }) {
  const [username, setU] = useState('');
  const [password, setP] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const s = await post('/api/v1/session', { username, password });
      onIn(s.user);
    } catch (err) {
      setError(err.code === 'unauthenticated' ? '用户名或密码不正确' : err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="login" onSubmit=${submit}>
    <h1>政务服务中心 · 工作人员登录</h1>
    <label>用户名 <input id="username" autocomplete="username" value=${username} onInput=${(e) => setU(e.target.value)} required /></label>
    <label>密码 <input id="password" type="password" autocomplete="current-password" value=${password} onInput=${(e) => setP(e.target.value)} required /></label>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <button id="login" type="submit" disabled=${busy}>${busy ? '登录中…' : '登录'}</button>
  </form>`;
}

function Shell({ user, onOut }) {
  const page = pageFor(location.pathname);
  const [Page, setPage] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!page.roles.includes(user.role)) return;
    import(page.module).then((m) => setPage(() => m.default)).catch(() => setError('页面加载失败'));
  }, [page.path]);
  const logout = async () => {
    try { await api('DELETE', '/api/v1/session'); } catch { /* the cookie is cleared either way */ }
    onOut();
  };
  const allowed = PAGES.filter((p) => p.roles.includes(user.role));
  return html`<div class="shell">
    <nav class="top">
      ${allowed.map((p) => html`<a href=${p.path} class=${p === page ? 'on' : ''}>${p.label}<small>${p.en}</small></a>`)}
      <span class="who">${user.name}（${user.username}）</span>
      <button class="link" id="logout" onClick=${logout}>退出</button>
    </nav>
    <main>
      ${!page.roles.includes(user.role)
        ? html`<p class="error">没有权限查看此页面</p>`
        : error ? html`<p class="error">${error}</p>`
        : Page ? html`<${Page} user=${user} />` : html`<p class="loading">加载中…</p>`}
    </main>
  </div>`;
}

function App() {
  const [user, setUser] = useState(undefined);
  useEffect(() => {
    get('/api/v1/session').then(setUser).catch(() => setUser(null));
  }, []);
  if (user === undefined) return html`<p class="loading">加载中…</p>`;
  if (!user) return html`<${Login} onIn=${setUser} />`;
  return html`<${Shell} user=${user} onOut=${() => setUser(null)} />`;
}

render(html`<${App} />`, document.getElementById('app'));
