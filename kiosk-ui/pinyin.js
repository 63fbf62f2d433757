// Pinyin initials of Chinese names without a dictionary: the browser's Chinese collation
// (ICU, pinyin order) is compared against the first character of each initial.

const LETTERS = 'ABCDEFGHJKLMNOPQRSTWXYZ';
const FIRSTS = '阿八嚓哒妸发旮哈讥咔垃痳拏噢妑七呥扨它穵夕丫帀';
const collator = new Intl.Collator('zh-Hans-CN', { sensitivity: 'base' });

/** The pinyin initial (A-Z) of the first character of `name`, or '#'. */
export function initial(name) {
  const c = String(name || '').charAt(0);
  if (/[A-Za-z]/.test(c)) return c.toUpperCase();
  if (!/[\u4e00-\u9fff]/.test(c)) return '#';
  let letter = '#';
  for (let i = 0; i < FIRSTS.length; i++) {
    if (collator.compare(FIRSTS[i], c) <= 0) letter = LETTERS[i];
    else break;
  }
  return letter;
}

/** Compare two names in pinyin order. */
export function byPinyin(a, b) {
  return collator.compare(a, b);
}
