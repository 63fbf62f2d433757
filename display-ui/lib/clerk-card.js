// The clerk's card on a window screen (工号 and photo, as Chinese halls post them). The card
// is not in the public stream: the screen reads it with its device token from
// /api/v1/windows/{n}/clerk-card and the photo from the URL the card gives (fetched with the
// token, shown from a blob). It asks again when someone signs in or out at its window and every
// minute (an admin may change a photo meanwhile); the photo is fetched only when its URL changes.
// Without a token the screen still works and shows the public name and the placeholder.

const PLACEHOLDER = 'img/clerk-placeholder.svg';
const REFRESH_MS = 60_000;

/**
 * n: the window number; token(): the device token ('' for none);
 * changed(): called after the card or photo changed, so the screen redraws.
 * Returns { card(), photoSrc(), onEvent(e) }.
 */
export function clerkCard({ n, token, changed }) {
  let card = null; // {name, staff_no, photo_url} of whoever is signed in, or null
  let photoUrl = null;
  let photoSrc = PLACEHOLDER;
  let asking = false;

  async function fetchPhoto(url) {
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token()}` } });
    if (!res.ok) throw new Error(`photo ${res.status}`);
    const blob = await res.blob();
    if (photoSrc !== PLACEHOLDER) URL.revokeObjectURL(photoSrc);
    photoSrc = URL.createObjectURL(blob);
  }

  async function refresh() {
    if (!token() || asking) return;
    asking = true;
    try {
      const res = await fetch(`/api/v1/windows/${n}/clerk-card`, {
        headers: { Authorization: `Bearer ${token()}` },
      });
      if (!res.ok) return; // a wrong token or an unknown window: keep the public name only
      const body = await res.json();
      card = body.clerk;
      const url = card && card.photo_url;
      if (url !== photoUrl) {
        if (url) {
          await fetchPhoto(url);
        } else {
          if (photoSrc !== PLACEHOLDER) URL.revokeObjectURL(photoSrc);
          photoSrc = PLACEHOLDER;
        }
        photoUrl = url;
      }
      changed();
    } catch (_) {
      // Offline: the live link shows the badge; the card is asked again next time.
    } finally {
      asking = false;
    }
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
  return {
    card: () => card,
    photoSrc: () => photoSrc,
    onEvent(e) {
      const w = e.window && (typeof e.window === 'object' ? e.window.number : e.window);
      if ((e.type === 'window.signed_in' || e.type === 'window.signed_out') && w === n) refresh();
      if (e.type === 'snapshot') refresh();
    },
  };
}
