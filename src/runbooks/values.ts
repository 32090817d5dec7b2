import type { TypeCast } from 'mysql2';
import { ident } from '../mysql/identifiers';
import type { TableInfo } from './inventory';

/**
 * A column as a statement reads it to copy or compare it exactly. A FLOAT displays rounded to six
 * digits (123456.789 is stored as 123456.7890625 and shown as 123457, so two floats can show
 * alike); widened to DOUBLE it is the same number, and MariaDB prints a DOUBLE as the shortest
 * decimal that reads back as that very double, so the text tells every value apart and loses
 * nothing. DOUBLE columns go the same way, whatever width their display is given.
 */
export function exactColumn(table: TableInfo, column: string): string {
  return table.floats.includes(column) ? `CAST(${ident(column)} AS DOUBLE)` : ident(column);
}

/** The copy's select list: every column to copy, floats widened (exactColumn), under its own name. */
export function selectList(table: TableInfo): string {
  return table.columns.map((c) => (table.floats.includes(c) ? `${exactColumn(table, c)} AS ${ident(c)}` : ident(c))).join(', ');
}

/**
 * How the copy reads a value from the donor: as the server's text wherever mysql2 would turn it
 * into something else on the way. A JSON document parsed into an object and written back is
 * another document (numbers rounded to doubles, keys and spacing changed, a bare JSON string
 * written without its quotes, which the replica's json_valid CHECK refuses). MySQL sends JSON as
 * a type of its own in the binary character set, the text UTF-8 as JSON's specification says;
 * MariaDB as LONGTEXT marked "json" in its extended metadata, converted to the connection's
 * character set like any text. mysql2 adds up a float's digits in doubles (the DOUBLE 9.181966495323067
 * comes out as 9.181966495323069): the exact text goes to the replica, which parses it right.
 */
export const exactText: TypeCast = (field, next) => {
  if (field.type === 'JSON') return field.string('utf8');
  if (field.extendedFormat === 'json') return field.string();
  if (field.type === 'FLOAT' || field.type === 'DOUBLE') return field.string('ascii');
  return next();
};
