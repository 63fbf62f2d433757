// Tile grids for wall screens (the hall screen's windows, the floor wall's windows): as many
// tiles on a page as fit at the readable minimum type (hall.css: 5.2vmin numbers, 3vmin
// names), bigger when they all fit, and never a tile whose text is cut: a tile that would be
// (a long name on three lines, a font that sets numbers wider) makes every tile bigger and
// the pages more. Also `fitText` for one-line texts and the shared page turner.

/** The readable minimums in pixels (5.2vmin numbers, 3vmin names). */
export function minimums() {
  const vmin = Math.min(innerWidth, innerHeight) / 100;
  return { number: 5.2 * vmin, name: 3 * vmin };
}

export class TileGrid {
  constructor(box) {
    this.box = box;
    this.key = '';
    this.plan = { per: 1 };
    this.grow = 0; // how often tiles had to grow, 15% each
    addEventListener('resize', () => {
      this.key = '';
      this.grow = 0;
    });
  }

  /**
   * Lay out `n` tiles and call `fill(per)` to put in the tiles of the current page (`per` to
   * a page); repeat with bigger tiles while one is cut.
   */
  render(n, fill) {
    for (let tries = 0; tries < 6; tries++) {
      fill(this.layout(n).per);
      // Filling may change the box (a page caption that wraps the heading): lay out again.
      if (this.box.clientHeight !== this.plan.h || this.box.clientWidth !== this.plan.w) continue;
      const cut = [...this.box.children].some(
        (t) => t.scrollHeight > t.clientHeight + 1 || t.scrollWidth > t.clientWidth + 1,
      );
      if (!cut) return;
      this.grow += 1;
    }
  }

  layout(n) {
    const box = this.box;
    const w = box.clientWidth;
    const h = box.clientHeight;
    if (!n || !w || !h) return { per: Math.max(1, n) };
    const key = `${n}:${w}:${h}:${this.grow}`;
    if (key === this.key) return this.plan;
    this.key = key;
    const gap = parseFloat(getComputedStyle(box).rowGap) || 8;
    const min = minimums();
    // A tile holds a number of five characters and a head of up to two lines.
    const sizes = (tw, th) => ({ big: Math.min(th * 0.33, tw / 3.6), small: Math.min(th * 0.21, tw / 6) });
    const tall = 1 + 0.15 * this.grow;
    const grid = (cols, rows, cap) => {
      const tw = (w - gap * (cols - 1)) / cols;
      const th = Math.min((h - gap * (rows - 1)) / rows, cap ? tw * 0.8 * tall : Infinity);
      return { cols, rows, tw, th, ...sizes(tw / tall, th / tall) };
    };
    let best = null;
    for (let cols = 1; cols <= n; cols++) {
      const g = grid(cols, Math.ceil(n / cols), true);
      if (g.big >= min.number && g.small >= min.name && (!best || g.big > best.big)) best = g;
    }
    if (best) best.per = n;
    else {
      // Pages: the smallest tile that keeps both minimums, as many as fit.
      const twMin = Math.max(min.number * 3.6, min.name * 6) * tall;
      const thMin = Math.max(min.number / 0.33, min.name / 0.21) * tall;
      const cols = Math.max(1, Math.floor((w + gap) / (twMin + gap)));
      const rows = Math.max(1, Math.floor((h + gap) / (thMin + gap)));
      best = grid(cols, rows, false);
      best.per = cols * rows;
    }
    Object.assign(best, { w, h });
    box.style.gridTemplateColumns = `repeat(${best.cols}, minmax(0, 1fr))`;
    box.style.gridAutoRows = `${Math.floor(best.th)}px`;
    box.style.setProperty('--tile-big', `${Math.max(min.number, best.big)}px`);
    box.style.setProperty('--tile-small', `${Math.max(min.name, best.small)}px`);
    this.plan = best;
    return best;
  }
}

/** Shrink a text until it fits its box on one line, down to `min` px; past that it wraps. */
export function fitText(node, min) {
  if (!node) return;
  node.style.fontSize = '';
  node.style.whiteSpace = '';
  let size = parseFloat(getComputedStyle(node).fontSize);
  while (node.scrollWidth > node.clientWidth && size > min) {
    size = Math.max(min, size * 0.94);
    node.style.fontSize = `${size}px`;
  }
  if (node.scrollWidth > node.clientWidth) node.style.whiteSpace = 'normal';
}

/**
 * The page of `items` that starts at `start`, `per` to a page; where the next page starts
 * (0 after the last, so the pages go round) and a caption like "19–36号（共118个）". Pages
 * go by start, not by number: when tiles grow on one page, no window is skipped.
 */
export function pageFrom(items, per, start) {
  if (start >= items.length) start = 0;
  const shown = items.slice(start, start + per);
  const next = start + per >= items.length ? 0 : start + per;
  const caption =
    shown.length < items.length && shown.length
      ? `${shown[0].number}–${shown[shown.length - 1].number}号（共${items.length}个）`
      : '';
  return { shown, start, next, caption };
}

/**
 * Fill `list` (a wrapping strip of fixed height) with `items` from `start` as `make` draws
 * them, keeping whole chips only. Returns where the next page starts (0 after the last) and
 * a caption like "14–26 / 54" when not all fit.
 */
export function chipPage(list, items, start, make) {
  if (start >= items.length) start = 0;
  list.replaceChildren(...items.slice(start).map(make));
  const box = list.getBoundingClientRect();
  let kept = 0;
  for (const li of [...list.children]) {
    const r = li.getBoundingClientRect();
    if (r.bottom > box.bottom + 0.5 || r.right > box.right + 0.5) li.remove();
    else kept += 1;
  }
  kept = Math.max(1, kept);
  const next = start + kept >= items.length ? 0 : start + kept;
  const caption = kept >= items.length ? '' : `${start + 1}–${start + kept} / ${items.length}`;
  return { start, next, caption };
}
