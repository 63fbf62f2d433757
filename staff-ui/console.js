// The clerk console (/staff/): pick and sign in to a window, then work it (console-desk.js).
// A clerk already signed in somewhere goes straight to that window; the last window used on
// this computer is remembered in localStorage.
import { html, useState, useEffect } from '/staff/vendor/htm-preact-standalone.module.js';
import { get, post } from '/staff/api.js';
import { Picker } from '/staff/console-picker.js';
import { Desk, Banner } from '/staff/console-desk.js';
import { loadReasons } from '/staff/console-labels.js';

const LAST = 'hallq.console.window';

function lastWindow() {
  const n = parseInt(localStorage.getItem(LAST) || '', 10);
  return n > 0 ? n : null;
}

export default function Console({ user }) {
  const [windows, setWindows] = useState(null);
  const [n, setN] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const load = async () => {
    setBusy(true);
    try {
      const [list] = await Promise.all([get('/api/v1/windows'), loadReasons()]);
      setWindows(list);
      const mine = list.find((w) => w.clerk && w.clerk.username === user.username);
      if (mine) setN(mine.number);
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => { load(); }, []);

  const signIn = async (number) => {
    setBusy(true);
    setError('');
    try {
      await post(`/api/v1/windows/${number}/sign-in`);
      localStorage.setItem(LAST, String(number));
      setN(number);
    } catch (e) {
      setError(e.message);
      load();
    } finally {
      setBusy(false);
    }
  };

  const leave = (message) => {
    setN(null);
    setError(message || '');
    load();
  };

  if (n != null) return html`<${Desk} user=${user} n=${n} onLeave=${leave} />`;
  return html`<div class="console">
    ${error && html`<${Banner} text=${error} onClose=${() => setError('')} />`}
    ${windows ? html`<${Picker} windows=${windows} last=${lastWindow()} busy=${busy} onPick=${signIn} onReload=${load} />`
      : !error && html`<p class="loading">加载窗口… Loading windows…</p>`}
  </div>`;
}

