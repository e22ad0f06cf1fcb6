import type { QueryType } from '../../src/contract/codes.js';
import { hasControlCharacter } from '../../src/contract/label-text.js';
import { RESERVED_LABELS, INVALID_ID } from '../../src/contract/strings-layout.js';

/** What a SQL text does and to which table, as labels. */
export interface SqlClassification {
  queryType: QueryType;
  /**
   * Table name without schema or quotes; '' when there is none (SELECT 1) or it cannot be told; `invalid` for a
   * quoted name holding a control character (C0, DEL, C1), which no label may carry.
   */
  table: string;
}

export type { QueryType } from '../../src/contract/codes.js';

const MAX_TABLE_LENGTH = 128;
const INVALID_TABLE = RESERVED_LABELS[INVALID_ID];

/**
 * Classifies a SQL text by its first statement. Comments and string literals are skipped; a leading WITH is looked
 * through to the statement it introduces (`WITH x AS (…) DELETE FROM t` is a DELETE on t). The table is the first
 * one named after FROM (SELECT, DELETE), INTO (INSERT) or UPDATE, at the statement's own nesting level.
 * Runs in the worker, once per distinct text.
 */
export function classifySql(sql: string): SqlClassification {
  const tokens = tokenize(sql);
  let i = 0;
  if (tokens[i]?.word === 'WITH') i = skipCommonTableExpressions(tokens, i + 1);
  const first = tokens[i];
  if (first === undefined) return { queryType: 'OTHER', table: '' };
  const depth = first.depth;
  switch (first.word) {
    case 'SELECT':
      return { queryType: 'SELECT', table: tableAfter(tokens, i + 1, depth, 'FROM') };
    case 'INSERT':
      return { queryType: 'INSERT', table: tableAfter(tokens, i + 1, depth, 'INTO') };
    case 'UPDATE':
      return { queryType: 'UPDATE', table: tableAt(tokens, skipWord(tokens, i + 1, 'ONLY')) };
    case 'DELETE':
      return { queryType: 'DELETE', table: tableAfter(tokens, i + 1, depth, 'FROM') };
    default:
      return { queryType: 'OTHER', table: '' };
  }
}

interface Token {
  /** Upper-cased keyword or bare identifier; '' for other tokens. */
  word: string;
  /** An identifier's name (unquoted, case kept for quoted ones, lower-cased for bare ones). */
  name: string;
  /** A '.' follows directly (schema-qualified name). */
  dotted: boolean;
  depth: number;
  paren?: '(' | ')';
}

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  const n = sql.length;
  while (i < n && tokens.length < 4096) {
    const c = sql[i];
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === "'") {
      i = skipQuoted(sql, i, "'");
    } else if (c === '"') {
      const end = skipQuoted(sql, i, '"');
      tokens.push({ word: '', name: sql.slice(i + 1, end - 1).replaceAll('""', '"'), dotted: sql[end] === '.', depth });
      i = end;
    } else if (c === '(') {
      tokens.push({ word: '', name: '', dotted: false, depth, paren: '(' });
      depth++;
      i++;
    } else if (c === ')') {
      depth = Math.max(0, depth - 1);
      tokens.push({ word: '', name: '', dotted: false, depth, paren: ')' });
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      let end = i + 1;
      while (end < n && /[A-Za-z0-9_$]/.test(sql[end])) end++;
      const text = sql.slice(i, end);
      tokens.push({ word: text.toUpperCase(), name: text.toLowerCase(), dotted: sql[end] === '.', depth });
      i = end;
    } else {
      i++;
    }
  }
  return tokens;
}

function skipQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** After WITH [RECURSIVE] name AS (…), … : the index of the main statement, the first one at WITH's own depth. */
function skipCommonTableExpressions(tokens: Token[], start: number): number {
  const depth = tokens[start - 1].depth;
  for (let i = start; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.depth === depth && STATEMENTS.has(token.word)) return i;
  }
  return tokens.length;
}

const STATEMENTS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE']);

function tableAfter(tokens: Token[], start: number, depth: number, keyword: string): string {
  for (let i = start; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.depth < depth) break;
    if (token.depth === depth && token.word === keyword) return tableAt(tokens, skipWord(tokens, i + 1, 'ONLY'));
  }
  return '';
}

function skipWord(tokens: Token[], i: number, word: string): number {
  return tokens[i]?.word === word ? i + 1 : i;
}

/** The identifier at i, or the last part of a dotted name starting there. */
function tableAt(tokens: Token[], i: number): string {
  let token = tokens[i];
  if (token === undefined || token.paren !== undefined || token.name === '') return '';
  while (token.dotted && tokens[i + 1] !== undefined && tokens[i + 1].name !== '' && tokens[i + 1].paren === undefined) {
    i++;
    token = tokens[i];
  }
  const name = token.name.slice(0, MAX_TABLE_LENGTH);
  // A quoted identifier may hold anything ("t\r\nforged 1"): the label is derived here, so it is cleaned here.
  return hasControlCharacter(name) ? INVALID_TABLE : name;
}
