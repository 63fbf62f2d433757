// 统计报表 (/staff/reports): waits and service times for any date range, grouped by window,
// window kind, queue, department, clerk, hour or day; charts; CSV and Excel downloads; and the
// definitions the numbers follow.
import { html, useState, useEffect, useRef } from '/staff/vendor/htm-preact-standalone.module.js';
import { get, duration, DURATION_UNIT } from '/staff/api.js';

const GROUPS = [
  ['department', '部门'], ['queue', '业务'], ['window', '窗口'], ['window_kind', '窗口类型'],
  ['clerk', '工作人员'], ['hour', '时段'], ['day', '日期'], ['arrival', '预约/现场'],
];
const KINDS = { resident: '常驻窗口', comprehensive: '综合窗口', poverty_alleviation: '脱贫攻坚窗口' };

const pct = (x) => (x == null ? '—' : (x * 100).toFixed(1) + '%');
const num = (x) => (x == null ? '—' : String(x));

// Durations are 时:分:秒 on every page and export; each header says so.
const D = DURATION_UNIT;
const COLUMNS = [
  ['issued', '取号（张）', num], ['served', '办结（件）', num], ['no_show', '过号', num],
  ['transferred', '转移', num], ['cancelled', '取消', num],
  ['wait_mean_s', '平均等候' + D, duration], ['wait_p50_s', '等候中位' + D, duration],
  ['wait_p90_s', '等候P90' + D, duration], ['wait_max_s', '最长等候' + D, duration],
  ['service_mean_s', '平均办理' + D, duration], ['service_p50_s', '办理中位' + D, duration],
  ['service_p90_s', '办理P90' + D, duration],
  ['over_target', '超时（人）', num], ['over_target_share', '超时占比', pct],
  ['rated', '评价数', num], ['satisfaction_rate', '满意率', pct],
];

