// The live link every screen shares: GET /api/v1/hall for the fixed facts, then the event
// websocket (a snapshot, or a replay from the last seq), reconnecting by itself with backoff.
// While the link is down the screen is told so (onStatus(false)) and must not look live.
// The page reloads itself when the server's UI version changes.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
// How often the link is checked (a cut cable is silent; the version request notices).
const CHECK_EVERY_MS = 15_000;
const CHECK_TIMEOUT_MS = 5_000;

export class Live {
  /**
   * handlers: hall(hallView), snapshot(frame), event(record), status(online: boolean).
   */
  constructor(handlers) {
    this.h = handlers;
    this.seq = null; // last seq applied
    this.ws = null;
    this.online = null; // unknown until the first connect succeeds or fails
    this.delay = MIN_DELAY_MS;
    this.uiVersion = null;
    this.offsetMs = 0; // server clock minus this device's clock
    this.reconnects = 0;
    this.timer = null;
  }

  /** The hall's clock as milliseconds since the epoch (device clocks drift; screens don't). */
  now() {
    return Date.now() + this.offsetMs;
  }

  async start() {
    await this.refresh();
    this.open();
    setInterval(() => this.check(), CHECK_EVERY_MS);
  }

  /** Fetch the UI version (reload if changed) and the hall's fixed facts. */
  async refresh() {
    try {
      await this.checkVersion();
      const t0 = Date.now();
      const res = await fetch('/api/v1/hall', { cache: 'no-store' });
      if (!res.ok) return;
      const hall = await res.json();
      const rtt = Date.now() - t0;
      const serverNow = Date.parse(hall.now);
      if (!Number.isNaN(serverNow)) this.offsetMs = serverNow + rtt / 2 - Date.now();
      // The reason codes' words (午休, 会议…), so a pause reads as the console says it.
      const reasons = await fetch('/api/v1/reasons', { cache: 'no-store' });
      hall.reasons = reasons.ok ? await reasons.json() : [];
      this.h.hall(hall);
    } catch (_) {
      // Offline: the websocket's backoff retries.
    }
  }

  async checkVersion() {
    const ctl = new AbortController();
    const t = setTimeout(() => ctl.abort(), CHECK_TIMEOUT_MS);
    try {
      const res = await fetch('/api/v1/version', { cache: 'no-store', signal: ctl.signal });
      if (!res.ok) throw new Error(`version ${res.status}`);
      const v = await res.json();
      if (this.uiVersion && v.ui_version && v.ui_version !== this.uiVersion) {
        location.reload();
      }
      this.uiVersion = this.uiVersion || v.ui_version;
    } finally {
      clearTimeout(t);
    }
  }

  open() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const since = this.seq == null ? '' : `?since=${this.seq}`;
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/events${since}`);
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.delay = MIN_DELAY_MS;
      // The server sends the snapshot or the replay first; nothing else can come before.
      this.setOnline(true);
    };
    ws.onmessage = (m) => {
      if (this.ws !== ws) return;
      let f;
      try {
        f = JSON.parse(m.data);
      } catch (_) {
        return;
      }
      this.frame(f);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.drop();
    };
  }

  frame(f) {
    if (f.type === 'snapshot') {
      this.seq = f.seq;
      this.h.snapshot(f);
      return;
    }
    if (typeof f.seq !== 'number') return;
    if (this.seq != null && f.seq <= this.seq) return; // seen already
    // The public stream skips events it does not carry; `prev` says that nothing this screen
    // is owed lies between `prev` and `seq`, so the frame follows on when `prev <= seq seen`.
    const follows = f.seq === this.seq + 1 || (typeof f.prev === 'number' && f.prev <= this.seq);
    if (this.seq != null && !follows) {
      // A gap: never go on as if complete. Start over from a fresh snapshot.
      this.seq = null;
      this.drop();
      return;
    }
    this.seq = f.seq;
    this.h.event(f);
  }

  /** The link is gone (or suspect): show it, forget the socket, retry with backoff. */
  drop() {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      try {
        ws.close();
      } catch (_) {}
    }
    this.setOnline(false);
    if (this.timer) return;
    const wait = this.delay * (0.7 + Math.random() * 0.6);
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    this.timer = setTimeout(async () => {
      this.timer = null;
      this.reconnects += 1;
      await this.refresh();
      this.open();
    }, wait);
  }

  async check() {
    if (!this.ws) return;
    try {
      await this.checkVersion();
    } catch (_) {
      this.drop();
    }
  }

  setOnline(on) {
    if (this.online === on) return;
    this.online = on;
    this.h.status(on);
  }
}

/** A page parameter, e.g. param('zone'). */
export function param(name) {
  return new URLSearchParams(location.search).get(name);
}

/** Date and time in the hall's time zone, e.g. ["2026年11月28日 星期六", "10:23:45"]. */
export function hallDateTime(ms, timeZone) {
  const d = new Date(ms);
  const date = new Intl.DateTimeFormat('zh-CN', {
    timeZone, year: 'numeric', month: 'long', day: 'numeric', weekday: 'long',
  }).format(d);
  const time = new Intl.DateTimeFormat('zh-CN', {
    timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).format(d);
  return [date, time];
}

/** Fill `{number}` and `{window}` into a template from config texts. */
export function fill(template, number, window) {
  return template.replaceAll('{number}', number).replaceAll('{window}', String(window ?? ''));
}
