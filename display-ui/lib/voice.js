// The spoken call: clips from the voice pack (/display/voice/manifest.json) decoded once and
// played back to back with Web Audio. Announcements are queued one after another, so two
// calls are never spoken at once. `log` holds every scheduled announcement's clip names
// (tests read it; a speaker is not needed).

const BASE = '/display/voice/';
// Silence between two announcements, seconds.
const BETWEEN_S = 0.8;

export class Voice {
  constructor() {
    this.log = []; // [[clip names], ...] in the order scheduled
    this.missing = []; // clip names the pack lacks
    this.buffers = new Map();
    this.gapS = 0.04;
    this.end = 0; // AudioContext time at which the last scheduled clip ends
    this.ctx = null;
    this.pending = []; // announcements waiting for the context to run
    this.ready = this.load();
  }

  async load() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    this.ctx = new Ctx();
    const res = await fetch(BASE + 'manifest.json', { cache: 'no-cache' });
    if (!res.ok) return;
    const manifest = await res.json();
    this.gapS = (manifest.gap_ms ?? 40) / 1000;
    await Promise.all(
      Object.entries(manifest.clips || {}).map(async ([name, file]) => {
        try {
          const r = await fetch(BASE + file);
          const data = await r.arrayBuffer();
          this.buffers.set(name, await this.ctx.decodeAudioData(data));
        } catch (_) {
          // A broken clip is skipped; the others still play.
        }
      }),
    );
  }

  /** True when the browser keeps sound off until someone taps the screen. */
  get suspended() {
    return !!this.ctx && this.ctx.state === 'suspended';
  }

  async resume() {
    if (this.ctx) await this.ctx.resume();
    const waiting = this.pending;
    this.pending = [];
    for (const clips of waiting) this.schedule(clips);
  }

  /** Queue one announcement (the clip names of `announce.clips`). */
  announce(clips) {
    // Promise callbacks run in order, so announcements keep their order while loading.
    this.ready.then(() => {
      if (this.suspended) {
        this.pending = [...this.pending.slice(-4), clips];
        return;
      }
      this.schedule(clips);
    });
  }

  schedule(clips) {
    if (!this.ctx) return;
    const names = [];
    let t = Math.max(this.ctx.currentTime + 0.05, this.end);
    for (const name of clips) {
      const buf = this.buffers.get(name);
      if (!buf) {
        if (!this.missing.includes(name)) this.missing.push(name);
        continue;
      }
      const src = this.ctx.createBufferSource();
      src.buffer = buf;
      src.connect(this.ctx.destination);
      src.start(t);
      t += buf.duration + this.gapS;
      names.push(name);
    }
    this.end = t + BETWEEN_S;
    this.log.push(names);
  }
}
