/** A MySQL identifier, backquoted (backquotes inside doubled): safe for any table name. */
export const ident = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

export const qualified = (schema: string, name: string): string => `${ident(schema)}.${ident(name)}`;
