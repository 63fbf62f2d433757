// Every text of the kiosk and the phone page: Chinese first, English second.
// Department and queue names come from the hall's config (Chinese only).

export const TEXTS = {
  zh: {
    take: '取号',
    take_sub: '点击开始取号',
    welcome: '欢迎来到',
    english: 'English',
    chinese: '中文',
    large_on: '大字模式',
    large_off: '标准模式',
    home: '返回首页',
    back: '上一步',
    prev: '上一页',
    next: '下一页',
    page: '第 {n} / {m} 页',
    choose_dept: '请选择办理部门',
    choose_queue: '请选择办理业务',
    busiest: '常用部门',
    all: '全部',
    by_letter: '按拼音首字母查找',
    waiting: '等候 {n} 人',
    wait_about: '约{m}',
    windows: '{w} 号窗口',
    closed_queue_closed: '当前时间段不能取号',
    closed_quota_exhausted: '排队号已取完',
    closed_appointments_only: '延时服务（仅预约）',
    checkin: '预约签到',
    checkin_sub: '已预约请点此签到',
    checkin_title: '预约签到',
    checkin_hint: '请输入6位预约码或身份证号码；也可在读卡器上刷身份证。',
    checkin_invalid: '请输入6位预约码或18位身份证号码',
    appointment: '预约',
    walk_in: '取普通号',
    green_channel: '绿色通道',
    green_title: '绿色通道取号',
    green_hint: '老年人、残疾人、军人、孕妇等可优先办理，请向工作人员出示相关证件。',
    green_kinds: ['老年人', '残疾人', '军人', '孕妇', '其他'],
    normal_ticket: '普通取号',
    id_title: '请输入身份证号码',
    id_hint: '办理该业务需要实名取号；也可在读卡器上刷身份证。',
    id_invalid: '身份证号码不正确，请核对',
    phone_title: '请输入手机号码（可跳过）',
    phone_hint: '手机号码仅用于本次办理与您联系。',
    phone_hint_sms: '叫号前会短信提醒您。',
    phone_invalid: '手机号码不正确，请核对',
    skip: '跳过',
    confirm: '确定',
    clear: '清除',
    del: '删除',
    issuing: '正在取号，请稍候…',
    your_number: '您的号码',
    ahead: '您前面还有 {n} 人等候',
    est: '预计等候约{m}',
    no_estimate: '暂无窗口办理，开窗后开始计时',
    watch: '请留意 {w} 号窗口',
    scan: '手机扫码，随时查看排队进度',
    printed: '请取走打印的号票',
    print_failed: '号票打印失败。请记住您的号码或扫码，并到服务台补打号票。',
    print_none: '本机不打印号票，请记住您的号码或扫码。',
    done: '完成',
    back_in: '{s} 秒后返回首页',
    no_device: '本机尚未配置设备令牌，请联系工作人员。',
    more_below: '▼ 向上滑动，下面还有业务和绿色通道',
    setup_title: '本机暂停取号',
    setup_missing: '本机尚未配置设备令牌。',
    setup_invalid: '本机的设备令牌无效或已被吊销。',
    setup_kind: '本机的令牌不是取号机令牌。',
    setup_how: '请到服务台取号。管理员：在「管理 → 设备」登记取号机，并在本机打开其设置网址 /kiosk/?device=令牌。',
    failed: '取号失败，请重试或咨询服务台。',
    offline: '网络连接中断，请稍后重试或咨询服务台。',
    notice_default: '取号后请在休息区等候，注意留意大屏和语音叫号',
    // API error codes (the server's messages are Chinese; these match them).
    err_queue_closed: '当前时间段不能取号',
    err_quota_exhausted: '排队号已取完',
    err_duplicate_ticket: '您已在该业务排队，请勿重复取号',
    err_invalid_id_number: '身份证号码不正确，请核对',
    err_id_number_required: '办理该业务需要提供身份证号码',
    err_invalid_phone: '手机号码不正确，请核对',
    err_unknown_queue: '没有这个业务，请重新选择',
    err_unauthenticated: '本机设备令牌无效，请联系工作人员。',
    // Phone page.
    t_title: '排队进度',
    t_state_waiting: '等候中',
    t_state_called: '请到窗口办理',
    t_state_serving: '正在办理',
    t_state_held: '已挂起，请留意回呼',
    t_state_done: '已办结',
    t_state_no_show: '已过号',
    t_state_cancelled: '已取消',
    t_state_abandoned: '已失效',
    t_state_transferred: '已转移',
    t_called: '请到 {w} 号窗口办理',
    t_queue: '业务',
    t_issued: '取号时间',
    t_cancel: '取消排队',
    t_cancel_confirm: '确定要取消排队吗？取消后号码作废，需重新取号。',
    t_cancel_yes: '确定取消',
    t_cancel_no: '不取消',
    r_title: '请对本次服务进行评价',
    r_very_satisfied: '非常满意',
    r_satisfied: '满意',
    r_basically_satisfied: '基本满意',
    r_dissatisfied: '不满意',
    r_very_dissatisfied: '非常不满意',
    r_why: '请告诉我们哪里做得不好（至少选一项）',
    r_comment: '其他意见（可不填）',
    r_submit: '提交评价',
    r_thanks: '感谢您的评价！',
    r_done: '您已评价，感谢您的反馈。',
    t_cancelled: '您已取消排队。',
    t_not_found: '没有找到这张号票，请核对链接。',
    t_updated: '更新于 {t}',
    t_refresh_hint: '本页自动刷新',
  },
  en: {
    take: 'Take a number',
    take_sub: 'Touch to start',
    welcome: 'Welcome to',
    english: 'English',
    chinese: '中文',
    large_on: 'Large text',
    large_off: 'Standard text',
    home: 'Home',
    back: 'Back',
    prev: 'Previous',
    next: 'Next',
    page: 'Page {n} of {m}',
    choose_dept: 'Choose a department',
    choose_queue: 'Choose a service',
    busiest: 'Most used',
    all: 'All',
    by_letter: 'Find by pinyin initial',
    waiting: '{n} waiting',
    wait_about: 'about {m}',
    windows: 'Windows {w}',
    closed_queue_closed: 'Not issuing numbers at this time',
    closed_quota_exhausted: 'All numbers for today are taken',
    closed_appointments_only: 'Extended hours (appointments only)',
    checkin: 'Appointment check-in',
    checkin_sub: 'Booked? Check in here',
    checkin_title: 'Appointment check-in',
    checkin_hint: 'Enter your 6-digit booking code or your ID number, or swipe your ID card.',
    checkin_invalid: 'Enter the 6-digit code or the 18-character ID number',
    appointment: 'Appointment',
    walk_in: 'Take an ordinary number',
    green_channel: 'Priority',
    green_title: 'Priority (green channel)',
    green_hint: 'Elderly, disabled, military and pregnant visitors are served first. Please show your card to the clerk.',
    green_kinds: ['Elderly', 'Disabled', 'Military', 'Pregnant', 'Other'],
    normal_ticket: 'Normal number',
    id_title: 'Enter your ID card number',
    id_hint: 'This service needs your ID number; you can also swipe your ID card on the reader.',
    id_invalid: 'This ID number is not valid',
    phone_title: 'Enter your mobile number (optional)',
    phone_hint: 'Your number is only used to contact you about this visit.',
    phone_hint_sms: 'We will text you before your number is called.',
    phone_invalid: 'This mobile number is not valid',
    skip: 'Skip',
    confirm: 'OK',
    clear: 'Clear',
    del: 'Delete',
    issuing: 'Taking your number…',
    your_number: 'Your number',
    ahead: '{n} people ahead of you',
    est: 'Estimated wait about {m}',
    no_estimate: 'No window open yet; timing starts when one opens',
    watch: 'Watch windows {w}',
    scan: 'Scan to follow your number on your phone',
    printed: 'Please take your printed ticket',
    print_failed: 'The ticket could not be printed. Remember your number or scan the code, and ask the help desk for a reprint.',
    print_none: 'This kiosk does not print. Remember your number or scan the code.',
    done: 'Done',
    back_in: 'Back to start in {s} s',
    no_device: 'This kiosk has no device token. Please ask a member of staff.',
    more_below: '▼ Swipe up: more services and priority buttons below',
    setup_title: 'This kiosk is not issuing numbers',
    setup_missing: 'This kiosk has no device token.',
    setup_invalid: 'This kiosk\'s device token is not valid or was revoked.',
    setup_kind: 'This kiosk\'s token is not a kiosk token.',
    setup_how: 'Please take a number at the help desk. Admins: register a kiosk under Admin → Devices and open its setup URL /kiosk/?device=TOKEN on this machine.',
    failed: 'Could not take a number. Please try again or ask the help desk.',
    offline: 'Connection lost. Please try again later or ask the help desk.',
    notice_default: 'After taking a number please wait in the seating area and watch the screens.',
    err_queue_closed: 'Not issuing numbers at this time',
    err_quota_exhausted: 'All numbers for today are taken',
    err_duplicate_ticket: 'You already have a number for this service',
    err_invalid_id_number: 'This ID number is not valid',
    err_id_number_required: 'This service needs your ID number',
    err_invalid_phone: 'This mobile number is not valid',
    err_unknown_queue: 'This service does not exist; please choose again',
    err_unauthenticated: 'This kiosk\'s device token is not valid. Please ask a member of staff.',
    t_title: 'Your place in the queue',
    t_state_waiting: 'Waiting',
    t_state_called: 'Please go to the window',
    t_state_serving: 'Being served',
    t_state_held: 'On hold: you will be called back',
    t_state_done: 'Finished',
    t_state_no_show: 'Missed',
    t_state_cancelled: 'Cancelled',
    t_state_abandoned: 'Expired',
    t_state_transferred: 'Transferred',
    t_called: 'Please go to window {w}',
    t_queue: 'Service',
    t_issued: 'Taken at',
    t_cancel: 'Leave the queue',
    t_cancel_confirm: 'Leave the queue? Your number will no longer be valid.',
    t_cancel_yes: 'Leave',
    t_cancel_no: 'Stay',
    r_title: 'Please rate our service',
    r_very_satisfied: 'Very satisfied',
    r_satisfied: 'Satisfied',
    r_basically_satisfied: 'Fair',
    r_dissatisfied: 'Dissatisfied',
    r_very_dissatisfied: 'Very dissatisfied',
    r_why: 'What went wrong? (choose at least one)',
    r_comment: 'Anything else (optional)',
    r_submit: 'Submit',
    r_thanks: 'Thank you for your feedback!',
    r_done: 'You have rated this visit. Thank you.',
    t_cancelled: 'You have left the queue.',
    t_not_found: 'No such ticket. Please check the link.',
    t_updated: 'Updated {t}',
    t_refresh_hint: 'This page updates itself',
  },
};

