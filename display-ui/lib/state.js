// The floor as screens show it, kept from a snapshot plus the events after it: each window's
// status, clerk and current ticket; waiting per queue; the latest calls (newest first), kept
// per zone so that a quiet zone's screen still shows its own calls on a busy day.

const MAX_CALLS = 12; // per zone

/** Newest first, at most MAX_CALLS of each zone. */
function capPerZone(calls) {
  const seen = new Map();
  return calls.filter((c) => {
    const n = (seen.get(c.zone) || 0) + 1;
    seen.set(c.zone, n);
    return n <= MAX_CALLS;
  });
}

export class FloorState {
  constructor() {
    this.windows = new Map(); // number -> {number, name, zone, status, clerk, current, pause_reason, pause_until}
    this.waiting = new Map(); // queue id -> count
    this.calls = []; // newest first: {number, priority, window, zone, text, at, seq}
  }

  snapshot(s) {
    this.windows.clear();
    for (const w of s.windows || []) {
      this.windows.set(w.number, {
        number: w.number,
        name: w.name,
        zone: w.zone,
        status: w.status,
        clerk: w.clerk,
        pause_reason: w.pause_reason,
        pause_until: w.pause_until || null,
        current: w.current
          ? { number: w.current.number, priority: w.current.priority, state: w.current.state }
          : null,
      });
    }
    this.waiting.clear();
    for (const q of s.queues || []) this.waiting.set(q.id, q.waiting);
    this.calls = capPerZone((s.recent_calls || []).map((c) => ({
      number: c.ticket.number,
      priority: c.ticket.priority,
      window: c.window.number,
      zone: c.window.zone,
      text: c.text,
      at: c.at,
      seq: 0,
    })));
  }

  window(n) {
    return this.windows.get(n);
  }

  setCurrent(n, current) {
    const w = this.windows.get(n);
    if (w) w.current = current;
  }

  addWaiting(queue, by) {
    this.waiting.set(queue, Math.max(0, (this.waiting.get(queue) || 0) + by));
  }

  /** Apply one event; returns the call it announces (ticket.called / ticket.recalled), if any. */
  apply(e) {
    const wn = e.window && e.window.number;
    const w = wn != null ? this.windows.get(wn) : null;
    switch (e.type) {
      case 'ticket.issued':
        this.addWaiting(e.ticket.queue, 1);
        return null;
      case 'ticket.cancelled':
        this.addWaiting(e.ticket.queue, -1);
        return null;
      case 'ticket.abandoned':
        // Only at the start of a new service day: yesterday's lines are gone.
        for (const q of this.waiting.keys()) this.waiting.set(q, 0);
        this.calls = [];
        for (const x of this.windows.values()) {
          if (x.current && x.current.number === e.ticket.number) x.current = null;
        }
        return null;
      case 'ticket.transferred':
        this.setCurrent(e.from_window.number, null);
        this.addWaiting(e.to_queue, 1);
        return null;
      case 'ticket.called':
      case 'ticket.recalled': {
        if (e.type === 'ticket.called' && e.reason !== 'call_back') {
          this.addWaiting(e.ticket.queue, -1);
        }
        if (w) {
          w.current = { number: e.ticket.number, priority: e.ticket.priority, state: 'called' };
        }
        const call = {
          number: e.ticket.number,
          priority: e.ticket.priority,
          window: wn,
          zone: e.window.zone,
          text: e.announce.screen_text,
          at: e.at,
          seq: e.seq,
          clips: e.announce.clips,
          recall: e.type === 'ticket.recalled',
        };
        this.calls = capPerZone([call, ...this.calls.filter((c) => c.number !== call.number)]);
        return call;
      }
      case 'ticket.started':
        if (w && w.current) w.current = { ...w.current, state: 'serving' };
        return null;
      case 'ticket.finished':
      case 'ticket.no_show':
      case 'ticket.held':
        if (w) w.current = null;
        return null;
      case 'window.signed_in':
        if (w) Object.assign(w, { status: 'open', clerk: e.clerk, pause_reason: null, pause_until: null });
        return null;
      case 'window.signed_out':
        if (w) Object.assign(w, { status: 'closed', clerk: null, current: null, pause_reason: null, pause_until: null });
        return null;
      case 'window.paused':
        if (w) Object.assign(w, { status: 'paused', pause_reason: e.reason, pause_until: e.until || null });
        return null;
      case 'window.resumed':
        if (w) Object.assign(w, { status: 'open', pause_reason: null, pause_until: null });
        return null;
      default:
        return null;
    }
  }
}
