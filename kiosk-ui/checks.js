// Client-side checks of what a citizen types (the server checks again and decides).

/** A resident ID number (GB 11643): 17 digits, a real birth date, the MOD 11-2 check character. */
export function validId(raw) {
  const s = String(raw || '').trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(s)) return false;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(s[i]) * w[i];
  if ('10X98765432'[sum % 11] !== s[17]) return false;
  const y = Number(s.slice(6, 10)), m = Number(s.slice(10, 12)), d = Number(s.slice(12, 14));
  if (y < 1900 || y > 2100) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** A mainland mobile number: 11 digits starting 1[3-9]. */
export function validPhone(raw) {
  return /^1[3-9]\d{9}$/.test(String(raw || '').trim());
}

/** An ID number shown with all but the last 4 characters masked. */
export function maskId(s) {
  return s.length <= 4 ? s : '•'.repeat(s.length - 4) + s.slice(-4);
}
