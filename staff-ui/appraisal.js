// 量化考评 (/staff/appraisal): the month's score per window clerk who served, how each score
// was made (every component's measure, points and weight, and what was taken off), the top
// share marked excellent, the month's total, and apart those not ranked with why; print it or
// download it for Excel. Durations are 时:分:秒 as everywhere.
import { html, useState, useEffect } from '/staff/vendor/htm-preact-standalone.module.js';
import { get, duration, label, loadLabels, DURATION_UNIT } from '/staff/api.js';

const COMPONENTS = {
  volume: ['办件量', (v) => `${v} 件`],
  service_time: ['办理效率', (v) => (v == null ? '—' : `用时为同类业务平均的 ${(v * 100).toFixed(0)}%`)],
  within_target: ['等候达标', (v) => (v == null ? '—' : `超时占比 ${(v * 100).toFixed(1)}%`)],
  satisfaction: ['满意度', (v) => (v == null ? '无评价（按全厅满意率）' : `满意率 ${(v * 100).toFixed(1)}%`)],
  rating_coverage: ['评价率', (v) => (v == null ? '—' : `${(v * 100).toFixed(1)}%`)],
  attendance: ['出勤', (v) => `在岗（签到减暂停）${duration(v)}`],
};
const pct = (x) => (x == null ? '—' : (x * 100).toFixed(1) + '%');