let lang = 'zh';

export function setLang(l) {
  lang = TEXTS[l] ? l : 'zh';
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export function getLang() {
  return lang;
}

/** The text for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const s = TEXTS[lang][key] ?? TEXTS.zh[key] ?? key;
  if (typeof s !== 'string') return s;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

/** A department's or queue's name in the current language: `name_en` in English when set. */
export function nameOf(x) {
  return (lang === 'en' && x?.name_en) || x?.name || '';
}

/** Escape text for HTML. */
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** Window numbers as short ranges: [1,2,3,5] → "1-3、5" (", " in English). */
export function windowRanges(nums) {
  const s = [...new Set(nums)].sort((a, b) => a - b);
  const parts = [];
  for (let i = 0; i < s.length; i++) {
    const start = s[i];
    while (i + 1 < s.length && s[i + 1] === s[i] + 1) i++;
    parts.push(start === s[i] ? `${start}` : `${start}-${s[i]}`);
  }
  return parts.join(lang === 'zh' ? '、' : ', ');
}

/**
 * The wait line of a ticket or queue (`key` 'est' or 'wait_about'): minutes, or, while no
 * open window serves the queue (`estimated_wait_s` null), the server's `estimate_note`
 * (Chinese) or its English words.
 */
export function waitText(x, key) {
  if (x.estimated_wait_s == null) {
    return lang === 'zh' && x.estimate_note ? x.estimate_note : t('no_estimate');
  }
  return t(key, { m: duration(x.estimated_wait_s) });
}

/** Whole minutes, rounded up, from seconds. */
export function minutes(s) {
  return Math.max(0, Math.ceil((s || 0) / 60));
}

/** A wait for people: "2小时24分" / "2 h 24 min" from an hour on, "15分钟" / "15 min" below. */
export function duration(s) {
  const m = minutes(s);
  const h = Math.floor(m / 60);
  const r = m % 60;
  if (lang === 'zh') return h ? `${h}小时${r ? `${r}分` : ''}` : `${m}分钟`;
  return h ? `${h} h${r ? ` ${r} min` : ''}` : `${m} min`;
}
