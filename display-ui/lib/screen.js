// What the hall screen and the window screen share: the floor state fed by the live link,
// and the offline look (badge shown, live panels faded) while the link is down.

import { Live } from './live.js';
import { FloorState } from './state.js';

/**
 * render(): redraw from screen.hall and screen.floor.
 * onCall(call, event): a ticket.called or ticket.recalled event was applied.
 * onEvent(event): every event, after it was applied (optional).
 */
export function startScreen({ render, onCall, onEvent }) {
  const screen = { hall: null, floor: new FloorState(), live: null };
  screen.live = new Live({
    hall(h) {
      screen.hall = h;
      render();
    },
    snapshot(s) {
      screen.floor.snapshot(s);
      render();
    },
    event(e) {
      const call = screen.floor.apply(e);
      if (call) onCall(call, e);
      if (onEvent) onEvent(e);
      render();
    },
    status(on) {
      document.body.classList.toggle('stale', !on);
      document.getElementById('offline').hidden = on;
    },
  });
  // For tests and field diagnosis.
  window.hallqLive = screen.live;
  window.hallqFloor = screen.floor;
  return screen;
}