function month(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

function Breakdown({ row, weights }) {
  return html`<tr class="breakdown"><td colspan="17">
    <table class="components">
      <thead><tr><th>项目</th><th>依据</th><th class="num">得分 (0-100)</th><th class="num">权重</th></tr></thead>
      <tbody>
        ${row.components.map((c) => html`<tr>
          <td>${COMPONENTS[c.name] ? COMPONENTS[c.name][0] : c.name}</td>
          <td>${COMPONENTS[c.name] ? COMPONENTS[c.name][1](c.value) : c.value}</td>
          <td class="num">${c.points.toFixed(2)}</td><td class="num">${c.weight}</td>
        </tr>`)}
        <tr><td>差评扣分</td><td>差评 ${row.bad_ratings} 条，其中免责 ${row.bad_excused} 条</td><td class="num minus">${row.penalty > 0 ? '−' + row.penalty.toFixed(2) : '0'}</td><td></td></tr>
        <tr><td>超时扣分</td><td>等候超过目标 ${pct(row.over_target_share)}（${row.over_target} 人）× 每1% ${weights.over_target_points} 分</td><td class="num minus">${row.over_target_penalty > 0 ? '−' + row.over_target_penalty.toFixed(2) : '0'}</td><td></td></tr>
        <tr class="total"><td>得分</td><td>加权平均 − 扣分</td><td class="num"><b>${row.score.toFixed(2)}</b></td><td></td></tr>
      </tbody>
    </table>
  </td></tr>`;
}

export default function Appraisal() {
  const [m, setM] = useState(new URLSearchParams(location.search).get('month') || month(new Date()));
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  const [open, setOpen] = useState({});

  const load = async () => {
    setError('');
    try {
      history.replaceState(null, '', `?month=${m}`);
      await loadLabels();
      setData(await get(`/api/v1/reports/staff-appraisal?month=${m}`));
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => { load(); }, []);
  const link = (f) => `/api/v1/reports/staff-appraisal?month=${m}&format=${f}`;
  const w = data && data.weights;
  return html`<div class="appraisal">
    <form class="controls card no-print" onSubmit=${(e) => { e.preventDefault(); load(); }}>
      <label>考评月份 <input id="month" type="month" value=${m} onInput=${(e) => setM(e.target.value)} required /></label>
      <button class="primary" type="submit">查询</button>
      <button type="button" onClick=${() => window.print()}>打印</button>
      <a class="download" href=${link('xlsx')} download>下载 Excel</a>
      <a class="download" href=${link('csv')} download>下载 CSV</a>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${data && html`
      <h2>窗口工作人员量化考评 ${data.month} <small>Staff appraisal</small></h2>
      <p class="muted">${data.from} 至 ${data.to} · ${data.rows.length} 人参评（本月有办结的窗口工作人员）· 优秀 ${data.excellent_count} 人（前 ${w.excellent_percent}%，向上取整）${data.unranked.length ? ` · ${data.unranked.length} 人不参评（见表下）` : ''} · 点击一行查看得分构成 · 时长为 时:分:秒</p>
      <div class="table-wrap"><table id="appraisal-table" class="report">
        <thead><tr>
          <th class="num">名次</th><th>姓名</th><th class="num">得分</th><th></th>
          <th class="num">办结（件）</th><th class="num">平均办理${DURATION_UNIT}</th><th class="num">超时占比</th><th class="num">扣分</th>
          <th class="num">过号</th><th class="num">转移</th><th class="num">签到时长${DURATION_UNIT}</th><th class="num">暂停时长${DURATION_UNIT}</th>
          <th class="num">评价率</th><th class="num">满意率</th><th class="num">差评</th><th class="num">待整改</th><th class="num">已办结</th>
        </tr></thead>
        <tbody>
          ${data.rows.length === 0 && html`<tr><td colspan="17" class="muted">本月没有参评人员</td></tr>`}
          ${data.rows.map((r) => html`
            <tr class=${'clickable' + (r.excellent ? ' excellent' : '')} data-user=${r.username} onClick=${() => setOpen({ ...open, [r.username]: !open[r.username] })}>
              <td class="num">${r.rank}</td><td>${r.name} <small class="muted">${r.username}</small></td>
              <td class="num"><b>${r.score.toFixed(2)}</b></td><td>${r.excellent && html`<span class="badge">优秀</span>`}</td>
              <td class="num">${r.served}</td><td class="num">${duration(r.service_mean_s)}</td><td class="num">${pct(r.over_target_share)}</td>
              <td class="num">${r.penalty + r.over_target_penalty > 0 ? '−' + (r.penalty + r.over_target_penalty).toFixed(2) : '0'}</td>
              <td class="num">${r.no_show}</td><td class="num">${r.transferred}</td>
              <td class="num">${duration(r.signed_in_s)}</td><td class="num">${duration(r.pause_s)}</td>
              <td class="num">${pct(r.rating_coverage)}</td><td class="num">${pct(r.satisfaction_rate)}</td>
              <td class="num">${r.bad_ratings}</td><td class="num">${r.bad_open}</td><td class="num">${r.bad_closed}</td>
            </tr>
            ${open[r.username] && html`<${Breakdown} row=${r} weights=${w} />`}`)}
        </tbody>
        ${data.rows.length > 0 && html`<tfoot><tr class="total" id="appraisal-total">
          <td></td><td>合计</td><td></td><td></td>
          <td class="num">${data.total.served}</td><td></td><td class="num">${pct(data.total.over_target_share)}</td><td></td>
          <td class="num">${data.total.no_show}</td><td class="num">${data.total.transferred}</td>
          <td class="num">${duration(data.total.signed_in_s)}</td><td class="num">${duration(data.total.pause_s)}</td>
          <td class="num">${pct(data.total.rating_coverage)}</td><td class="num">${pct(data.total.satisfaction_rate)}</td>
          <td class="num">${data.total.bad_ratings}</td><td class="num">${data.total.bad_open}</td><td class="num">${data.total.bad_closed}</td>
        </tr></tfoot>`}
      </table></div>
      ${data.unranked.length > 0 && html`<section class="card unranked">
        <h3>不参评人员 <small>Not ranked</small></h3>
        <table id="unranked-table" class="report">
          <thead><tr><th>姓名</th><th>原因</th><th class="num">办结（件）</th><th class="num">过号</th><th class="num">转移</th><th class="num">签到时长${DURATION_UNIT}</th><th class="num">暂停时长${DURATION_UNIT}</th></tr></thead>
          <tbody>${data.unranked.map((u) => html`<tr data-user=${u.username}>
            <td>${u.name} <small class="muted">${u.username}</small></td><td>${label('unranked', u.reason)}</td>
            <td class="num">${u.served}</td><td class="num">${u.no_show}</td><td class="num">${u.transferred}</td>
            <td class="num">${duration(u.signed_in_s)}</td><td class="num">${duration(u.pause_s)}</td></tr>`)}</tbody>
        </table>
      </section>`}
      <section class="card definitions">
        <h3>计分办法 <small>How the score is made</small></h3>
        <ul>
          <li>六项各按 0-100 分计：办件量（与本月办件最多者相比，权重 ${w.volume}）、办理效率（平均办理用时与全厅同类业务平均用时相比，不慢于平均得满分，权重 ${w.service_time}）、等候达标（所办号票等候不超过目标的比例，权重 ${w.within_target}）、满意度（满意率；无评价时按全厅满意率，权重 ${w.satisfaction}）、评价率（权重 ${w.rating_coverage}）、出勤（签到时长减暂停时长，与最多者相比，权重 ${w.attendance}）。</li>
          <li>得分 = 各项得分按权重加权平均 − 每条差评扣 ${w.bad_rating_points} 分（整改结果为 ${w.excused_results.map((r) => label('follow_up_results', r)).join('、') || '无'} 的差评免扣）− 等候超过目标的比例每 1% 扣 ${w.over_target_points} 分，最低 0 分。</li>
          <li>参评人员：本月办结过号票的窗口工作人员。管理人员顶岗、本月没有办结的人员列在表下，不参与排名，也不影响他人的办件量、出勤得分。</li>
          <li>名次按得分排列；得分相同依次比较办结数、满意率、账号字母顺序。前 ${w.excellent_percent}%（人数 × ${w.excellent_percent}% 向上取整）为优秀。权重与扣分在 config/hall.toml 的 [appraisal] 中配置（over_target_points 为超时扣分）。</li>
        </ul>
      </section>`}
  </div>`;
}
