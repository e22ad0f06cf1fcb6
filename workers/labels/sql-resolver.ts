import type { Dictionary } from '../dictionary.js';
import { LabelRegistry } from './label-registry.js';
import { QUERY_TYPES } from '../../src/contract/codes.js';
import { classifySql, type SqlClassification } from './sql-classifier.js';
import { OVERFLOW_ID } from '../../src/contract/strings-layout.js';

const OVERFLOWED_SQL: SqlClassification = { queryType: 'OTHER', table: '__overflow__' };

/**
 * SQL text id → (query type, table label id), classified on first sight and cached: the worker classifies each
 * distinct text once, however often it runs.
 */
export class SqlResolver {
  readonly tables = new LabelRegistry();
  /** (query type index + 1) | table id << 4, per SQL text id; 0 = not classified yet. */
  private classified = new Int32Array(256);

  constructor(private readonly dictionary: Dictionary) {}

  /** Index into QUERY_TYPES. */
  queryType(sqlId: number): number {
    return (this.packed(sqlId) & 15) - 1;
  }

  /** Id in `tables`. */
  table(sqlId: number): number {
    return this.packed(sqlId) >>> 4;
  }

  private packed(sqlId: number): number {
    if (sqlId >= this.classified.length) {
      let length = this.classified.length;
      while (length <= sqlId) length *= 2;
      const grown = new Int32Array(length);
      grown.set(this.classified);
      this.classified = grown;
    }
    let packed = this.classified[sqlId];
    if (packed === 0) {
      // Texts beyond maxSqlTexts never crossed: all that is known is that they overflowed.
      const { queryType, table } = sqlId === OVERFLOW_ID ? OVERFLOWED_SQL : classifySql(this.dictionary.label(sqlId));
      packed = (QUERY_TYPES.indexOf(queryType) + 1) | (this.tables.idOf(table) << 4);
      this.classified[sqlId] = packed;
    }
    return packed;
  }
}
