/**
 * What may be inside a label value, on either thread: the main thread's interners check what the application
 * gives, the worker checks what it derives itself (the SQL classifier's table names) and what a record names.
 */

/** Length caps for labels (UTF-16 code units). Longer tenant ids, routes and labels become 'invalid'. */
export const LABEL_LIMITS = {
  tenantId: 128,
  route: 256,
  label: 128,
  /** SQL texts are cut to this length before they cross to the worker. */
  sql: 1024,
} as const;

/** C0 and C1 control characters and DEL: never allowed inside a label (a raw CR or NUL would forge exposition lines). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what this expression is for.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

export function hasControlCharacter(value: string): boolean {
  return CONTROL_CHARACTER.test(value);
}

/** A label crosses to the worker only if it is short enough, free of control characters and well-formed UTF-16. */
export function isCleanLabel(value: string, maxLength: number): boolean {
  return value.length <= maxLength && !CONTROL_CHARACTER.test(value) && value.isWellFormed();
}