function day(d) {
  const z = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())}`;
}

/// A Chart.js chart that is rebuilt when its config changes.
function ChartBox({ id, config, height }) {
  const canvas = useRef(null);
  useEffect(() => {
    if (!window.Chart || !canvas.current) return undefined;
    const chart = new window.Chart(canvas.current, config);
    return () => chart.destroy();
  }, [config]);
  return html`<div class="chart-box" style=${height ? `height:${height}px` : ''}><canvas id=${id} ref=${canvas}></canvas></div>`;
}

const minutes = (s) => (s == null ? null : Math.round(s / 6) / 10);

function hourChart(r) {
  const rows = r.rows;
  return {
    type: 'bar',
    data: {
      labels: rows.map((x) => x.key + '时'),
      datasets: [
        { type: 'line', label: '平均等候（分钟）Avg wait, min', data: rows.map((x) => minutes(x.wait_mean_s)), borderColor: '#b54708', backgroundColor: '#b54708', pointRadius: 5, spanGaps: true, yAxisID: 'y1', order: 0 },
        { type: 'bar', label: '取号数 Arrivals', data: rows.map((x) => x.issued), backgroundColor: '#7aa7d8', yAxisID: 'y', order: 1 },
      ],
    },
    options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, position: 'left', title: { display: true, text: '取号数' } }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: '分钟' } } } },
  };
}

function histogramChart(r) {
  const h = r.wait_histogram;
  return {
    type: 'bar',
    data: {
      labels: h.map((b) => (b.to_s == null ? `≥${b.from_s / 60}` : `${b.from_s / 60}-${b.to_s / 60}`) + '分'),
      datasets: [{
        label: '人数 Tickets', data: h.map((b) => b.count),
        backgroundColor: h.map((b) => (b.from_s >= r.wait_target_s ? '#d9534f' : '#5b9bd5')),
      }],
    },
    options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
  };
}

function departmentChart(r) {
  const rows = r.rows.filter((x) => x.wait_count > 0);
  const target = r.wait_target_s / 60;
  return {
    type: 'bar',
    data: {
      labels: rows.map((x) => `${x.label}（${x.served}件）`),
      datasets: [{
        label: `平均等候（分钟），红色超过目标 ${target} 分钟 · Avg wait, min`,
        data: rows.map((x) => minutes(x.wait_mean_s)),
        backgroundColor: rows.map((x) => (minutes(x.wait_mean_s) > target ? '#d9534f' : '#5b9bd5')),
      }],
    },
    options: { indexAxis: 'y', animation: false, maintainAspectRatio: false, scales: { x: { beginAtZero: true } } },
  };
}

function Table({ report }) {
  const by = report.by;
  const kind = by === 'window';
  const pause = by === 'window' || by === 'window_kind' || by === 'clerk';
  const line = (r, total) => html`<tr class=${total ? 'total' : ''}>
    <td>${r.label}</td>
    ${kind && html`<td>${r.window_kind ? KINDS[r.window_kind] : ''}</td>`}
    ${COLUMNS.map(([k, , f]) => html`<td class="num">${f(r[k])}</td>`)}
    ${pause && html`<td class="num">${duration(r.signed_in_s)}</td><td class="num">${duration(r.pause_s)}</td>`}
  </tr>`;
  return html`<div class="table-wrap"><table id="waits-table" class="report">
    <thead><tr>
      <th>${GROUPS.find((g) => g[0] === by)[1]}</th>
      ${kind && html`<th>窗口类型</th>`}
      ${COLUMNS.map(([, h]) => html`<th class="num">${h}</th>`)}
      ${pause && html`<th class="num">签到时长${D}</th><th class="num">暂停时长${D}</th>`}
    </tr></thead>
    <tbody>
      ${report.rows.length === 0 && html`<tr><td colspan="20" class="muted">该期间没有数据 No data in this range</td></tr>`}
      ${report.rows.map((r) => line(r, false))}
    </tbody>
    <tfoot>${line(report.total, true)}</tfoot>
  </table></div>`;
}

export default function Reports() {
  // Defaults: the last seven days by department; ?from=&to=&by= (a bookmark) overrides them.
  const q = new URLSearchParams(location.search);
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 6 * 86400000);
  const [from, setFrom] = useState(q.get('from') || day(weekAgo));
  const [to, setTo] = useState(q.get('to') || day(today));
  const [by, setBy] = useState(q.get('by') || 'department');
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const load = async () => {
    setBusy(true);
    setError('');
    try {
      history.replaceState(null, '', `?from=${from}&to=${to}&by=${by}`);
      const fetchBy = (g) => get(`/api/v1/reports/waits?from=${from}&to=${to}&by=${g}`);
      const [main, hours, depts] = await Promise.all([fetchBy(by), by === 'hour' ? null : fetchBy('hour'), by === 'department' ? null : fetchBy('department')]);
      setData({ main, hours: hours || main, depts: depts || main, charts: { h: hourChart(hours || main), w: histogramChart(main), d: departmentChart(depts || main) } });
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => { load(); }, []);

  const link = (format) => `/api/v1/reports/waits?from=${from}&to=${to}&by=${by}&format=${format}`;
  return html`<div class="reports">
    <form class="controls card" onSubmit=${(e) => { e.preventDefault(); load(); }}>
      <label>开始日期 <input id="from" type="date" value=${from} onInput=${(e) => setFrom(e.target.value)} required /></label>
      <label>结束日期 <input id="to" type="date" value=${to} onInput=${(e) => setTo(e.target.value)} required /></label>
      <label>分组 <select id="by" value=${by} onChange=${(e) => setBy(e.target.value)}>
        ${GROUPS.map(([k, l]) => html`<option value=${k}>按${l}</option>`)}
      </select></label>
      <button class="primary" id="run" type="submit" disabled=${busy}>${busy ? '统计中…' : '查询'}</button>
      <a class="download" id="csv" href=${link('csv')} download>下载 CSV</a>
      <a class="download" id="xlsx" href=${link('xlsx')} download>下载 Excel</a>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${data && html`
      <p class="muted">统计期间 ${data.main.from} 至 ${data.main.to} · 等候目标 ${data.main.wait_target_s / 60} 分钟 · 共 ${data.main.total.issued} 张号票</p>
      <${Table} report=${data.main} />
      <section class="charts">
        <div class="card"><h3>各时段取号数与平均等候 <small>Arrivals and average wait by hour</small></h3><${ChartBox} id="chart-hours" config=${data.charts.h} /></div>
        <div class="card"><h3>等候时长分布 <small>Wait distribution</small></h3><${ChartBox} id="chart-waits" config=${data.charts.w} /></div>
        <div class="card wide"><h3>各部门平均等候与办结数 <small>By department</small></h3><${ChartBox} id="chart-depts" config=${data.charts.d} height=${80 + 26 * data.charts.d.data.labels.length} /></div>
      </section>`}
    <section class="card definitions">
      <h3>统计口径 <small>Definitions</small></h3>
      <ul>
        <li><b>等候时长</b>：从首次取号到首次叫号；转移后不重新计时。未被叫号的号票（取消、作废、仍在等候）不计入等候统计。Wait = first issue to first call, across transfers; tickets never called are not in the wait statistics.</li>
        <li><b>办理时长</b>：从开始办理（未点"开始"时从叫号）到办结，仅计办结的号票。Service = start (or call) to finish.</li>
        <li><b>取消、过号、作废</b>分别计数，不计入办结。Cancelled, no-show and abandoned are counted separately.</li>
        <li><b>超时</b>：等候时长超过大厅等候目标（${data ? data.main.wait_target_s / 60 : 20} 分钟）。中位数与P90按最近秩法计算。</li>
        <li><b>时长</b>一律为 时:分:秒（0:12:10 为12分10秒，2:31:31 为2小时31分31秒），导出文件相同。签到、暂停时长对进行中的当天计至此刻。</li>
        <li><b>满意率</b> =（非常满意 + 满意）÷ 评价数；评价率 = 评价数 ÷ 办结数。</li>
        <li><b>归属</b>：按业务/部门时，取号、等候、取消、转出计入取号时的业务，办结、办理时长、过号计入最终办理的业务；按窗口为最后叫号的窗口；按工作人员为办结人（过号、转移为操作人）；按时段为取号时刻。</li>
      </ul>
    </section>
  </div>`;
}
