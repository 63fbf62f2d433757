// The window screen's 补办件 return visit: when this window's clerk finishes with 补办件 and
// books the citizen's return, the screen shows the check-in code, the day and slot, and the
// documents to bring, until the window calls its next citizen (or the server stops showing it,
// 10 minutes after booking), with a QR code of the booking's page for the citizen's phone. The code is the citizen's key at the kiosk, so it never travels on
// the public stream: the screen asks `GET /api/v1/windows/{n}/return` with its device token
// (the window's evaluator token, or a display token given once as `device=`). A screen without
// a token shows nothing of it.

const POLL_MS = 30_000;

function screenToken(param) {
  const evaluator = param('evaluator') === '1';
  const key = evaluator ? 'hallq-evaluator-token' : 'hallq-display-token'; // the clerk card reads the same key
  const given = param('device');
  if (given && !evaluator) {
    // Kept on the device, and taken out of the address bar so it is not shown or bookmarked.
    localStorage.setItem(key, given);
    const url = new URL(location.href);
    url.searchParams.delete('device');
    history.replaceState(null, '', url);
  }
  return given || localStorage.getItem(key) || '';
}

function el(tag, attrs, ...children) {
  const n = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => n.setAttribute(k, v));
  children.flat().forEach((c) => n.append(c));
  return n;
}

const WEEKDAYS = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];

/** `2026-12-08` → `12月8日（星期二）`. */
function dayWords(day) {
  const [y, m, d] = day.split('-').map(Number);
  const wd = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return `${m}月${d}日（${WEEKDAYS[wd]}）`;
}

/**
 * Mount the return-visit panel on the window screen of window `n`.
 * Returns `onEvent(e)` for the page to hand every stream event to.
 */
export function startReturnVisit({ n, param }) {
  const token = screenToken(param);
  const panel = el('section', { id: 'return-visit', 'aria-live': 'polite' });
  panel.hidden = true;
  document.body.append(panel);
  let shownId = null;
  let timer = null;

  function show(r) {
    if (!r) {
      panel.hidden = true;
      panel.replaceChildren();
      document.body.classList.remove('return-visit');
      shownId = null;
      return;
    }
    shownId = r.id;
    const from = r.check_in_from.slice(11, 16);
    const until = r.check_in_until.slice(11, 16);
    panel.replaceChildren(
      el('h2', {}, '补办件回访预约', el('small', {}, 'Your return visit is booked')),
      el('div', { class: 'rv-code-label' }, '签到码 ', el('small', {}, 'Check-in code')),
      el('div', { class: 'rv-code', id: 'return-visit-code' }, r.code),
      el('p', { class: 'rv-when', id: 'return-visit-when' },
        `${dayWords(r.day)} ${r.start}-${r.end}`,
        el('small', {}, `${r.queue_name}`)),
      el('p', { class: 'rv-how' }, `请于 ${from}-${until} 到自助取号机「预约签到」，无需重新排队`),
      el('div', { class: 'rv-docs' },
        el('b', {}, '需补齐的材料 ', el('small', {}, 'Please bring')),
        el('p', { id: 'return-visit-documents' }, r.documents || '')),
      el('div', { class: 'rv-scan' },
        el('img', { src: `/api/v1/appointments/${encodeURIComponent(r.token)}/qr.svg`, alt: '' }),
        el('p', {}, '手机扫码保存预约，可查看或取消', el('small', {}, 'Scan to keep the booking on your phone'))),
    );
    panel.hidden = false;
    document.body.classList.add('return-visit');
    fit();
  }

  /** A long list of documents: smaller type until the panel holds it all. */
  function fit() {
    const docs = panel.querySelector('#return-visit-documents');
    docs.style.fontSize = '';
    let size = parseFloat(getComputedStyle(docs).fontSize);
    while (panel.scrollHeight > panel.clientHeight && size > 12) {
      size *= 0.92;
      docs.style.fontSize = `${size}px`;
    }
  }
  window.addEventListener('resize', () => { if (!panel.hidden) fit(); });

  async function check() {
    if (!token) return;
    try {
      const res = await fetch(`/api/v1/windows/${n}/return`, {
        headers: { Authorization: 'Bearer ' + token }, cache: 'no-store',
      });
      if (!res.ok) return show(null); // a token of another window or revoked: show nothing
      const body = await res.json();
      show(body.return);
    } catch (_) {
      // Offline: keep what is shown; the stream's badge says the link is down.
    }
    clearTimeout(timer);
    if (shownId != null) timer = setTimeout(check, POLL_MS);
  }

  check();
  return {
    onEvent(e) {
      const here = e.window && e.window.number === n;
      if (!here) return;
      if (e.type === 'ticket.finished') check();
      else if (e.type === 'ticket.called' || e.type === 'window.signed_out') show(null);
    },
  };
}
