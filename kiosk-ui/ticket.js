// The phone page /t/{token}: the ticket's number, state, people ahead and estimated wait,
// the window once called; refreshed every few seconds; leave the queue (after confirming).

import { api, errorCode } from '/kiosk/api.js';
import { t, esc, setLang, getLang, windowRanges, minutes } from '/kiosk/i18n.js';

const token = decodeURIComponent(location.pathname.split('/').pop() || '');
const POLL_MS = 3000;
const FINAL = ['done', 'no_show', 'cancelled', 'abandoned'];
let ticket = null;
let missing = false;
let updated = null;
let timer = null;

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
  const called = tk.state === 'called' && tk.window;
  const stateText = called ? t('t_called', { w: tk.window }) : t(`t_state_${tk.state}`);
  const cls = called ? 'called' : FINAL.includes(tk.state) ? 'final' : '';
  $('#page').innerHTML = `
    <section class="card num">
      <div class="label">${esc(t('your_number'))}</div>
      <div class="n" id="number">${esc(tk.number)}</div>
      <div class="q">${esc(tk.department_name)} · ${esc(tk.queue_name)}</div>
    </section>
    <div class="state ${cls}" id="state" data-state="${esc(tk.state)}">${esc(stateText)}</div>
    ${tk.state === 'waiting' ? `<div class="card" id="ahead">${esc(t('ahead', { n: tk.waiting_ahead }))}<br>${esc(t('est', { m: minutes(tk.estimated_wait_s) }))}<br>${esc(t('watch', { w: windowRanges(tk.windows) }))}</div>` : ''}
    <section class="card"><dl><dt>${esc(t('t_queue'))}</dt><dd>${esc(tk.queue_name)}</dd><dt>${esc(t('t_issued'))}</dt><dd>${esc(time(tk.issued_at))}</dd></dl></section>
    ${tk.state === 'waiting' ? `<button type="button" class="cancel" id="cancel">${esc(t('t_cancel'))}</button>` : ''}
    <div class="meta">${esc(t('t_updated', { t: updated ?? '' }))} · ${esc(t('t_refresh_hint'))}</div>`;
}

async function refresh() {
  const res = await api(`/api/v1/tickets/${encodeURIComponent(token)}`);
  if (res.ok) {
    ticket = res.data;
    missing = false;
    updated = new Date().toTimeString().slice(0, 8);
  } else if (res.status === 404) {
    missing = true;
  }
  render();
  if (ticket && FINAL.includes(ticket.state)) clearInterval(timer);
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

document.addEventListener('click', (e) => {
  const id = e.target.closest('button')?.id;
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
