// The clerk console's window picker: every window with who sits there, the free ones clickable,
// the last window used on this computer first. Picking one signs in (`onPick(number)`).
import { html, useState } from '/staff/vendor/htm-preact-standalone.module.js';

const STATUS = { open: '服务中', paused: '暂停', closed: '空闲' };

export function Picker({ windows, last, busy, onPick, onReload }) {
  const [zone, setZone] = useState('');
  const [filter, setFilter] = useState('');
  const zones = [...new Set(windows.map((w) => w.zone))].sort();
  const f = filter.trim();
  const shown = windows.filter((w) => (!zone || w.zone === zone)
    && (!f || String(w.number) === f || w.name.includes(f)));
  const lastW = windows.find((w) => w.number === last);
  const free = (w) => !w.clerk;
  return html`<section class="console-picker" id="console-picker">
    <div class="console-picker-head">
      <h1>选择窗口签入<small>Pick your window</small></h1>
      ${lastW && html`<button class="primary console-last" id="console-pick-last" disabled=${busy || !free(lastW)}
          onClick=${() => onPick(lastW.number)}>
        签入上次窗口：${lastW.number}号 ${lastW.name}<small>Last window</small></button>`}
      <input class="console-filter" id="console-filter" placeholder="窗口号或名称 Number or name" value=${filter}
        onInput=${(e) => setFilter(e.target.value)} />
      <select id="console-zone" value=${zone} onChange=${(e) => setZone(e.target.value)}>
        <option value="">全部区域 All zones</option>
        ${zones.map((z) => html`<option value=${z}>${z}区</option>`)}
      </select>
      <button onClick=${onReload} disabled=${busy}>刷新<small>Reload</small></button>
    </div>
    <div class="console-tiles">
      ${shown.map((w) => html`<button class=${'console-tile console-tile-' + w.status + (w.number === last ? ' last' : '')}
          id=${'console-pick-' + w.number} data-window=${w.number} data-free=${free(w)}
          disabled=${busy || !free(w)} onClick=${() => onPick(w.number)}
          title=${w.clerk ? w.clerk.name + ' 已签入' : '空闲，点击签入'}>
        <b>${w.number}</b><span class="console-tile-name">${w.name}</span>
        <span class="console-tile-who">${w.clerk ? w.clerk.name + ' · ' + STATUS[w.status] : '空闲 Free'}</span>
      </button>`)}
      ${shown.length === 0 && html`<p class="console-muted">没有符合条件的窗口 No window matches</p>`}
    </div>
  </section>`;
}
