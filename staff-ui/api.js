// The staff pages' one door to the server: JSON in and out, the API's error shape turned into
// an Error with `code` and a message for a person. The session is the HttpOnly cookie.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(method, path, body) {
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (body instanceof Blob) {
    // A file goes up as itself (a clerk's photo), typed by what the browser read.
    init.headers['Content-Type'] = body.type || 'application/octet-stream';
    init.body = body;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', '网络连接中断，请稍后重试');
  }
  const text = await res.text();
  const data = text ? safeJson(text) : null;
  if (!res.ok) {
    const err = data && data.error;
    throw new ApiError(res.status, err ? err.code : 'http_' + res.status, err ? err.message : '请求失败（' + res.status + '）');
  }
  return data;
}

function safeJson(text) {
  try { return JSON.parse(text); } catch { return text; }
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});

/// Seconds as 时:分:秒, the one duration format of every page and export: 0:12:10 is twelve
/// minutes, 2:31:31 two and a half hours (headers say 时:分:秒).
export function duration(s) {
  if (s == null || isNaN(s)) return '—';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const two = (n) => String(n).padStart(2, '0');
  return `${h}:${two(m)}:${two(sec)}`;
}

/// The unit every duration header carries.
export const DURATION_UNIT = '（时:分:秒）';

/// The server's one table of Chinese labels for stored codes (config/reports.toml [codes.*]),
/// loaded once by the manager pages (`loadLabels()`); `label(table, code)` reads it (the code
/// itself when unknown).
let labelTable = {};
let labelsLoading = null;
export function loadLabels() {
  labelsLoading = labelsLoading || get('/api/v1/reports/labels').then((t) => { labelTable = t; return t; }).catch(() => ({}));
  return labelsLoading;
}
export function label(table, code) {
  return (labelTable[table] && labelTable[table][code]) || code;
}

/// A staff account or an audit actor (`staff:clerk1`) by display name: 李红（clerk1）.
export function staffName(who) {
  if (!who) return '';
  const u = who.startsWith('staff:') ? who.slice(6) : who;
  const name = labelTable.staff && labelTable.staff[u];
  return name ? `${name}（${u}）` : u;
}

/// A live connection to the staff event stream (reasons, ratings and follow-ups included; the
/// session cookie authenticates it) with reconnect and resume; calls onFrame(frame).
export function events(onFrame, onStatus) {
  let last = null, ws = null, delay = 500, closed = false;
  const open = () => {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const since = last != null ? '&since=' + last : '';
    ws = new WebSocket(`${proto}//${location.host}/api/v1/events?audience=staff${since}`);
    ws.onopen = () => { delay = 500; onStatus && onStatus(true); };
    ws.onmessage = (m) => {
      const f = JSON.parse(m.data);
      last = f.seq;
      onFrame(f);
    };
    ws.onclose = () => {
      onStatus && onStatus(false);
      if (!closed) setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  open();
  return () => { closed = true; ws && ws.close(); };
}
