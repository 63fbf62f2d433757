// The phone page /t/{token}: the ticket's number, state, people ahead and estimated wait,
// the window once called; refreshed every few seconds; leave the queue (after confirming).

import { api, errorCode } from '/kiosk/api.js';
import { t, esc, setLang, getLang, windowRanges, waitText, nameOf } from '/kiosk/i18n.js';

const token = decodeURIComponent(location.pathname.split('/').pop() || '');
const POLL_MS = 3000;
const FINAL = ['done', 'no_show', 'cancelled', 'abandoned'];
let ticket = null;
let missing = false;
let updated = null;
let timer = null;
// Rating (好差评) from the phone, once the service is finished.
const LEVELS = ['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied'];
const BAD = ['dissatisfied', 'very_dissatisfied'];
const rating = { level: null, reasons: new Set(), comment: '', error: '', sent: false, offered: [] };
// The hall: English names of departments and queues, and its clock (a phone's may be off).
let hall = null;
let clockOffset = 0;
api('/api/v1/hall').then((r) => {
  if (!r.ok) return;
  hall = r.data;
  rating.offered = r.data.rating_reasons || [];
  const now = Date.parse(r.data.now);
  if (!Number.isNaN(now)) clockOffset = now - Date.now();
  render();
});

/** The ticket's department and queue in the page's language. */
function names(tk) {
  const q = hall?.queues.find((x) => x.id === tk.queue);
  const d = q && hall.departments.find((x) => x.id === q.department);
  return { dept: d ? nameOf(d) : tk.department_name, queue: q ? nameOf(q) : tk.queue_name };
}

