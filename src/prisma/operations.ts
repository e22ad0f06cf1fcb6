import { queryTypeId } from '../contract/codes.js';

/**
 * The query type of each Prisma model operation. `upsert` is INSERT: on PostgreSQL Prisma runs it as
 * `INSERT … ON CONFLICT DO UPDATE` where it can, which the SQL classifier (and so instrumentPg under the same
 * client) calls INSERT too; there is no UPSERT query type, so that a dashboard's query types are one list for every
 * hook. Anything else (an operation a later Prisma adds, a MongoDB raw operation) is OTHER.
 */
const QUERY_TYPE_BY_OPERATION: Record<string, number> = {
  create: queryTypeId('INSERT'),
  createMany: queryTypeId('INSERT'),
  createManyAndReturn: queryTypeId('INSERT'),
  upsert: queryTypeId('INSERT'),
  findUnique: queryTypeId('SELECT'),
  findUniqueOrThrow: queryTypeId('SELECT'),
  findFirst: queryTypeId('SELECT'),
  findFirstOrThrow: queryTypeId('SELECT'),
  findMany: queryTypeId('SELECT'),
  count: queryTypeId('SELECT'),
  aggregate: queryTypeId('SELECT'),
  groupBy: queryTypeId('SELECT'),
  update: queryTypeId('UPDATE'),
  updateMany: queryTypeId('UPDATE'),
  updateManyAndReturn: queryTypeId('UPDATE'),
  delete: queryTypeId('DELETE'),
  deleteMany: queryTypeId('DELETE'),
};

const OTHER = queryTypeId('OTHER');

/** The query type id (an index of QUERY_TYPES) of a model operation. */
export function queryTypeOfOperation(operation: string): number {
  return Object.hasOwn(QUERY_TYPE_BY_OPERATION, operation) ? QUERY_TYPE_BY_OPERATION[operation] : OTHER;
}
