// The clerk console's words: reason codes and outcomes with their Chinese labels (English hint
// second), and the hardware-caller shortcut keys. Codes are what the API stores; labels are for people.
import { get } from '/staff/api.js';

/// 办结 outcomes (API `finish {"outcome"}`); `note` names what a 补办件 / 退回件 must say.
export const OUTCOMES = [
  { code: 'done', zh: '即办件', en: 'Done' },
  { code: 'promised', zh: '承诺件', en: 'Promised' },
  { code: 'joint', zh: '联办件', en: 'Joint' },
  { code: 'reported', zh: '上报件', en: 'Reported' },
  { code: 'supplement', zh: '补办件', en: 'Supplement', note: '需补齐的材料（一次性告知）', noteEn: 'Materials to bring' },
  { code: 'returned', zh: '退回件', en: 'Returned', note: '退回原因', noteEn: 'Why returned' },
  { code: 'consultation', zh: '咨询', en: 'Enquiry' },
];

/// The reason codes a clerk picks, with their words, from `GET /api/v1/reasons` (the one list,
/// config/reasons.toml, that the wall and window screens read too). The console loads it once
/// before any dialog can open.
let reasonList = [];
export async function loadReasons() {
  reasonList = await get('/api/v1/reasons');
  return reasonList;
}

/// The reasons one operation offers: `pause`, `no_show`, `call` or `transfer`.
export function reasonsFor(use) {
  return reasonList.filter((r) => r.for.includes(use));
}

/// 转移 positions in the new line.
export const POSITIONS = [
  { code: 'front', zh: '排在最前', en: 'Front' },
  { code: 'original', zh: '按原取号时间', en: 'Original' },
  { code: 'back', zh: '排在最后', en: 'Back' },
];

/// Why the server chose the called ticket (`reason` in a call's reply).
export const CALL_CHOICE = {
  transferred: '转至本窗口', green_channel: '绿色通道', fairness: '轮换', tier: '本窗口业务优先',
  oldest: '按取号顺序', specific: '特呼', call_back: '回呼',
};

export const TICKET_STATE = { called: '已呼叫', serving: '办理中', waiting: '等候中', held: '已挂起' };

/// A reason as sent: the code, or `other: free text` when 其他 has a text.
export function reasonValue(code, text) {
  const t = (text || '').trim();
  return code === 'other' && t ? `other: ${t}` : code;
}

/// A stored reason for a person: the label of its code, or the free text of an `other: …`.
export function reasonLabel(list, value) {
  if (!value) return '';
  const hit = list.find((r) => r.code === value);
  if (hit) return hit.zh;
  return value.startsWith('other: ') ? '其他：' + value.slice(7) : value;
}

/// The hardware-caller keys. `op` names a console action.
export const KEYS = { F1: 'call-next', F2: 'recall', F3: 'start', F4: 'finish', F5: 'no-show', F6: 'hold', F7: 'transfer', F8: 'pause-resume' };

/// The window's usual outcome: the one most often chosen at window `n` on this console
/// (kept in the browser), among those that need no note; 即办件 until there is a habit.
/// F4 finishes with it in one key; the 办结 button still opens the choice.
export function usualOutcome(n) {
  let counts = {};
  try {
    counts = JSON.parse(localStorage.getItem(`hallq-outcomes-${n}`) || '{}');
  } catch (_) {}
  let best = 'done';
  for (const o of OUTCOMES) {
    if (!o.note && (counts[o.code] || 0) > (counts[best] || 0)) best = o.code;
  }
  return best;
}

/// Count one finish with `outcome` at window `n`.
export function noteOutcome(n, outcome) {
  let counts = {};
  try {
    counts = JSON.parse(localStorage.getItem(`hallq-outcomes-${n}`) || '{}');
  } catch (_) {}
  counts[outcome] = (counts[outcome] || 0) + 1;
  localStorage.setItem(`hallq-outcomes-${n}`, JSON.stringify(counts));
}
