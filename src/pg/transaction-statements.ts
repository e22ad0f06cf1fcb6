/**
 * The statements that open and end a transaction on one connection. On a client of its own (a checked-out
 * PoolClient, a lone Client) node-postgres has no transaction API: the application, Drizzle and Prisma's adapter
 * send `BEGIN`, `COMMIT` and `ROLLBACK` as queries. The hook counts them as the transaction they delimit (as
 * postgres.js's `begin` is counted), not as queries.
 */
export const NOT_CONTROL = 0;
export const BEGIN = 1;
export const COMMIT = 2;
export const ROLLBACK = 3;
export type TransactionStatement = typeof NOT_CONTROL | typeof BEGIN | typeof COMMIT | typeof ROLLBACK;

/**
 * `BEGIN`, `START TRANSACTION` (with their modes) → BEGIN; `COMMIT`, `END` → COMMIT; `ROLLBACK`, `ABORT` →
 * ROLLBACK. Not `ROLLBACK TO SAVEPOINT`, `COMMIT PREPARED`, `ROLLBACK PREPARED` or `PREPARE TRANSACTION`, which
 * leave the transaction as it was (or act on another one). One statement only: a text with a second statement
 * after a `;` is a query.
 */
const CONTROL =
  /^\s*(?:(begin|start\s+transaction)\b[^;]*|(commit|end)(?:\s+(?:work|transaction))?(?:\s+and\s+no\s+chain)?|(rollback|abort)(?:\s+(?:work|transaction))?(?:\s+and\s+no\s+chain)?)\s*;?\s*$/i;

/** Texts that can be no control statement are told apart by their first character, before any regular expression. */
const WHITESPACE = new Set([' ', '\t', '\n', '\r', '\f', '\v']);
/** Longer texts are queries: a control statement with every mode spelled out stays far below. */
const MAX_CONTROL_LENGTH = 200;
const FIRST_LETTERS = new Set(['a', 'b', 'c', 'e', 'r', 's', 'A', 'B', 'C', 'E', 'R', 'S']);

/** Which control statement `text` is; NOT_CONTROL for any other text (and for a text that is no string). */
export function transactionStatement(text: unknown): TransactionStatement {
  if (typeof text !== 'string' || text.length > MAX_CONTROL_LENGTH) return NOT_CONTROL;
  let at = 0;
  while (at < text.length && WHITESPACE.has(text[at])) at++;
  if (!FIRST_LETTERS.has(text[at])) return NOT_CONTROL;
  const match = CONTROL.exec(text);
  if (match === null) return NOT_CONTROL;
  return match[1] !== undefined ? BEGIN : match[2] !== undefined ? COMMIT : ROLLBACK;
}
