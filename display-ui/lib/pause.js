// A paused window in words, as the window screen and the wall say it: the reason's label from
// GET /api/v1/reasons and the return time the clerk gave (午休，13:30恢复). Once that time has
// passed on the hall's clock the time is dropped (the clerk is due, not late on screen).

/**
 * w: a window of the floor state; reasons: hall.reasons; nowMs: the hall's clock.
 * Returns {why, back, zh, en}: zh `午休，13:30恢复` (or `午休`, or ''), en likewise.
 */
export function pauseWords(w, reasons, nowMs) {
  const r = (reasons || []).find((x) => x.code === w.pause_reason);
  const why = r ? r.zh : '';
  const whyEn = r ? r.en : '';
  const due = w.pause_until ? Date.parse(w.pause_until) : NaN;
  // The RFC 3339 time is written on the hall's clock: its HH:MM is the hall's.
  const back = due > nowMs ? w.pause_until.slice(11, 16) : '';
  const zh = [why, back && `${back}恢复`].filter(Boolean).join('，');
  const en = [whyEn, back && `back at ${back}`].filter(Boolean).join(', ');
  return { why, back, zh, en };
}