/** The hall's time now, HH:MM:SS in its time zone. */
function hallTime() {
  return new Intl.DateTimeFormat('zh-CN', {
    timeZone: hall?.timezone || 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).format(new Date(Date.now() + clockOffset));
}

const $ = (s) => document.querySelector(s);

function time(iso) {
  const m = /T(\d{2}:\d{2})/.exec(iso || '');
  return m ? m[1] : '';
}

function render() {
  $('#title').textContent = t('t_title');
  $('#lang').textContent = getLang() === 'zh' ? 'English' : '中文';
  document.title = `${ticket?.number ?? ''} ${t('t_title')}`;
  if (missing) {
    $('#page').innerHTML = `<div class="error" id="missing">${esc(t('t_not_found'))}</div>`;
    return;
  }
  if (!ticket) return;
  const tk = ticket;
  const n = names(tk);
  const called = tk.state === 'called' && tk.window;
  const stateText = called ? t('t_called', { w: tk.window }) : t(`t_state_${tk.state}`);
  const cls = called ? 'called' : FINAL.includes(tk.state) ? 'final' : '';
  $('#page').innerHTML = `
    <section class="card num">
      <div class="label">${esc(t('your_number'))}</div>
      <div class="n" id="number">${esc(tk.number)}</div>
      <div class="q" id="names">${esc(n.dept)} · ${esc(n.queue)}</div>
    </section>
    <div class="state ${cls}" id="state" data-state="${esc(tk.state)}">${esc(stateText)}</div>
    ${tk.state === 'waiting' ? `<div class="card" id="ahead">${esc(t('ahead', { n: tk.waiting_ahead }))}<br>${esc(waitText(tk, 'est'))}<br>${esc(t('watch', { w: windowRanges(tk.windows) }))}</div>` : ''}
    <section class="card"><dl><dt>${esc(t('t_queue'))}</dt><dd>${esc(n.queue)}</dd><dt>${esc(t('t_issued'))}</dt><dd>${esc(time(tk.issued_at))}</dd></dl></section>
    ${tk.state === 'waiting' ? `<button type="button" class="cancel" id="cancel">${esc(t('t_cancel'))}</button>` : ''}
    ${tk.state === 'done' ? rateSection(tk) : ''}
    <div class="meta">${esc(t('t_updated', { t: updated ?? '' }))} · ${esc(t('t_refresh_hint'))}</div>`;
}

function rateSection(tk) {
  if (rating.sent) return `<section class="card rate" id="rate"><div class="thanks">${esc(t('r_thanks'))}</div></section>`;
  if (tk.rated) return `<section class="card rate" id="rate"><div>${esc(t('r_done'))}</div></section>`;
  const bad = BAD.includes(rating.level);
  return `<section class="card rate" id="rate"><div class="label">${esc(t('r_title'))}</div>
    <div class="levels">${LEVELS.map((l) => `<button type="button" class="level ${l}${rating.level === l ? ' on' : ''}" data-level="${l}">${esc(t('r_' + l))}</button>`).join('')}</div>
    ${bad ? `<div class="why">${esc(t('r_why'))}</div><div class="reasons">${rating.offered.map((r, i) => `<button type="button" class="reason${rating.reasons.has(r) ? ' on' : ''}" data-reason="${i}">${esc(r)}</button>`).join('')}</div>
      <textarea id="comment" maxlength="500" placeholder="${esc(t('r_comment'))}">${esc(rating.comment)}</textarea>` : ''}
    ${rating.level ? `<button type="button" class="submit" id="rate-submit" ${bad && rating.reasons.size === 0 && !rating.comment.trim() ? 'disabled' : ''}>${esc(t('r_submit'))}</button>` : ''}
    ${rating.error ? `<div class="error">${esc(rating.error)}</div>` : ''}</section>`;
}

async function submitRating() {
  const body = { ticket: token, level: rating.level };
  if (BAD.includes(rating.level)) {
    body.reasons = [...rating.reasons];
    if (rating.comment.trim()) body.comment = rating.comment.trim();
  }
  const res = await api('/api/v1/ratings', { method: 'POST', body });
  if (res.ok) rating.sent = true;
  else rating.error = res.data?.error?.message || '网络连接中断，请稍后重试 · Network error, try again';
  render();
}

async function refresh() {
  const res = await api(`/api/v1/tickets/${encodeURIComponent(token)}`);
  if (res.ok) {
    ticket = res.data;
    missing = false;
    updated = hallTime();
  } else if (res.status === 404) {
    missing = true;
  }
  render();
  // Keep polling a finished visit only while it may still be rated here.
  if (ticket && FINAL.includes(ticket.state) && !(ticket.state === 'done' && !ticket.rated)) clearInterval(timer);
}

function confirmCancel() {
  const d = $('#dialog');
  d.innerHTML = `<div class="box"><div>${esc(t('t_cancel_confirm'))}</div>
    <button type="button" class="yes" id="cancel-yes">${esc(t('t_cancel_yes'))}</button>
    <button type="button" id="cancel-no">${esc(t('t_cancel_no'))}</button></div>`;
  d.hidden = false;
}

async function cancel() {
  $('#dialog').hidden = true;
  const res = await api(`/api/v1/tickets/${encodeURIComponent(token)}/cancel`, { method: 'POST', body: {} });
  if (res.ok) ticket = res.data;
  else if (errorCode(res) !== 'network') ticket = (await api(`/api/v1/tickets/${encodeURIComponent(token)}`)).data ?? ticket;
  render();
}

document.addEventListener('input', (e) => {
  if (e.target.id === 'comment') {
    rating.comment = e.target.value;
    const b = $('#rate-submit');
    if (b) b.disabled = rating.reasons.size === 0 && !rating.comment.trim();
  }
});

document.addEventListener('click', (e) => {
  const btn = e.target.closest('button');
  if (btn?.dataset.level) {
    rating.level = btn.dataset.level;
    rating.error = '';
    render();
    return;
  }
  if (btn?.dataset.reason) {
    const r = rating.offered[Number(btn.dataset.reason)];
    rating.reasons.has(r) ? rating.reasons.delete(r) : rating.reasons.add(r);
    render();
    return;
  }
  if (btn?.id === 'rate-submit') {
    submitRating();
    return;
  }
  const id = btn?.id;
  if (id === 'cancel') confirmCancel();
  else if (id === 'cancel-yes') cancel();
  else if (id === 'cancel-no') $('#dialog').hidden = true;
  else if (id === 'lang') {
    setLang(getLang() === 'zh' ? 'en' : 'zh');
    render();
  }
});

setLang('zh');
refresh().then(() => {
  document.body.dataset.ready = '1';
});
timer = setInterval(refresh, POLL_MS);
