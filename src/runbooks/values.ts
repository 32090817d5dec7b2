import type { TypeCast } from 'mysql2';

/**
 * How the copy reads a value from the donor: as the server's text wherever mysql2 would turn it
 * into something else on the way. A JSON document parsed into an object and written back is
 * another document (numbers rounded to doubles, keys and spacing changed, a bare JSON string
 * written without its quotes, which the replica's json_valid CHECK refuses). MySQL sends JSON as
 * a type of its own in the binary character set, the text UTF-8 as JSON's specification says;
 * MariaDB as LONGTEXT marked "json" in its extended metadata, converted to the connection's
 * character set like any text.
 */
export const exactText: TypeCast = (field, next) => {
  if (field.type === 'JSON') return field.string('utf8');
  if (field.extendedFormat === 'json') return field.string();
  return next();
};
