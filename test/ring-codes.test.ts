import { constants } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import * as codes from '../dist/src/contract/codes.js';

describe('ring codes (one table per field, shared by both threads)', () => {
  it('packs and unpacks TAG at the edges of each field', () => {
    const tag = codes.tag(codes.KIND_HTTP, 9, 503);
    expect([codes.tagKind(tag), codes.tagDetail(tag), codes.tagCode(tag)]).toEqual([codes.KIND_HTTP, 9, 503]);
    const edges = codes.tag(255, 255, 65535);
    expect([codes.tagKind(edges), codes.tagDetail(edges), codes.tagCode(edges)]).toEqual([255, 255, 65535]);
    expect(edges).toBe(0xffffffff);
  });

  it('gives every record kind a distinct non-zero id (a zeroed slot is no record)', () => {
    const kinds = [codes.KIND_HTTP, codes.KIND_QUERY, codes.KIND_TRANSACTION, codes.KIND_TENANT_USAGE, codes.KIND_RUNTIME];
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds.every((kind) => kind > 0 && kind < 256)).toBe(true);
  });

  it('round-trips every query type through its id, which fits the 4 bits a record gives it', () => {
    for (const type of codes.QUERY_TYPES) {
      const id = codes.queryTypeId(type);
      expect(codes.QUERY_TYPES[id]).toBe(type);
      expect(id).toBeLessThan(16);
    }
    expect(codes.queryTypeId('OTHER')).toBe(0);
    expect(codes.queryTypeId('select')).toBe(-1);
    expect(codes.queryTypeId(undefined)).toBe(-1);
  });

  it('round-trips every GC kind Node reports, and names an unknown one unknown', () => {
    const kinds: Record<string, number> = {
      minor: constants.NODE_PERFORMANCE_GC_MINOR,
      major: constants.NODE_PERFORMANCE_GC_MAJOR,
      incremental: constants.NODE_PERFORMANCE_GC_INCREMENTAL,
      weakcb: constants.NODE_PERFORMANCE_GC_WEAKCB,
    };
    for (const [name, kind] of Object.entries(kinds)) expect(codes.gcTypeName(codes.gcTypeId(kind))).toBe(name);
    expect(codes.gcTypeId(12345)).toBe(0);
    expect(codes.gcTypeName(0)).toBe('unknown');
    expect(codes.gcTypeName(200)).toBe('unknown');
  });

  it('keeps query flags and transaction outcomes on distinct bits', () => {
    expect(codes.QUERY_SUCCESS & codes.QUERY_KEY_IS_SQL).toBe(0);
    expect((codes.QUERY_SUCCESS | codes.QUERY_KEY_IS_SQL | codes.QUERY_UNTIMED) & 0xf0).toBe(0);
    expect(codes.TRANSACTION_COMMIT & codes.TRANSACTION_ROLLBACK).toBe(0);
  });
});
