import { describe, expect, it } from 'vitest';
import type { TypeCast } from 'mysql2';
import { exactColumn, exactText, selectList } from '../../../src/runbooks/values';
import type { TableInfo } from '../../../src/runbooks/inventory';

type Field = Parameters<Extract<TypeCast, (...a: never[]) => unknown>>[0];

/** A column as mysql2's text parser hands it to a typeCast, recording how it was read. */
function field(type: Field['type'], text: string, extendedFormat?: string) {
  const reads: Array<string | undefined> = [];
  const f = {
    type,
    extendedFormat,
    length: 0,
    db: 'app',
    table: 't',
    name: 'c',
    string: (encoding?: string) => {
      reads.push(encoding);
      return text;
    },
    buffer: () => null,
    geometry: () => null,
  } as Field;
  return { f, reads };
}
const cast = exactText as (f: Field, next: () => unknown) => unknown;

describe('the copy reads values as the donor holds them', () => {
  it("reads MySQL's JSON type as its text, in UTF-8 (the server sends it in the binary character set)", () => {
    const { f, reads } = field('JSON', '{"a": 1.00000000000000001, "b" : [1,  2]}');
    expect(cast(f, () => ({ a: 1, b: [1, 2] }))).toBe('{"a": 1.00000000000000001, "b" : [1,  2]}');
    expect(reads).toEqual(['utf8']);
  });

  it("reads MariaDB's JSON (LONGTEXT, marked json in the extended metadata) as its text, in the connection's character set", () => {
    const { f, reads } = field('BLOB', '"just a string"', 'json');
    expect(cast(f, () => 'just a string')).toBe('"just a string"');
    expect(reads).toEqual([undefined]);
  });

  it('reads FLOAT and DOUBLE as the text the server sent, not as mysql2 adds the digits up', () => {
    for (const type of ['FLOAT', 'DOUBLE'] as const) {
      const { f, reads } = field(type, '9.181966495323067');
      expect(cast(f, () => 9.181966495323069)).toBe('9.181966495323067');
      expect(reads).toEqual(['ascii']);
    }
  });

  it('selects FLOAT and DOUBLE columns widened to DOUBLE under their own names, and compares them so', () => {
    const t: TableInfo = {
      schema: 'app',
      name: 't',
      engine: 'InnoDB',
      rows: 0,
      bytes: 0,
      hasPrimaryKey: true,
      columns: ['id', 'f`x', 'd'],
      floats: ['f`x', 'd'],
    };
    expect(selectList(t)).toBe('`id`, CAST(`f``x` AS DOUBLE) AS `f``x`, CAST(`d` AS DOUBLE) AS `d`');
    expect(exactColumn(t, 'id')).toBe('`id`');
    expect(exactColumn(t, 'd')).toBe('CAST(`d` AS DOUBLE)');
  });

  it("leaves every other column to mysql2's own reading", () => {
    const { f, reads } = field('VAR_STRING', 'x');
    expect(cast(f, () => 'parsed')).toBe('parsed');
    expect(reads).toEqual([]);
  });
});
