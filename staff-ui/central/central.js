// 多厅统计 (/central/): the central server's page. Halls and their uplink lag, and the
// cross-hall waits report as a table, a Chart.js chart and CSV/Excel downloads.
const $ = (id) => document.getElementById(id);
const COLUMNS = [
  ['hall_id', '大厅'], ['label', '名称'], ['issued', '取号'], ['served', '办结'], ['no_show', '过号'],
  ['wait_mean_s', '平均等候(秒)'], ['wait_p50_s', '等候中位'], ['wait_p90_s', '等候P90'],
  ['service_mean_s', '平均办理'], ['over_target', '超时数'], ['over_target_share', '超时占比'],
  ['rated', '评价数'], ['satisfaction_rate', '满意率'],
];
let chart = null;

async function api(method, path, body) {
  const r = await fetch(path, {
    method, credentials: 'same-origin',
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (r.status === 401) { showLogin(); throw new Error('请登录 Please log in'); }
  const data = await r.json();
  if (!r.ok) throw new Error(data.message || data.error || r.status);
  return data;
}

function cell(v) {
  if (v == null) return '—';
  if (typeof v === 'number' && !Number.isInteger(v)) return (v * 100).toFixed(1) + '%';
  return String(v);
}

function table(el, rows, cols) {
  el.replaceChildren();
  const head = el.insertRow();
  for (const [, t] of cols) { const th = document.createElement('th'); th.textContent = t; head.append(th); }
  for (const r of rows) {
    const tr = el.insertRow();
    for (const [k] of cols) tr.insertCell().textContent = cell(r[k]);
  }
}

function showLogin() { $('login').hidden = false; $('main').hidden = true; }

async function showMain() {
  $('login').hidden = true; $('main').hidden = false;
  const h = await api('GET', '/api/v1/central/halls');
  table($('halls'), h.halls, [['hall_id', '大厅'], ['name', '名称'], ['last_seq', '已上报事件'],
    ['last_event_at', '最后事件时间'], ['shipped_at', '最后上报'], ['lag_events', '滞后事件'], ['lag_s', '滞后(秒)'],
    ['rollup_lag_events', '未入报表事件']]);
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
  if (chart) chart.destroy();
  chart = new window.Chart($('chart'), {
    type: 'bar',
    data: {
      labels: r.rows.map((x) => (x.hall_id && r.by !== 'hall' ? x.hall_id + ' ' : '') + x.label),
      datasets: [
        { label: '平均等候（分钟）Avg wait, min', data: r.rows.map((x) => x.wait_mean_s == null ? null : x.wait_mean_s / 60), backgroundColor: '#b54708' },
        { label: '等候P90（分钟）P90 wait, min', data: r.rows.map((x) => x.wait_p90_s == null ? null : x.wait_p90_s / 60), backgroundColor: '#7aa7d8' },
      ],
    },
    options: { animation: false, maintainAspectRatio: false },
  });
}

function run(p) { p.catch((e) => { $('error').textContent = e.message; }); }

$('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = new FormData($('login'));
  run(api('POST', '/api/v1/session', { username: f.get('username'), password: f.get('password') }).then(showMain));
});
$('query').addEventListener('submit', (ev) => run(report(ev)));
const today = new Date();
const first = new Date(today.getFullYear(), today.getMonth() - 1, 1);
const last = new Date(today.getFullYear(), today.getMonth(), 0);
const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
$('query').from.value = iso(first);
$('query').to.value = iso(last);
run(showMain());
