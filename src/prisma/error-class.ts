import { sqlStateClassCode } from '../contract/sqlstate.js';

/**
 * The SQLSTATE class the server's error behind a Prisma error codes stand for. Only errors the server raised
 * have one; Prisma's own (P2025 record not found, P2024 pool timeout, P2028 transaction API, P1001 unreachable)
 * have none, as a driver's client-side errors have none.
 */
const CLASS_BY_PRISMA_CODE: Record<string, string> = {
  P2000: '22', // value too long for the column
  P2002: '23', // unique constraint
  P2003: '23', // foreign key constraint
  P2004: '23', // a constraint failed on the database
  P2011: '23', // null constraint
  P2014: '23', // required relation violated
  P2021: '42', // table does not exist
  P2022: '42', // column does not exist
  P2034: '40', // write conflict or deadlock: retry the transaction
  P2037: '53', // too many database connections
};

/**
 * The SQLSTATE class of a failed Prisma operation, as a record code; 0 when none. With a driver adapter, Prisma
 * keeps the server's SQLSTATE in `meta.driverAdapterError.cause.originalCode`: that, when it is one; else the
 * class of the Prisma error code (table above). Reads those codes only: never the message or `meta`'s other
 * fields (which may hold values of the query).
 */
export function sqlStateClassOfPrismaError(error: unknown): number {
  if (error === null || typeof error !== 'object') return 0;
  const { code, meta } = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } };
  const original = meta?.driverAdapterError?.cause?.originalCode;
  if (typeof original === 'string' && original.length === 5) return sqlStateClassCode(original);
  return typeof code === 'string' && Object.hasOwn(CLASS_BY_PRISMA_CODE, code) ? sqlStateClassCode(CLASS_BY_PRISMA_CODE[code]) : 0;
}
