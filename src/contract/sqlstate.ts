/**
 * SQLSTATE classes (the first two characters of a SQLSTATE, e.g. '42' syntax error or access rule violation,
 * '23' integrity constraint violation) as 16-bit codes for a ring record; 0 means none.
 */
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function sqlStateClassCode(sqlState: unknown): number {
  if (typeof sqlState !== 'string' || sqlState.length < 2) return 0;
  const high = DIGITS.indexOf(sqlState[0].toUpperCase());
  const low = DIGITS.indexOf(sqlState[1].toUpperCase());
  if (high < 0 || low < 0) return 0;
  return 1 + high * 36 + low;
}

export function sqlStateClass(code: number): string {
  if (code <= 0 || code > 36 * 36) return '';
  const value = code - 1;
  return DIGITS[Math.floor(value / 36)] + DIGITS[value % 36];
}
