// The floor's alarms in words, one table for the managers' floor page (/staff/floor) and the
// floor TV (/display/floor.html): every alarm kind GET /api/v1/floor can raise, with its value
// and threshold read for a screen seen from afar.

const PRINTER_STATES = { paper_out: '缺纸', cover_open: '纸仓盖未关', offline: '离线', unreachable: '无法连接' };

/** Seconds as minutes for a screen read from afar: 45秒, 34分, 1时05分. */
export function mins(s) {
  if (s == null) return '—';
  s = Math.max(0, Math.round(s));
  if (s < 60) return `${s}秒`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}分` : `${Math.floor(m / 60)}时${String(m % 60).padStart(2, '0')}分`;
}

/** One alarm of the floor (a) in Chinese; queues: the floor's queues, for a queue's name. */
export function alarmText(a, queues) {
  const q = a.queue && (queues || []).find((x) => x.id === a.queue);
  const qn = q ? q.name : a.queue;
  switch (a.kind) {
    case 'queue_waiting': return `${qn}：等候 ${a.value} 人（阈值 ${a.threshold} 人）`;
    case 'queue_wait': return `${qn}：最长等候 ${mins(a.value)}（阈值 ${mins(a.threshold)}）`;
    case 'window_paused': return `${a.window}号窗口：已暂停 ${mins(a.value)}（阈值 ${mins(a.threshold)}）`;
    case 'appointment_late': return `${qn}：预约 ${a.detail} 已签到，超过预约时段 ${mins(a.value)} 仍未叫号（阈值 ${mins(a.threshold)}）`;
    case 'printer': return `打印机 ${a.printer}：${PRINTER_STATES[a.detail] || a.detail || '故障'}`;
    case 'backup': return `夜间备份失败：${a.detail || ''}（请检查备份目录与磁盘）`;
    case 'clock': return `系统时钟异常：${a.detail || ''}（请校准时间）`;
    case 'notify': return `短信/微信通知未送达 ${mins(a.value)}：${a.detail || ''}（请检查网关）`;
    case 'kiosk_rate': return `取号机 ${a.detail || ''} 取号过于频繁，已限流（每分钟 ${a.threshold} 张；已拒绝 ${a.value} 次）`;
    default: return `未知告警 ${a.kind}`;
  }
}
