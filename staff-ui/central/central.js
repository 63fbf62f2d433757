// 多厅统计 (/central/): the central server's page. Halls and their uplink lag, and the
// cross-hall waits report as a table, two Chart.js charts and CSV/Excel downloads.
const $ = (id) => document.getElementById(id);
// Formats as on the hall's own report page: durations 时:分:秒, shares as percentages.
const num = (x) => (x == null ? '—' : String(x));
const pct = (x) => (x == null ? '—' : (x * 100).toFixed(1) + '%');
function duration(s) {
  if (s == null || isNaN(s)) return '—';
  s = Math.max(0, Math.round(s));
  const two = (n) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}
// A time the server gives in UTC, as this computer's local date and time.
function local(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
const D = '（时:分:秒）';
const COLUMNS = [
  ['hall_id', '大厅', num], ['label', '名称', num], ['issued', '取号（张）', num], ['served', '办结（件）', num],
  ['no_show', '过号', num], ['transferred', '转移', num], ['cancelled', '取消', num],
  ['wait_mean_s', '平均等候' + D, duration], ['wait_p50_s', '等候中位' + D, duration],
  ['wait_p90_s', '等候P90' + D, duration], ['wait_max_s', '最长等候' + D, duration],
  ['service_mean_s', '平均办理' + D, duration],
  ['over_target', '超时（人）', num], ['over_target_share', '超时占比', pct],
  ['rated', '评价数', num], ['satisfaction_rate', '满意率', pct],
];
const HALLS = [
  ['hall_id', '大厅', num], ['name', '名称', num], ['last_seq', '已上报事件', num],
  ['last_event_at', '最后事件时间', local], ['shipped_at', '最后上报', local],
  ['lag_events', '未上报事件', num], ['lag_s', '距上次上报' + D, duration],
  ['rollup_lag_events', '未入报表事件', num],
];
let charts = [];

// A 401 means the session is gone: back to the login form (`login`: the login itself, whose
// 401 says why, e.g. a wrong password).
async function api(method, path, body, login = false) {
  const r = await fetch(path, {
    method, credentials: 'same-origin',
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (r.status === 401 && !login) { showLogin(); throw new Error('请登录 Please log in'); }
  if (r.status === 204) return null;
  const data = await r.json();
  if (!r.ok) throw new Error(data.message || data.error || r.status);
  return data;
}

function table(el, rows, cols) {
  el.replaceChildren();
  const head = el.insertRow();
  for (const [, t] of cols) { const th = document.createElement('th'); th.textContent = t; head.append(th); }
  for (const r of rows) {
    const tr = el.insertRow();
    for (const [k, , fmt] of cols) tr.insertCell().textContent = fmt(r[k]);
  }
}

function showLogin() {
  $('login').reset();
  $('login').hidden = false; $('main').hidden = true; $('logout').hidden = true; $('who').textContent = '';
}

async function halls() {
  const h = await api('GET', '/api/v1/central/halls');
  table($('halls'), h.halls, HALLS);
  $('refreshed').textContent = '更新于 ' + local(new Date().toISOString());
  $('error').textContent = '';
}

// After login: the halls, and last month's report at once; the halls' lag every 15 s.
let refresh = null;
async function showMain() {
  const me = await api('GET', '/api/v1/session');
  $('who').textContent = `${me.name || me.username}（${me.username}）`;
  $('error').textContent = '';
  $('login').hidden = true; $('main').hidden = false; $('logout').hidden = false;
  refresh = refresh || setInterval(() => { if (!$('main').hidden) run(halls()); }, 15000);
  await halls();
  await report();
}

function query() {
  const f = new FormData($('query'));
  const q = new URLSearchParams({ from: f.get('from'), to: f.get('to'), by: f.get('by') });
  if (f.get('halls')) q.set('halls', f.get('halls'));
  return q;
}

async function report(ev) {
  ev?.preventDefault();
  const q = query();
  const r = await api('GET', '/api/v1/central/reports/waits?' + q);
  table($('report'), [...r.rows, { ...r.total, hall_id: '合计' }], COLUMNS);
  for (const fmt of ['csv', 'xlsx']) { q.set('format', fmt); $(fmt).href = '/api/v1/central/reports/waits?' + q; }
  const labels = r.rows.map((x) => (r.by === 'hall' ? `${x.label}（${x.hall_id}）` : (x.hall_id ? x.hall_id + ' ' : '') + x.label));
  const minutes = (s) => (s == null ? null : s / 60);
  const share = (x) => (x == null ? null : x * 100);
  for (const c of charts) c.destroy();
  charts = [
    // Waits: the mean and the 90th percentile, in minutes.
    new window.Chart($('chart'), {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: '平均等候（分钟）Avg wait, min', data: r.rows.map((x) => minutes(x.wait_mean_s)), backgroundColor: '#b54708' },
          { label: '等候P90（分钟）P90 wait, min', data: r.rows.map((x) => minutes(x.wait_p90_s)), backgroundColor: '#7aa7d8' },
        ],
      },
      options: { animation: false, maintainAspectRatio: false },
    }),
    // Work and how it was received: cases finished (bars), the share waiting past the target
    // and the share satisfied (lines over the bars, right axis).
    new window.Chart($('chart2'), {
      data: {
        labels,
        datasets: [
          { type: 'bar', label: '办结（件）Served', data: r.rows.map((x) => x.served), backgroundColor: '#5b9bd5', yAxisID: 'y', order: 1 },
          { type: 'line', label: '超时占比 % Over target', data: r.rows.map((x) => share(x.over_target_share)), borderColor: '#d9534f', backgroundColor: '#d9534f', yAxisID: 'y1', spanGaps: true, order: 0 },
          { type: 'line', label: '满意率 % Satisfied', data: r.rows.map((x) => share(x.satisfaction_rate)), borderColor: '#2e7d32', backgroundColor: '#2e7d32', yAxisID: 'y1', spanGaps: true, order: 0 },
        ],
      },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, position: 'left', ticks: { precision: 0 } }, y1: { min: 0, max: 100, position: 'right', grid: { drawOnChartArea: false } } },
      },
    }),
  ];
}

function run(p) { p.catch((e) => { $('error').textContent = e.message; }); }

$('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = new FormData($('login'));
  run(api('POST', '/api/v1/session', { username: f.get('username'), password: f.get('password') }, true).then(showMain));
});
$('query').addEventListener('submit', (ev) => run(report(ev)));
$('logout').addEventListener('click', () => run(api('DELETE', '/api/v1/session').then(showLogin)));
const today = new Date();
const first = new Date(today.getFullYear(), today.getMonth() - 1, 1);
const last = new Date(today.getFullYear(), today.getMonth(), 0);
const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
$('query').from.value = iso(first);
$('query').to.value = iso(last);
// Not logged in yet: the form shows, and nothing more is said; any other failure is shown.
showMain().catch((e) => {
  if ($('login').hidden) { showLogin(); $('error').textContent = e.message; }
});
