// The clerk console (/staff/): being built. Signs in to a window and calls numbers.
import { html } from '/staff/vendor/htm-preact-standalone.module.js';

export default function Console({ user }) {
  return html`<div class="card"><p>${user.name}，您好。</p></div>`;
}
