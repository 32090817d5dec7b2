import { describe, expect, it } from 'vitest';
import { ident, qualified } from '../../../src/mysql/identifiers';

describe('identifiers', () => {
  it('backquotes any name, doubling backquotes inside it, so a hostile table name stays one identifier', () => {
    expect(ident('orders')).toBe('`orders`');
    expect(ident('a`b')).toBe('`a``b`');
    expect(ident('x`; DROP TABLE y; --')).toBe('`x``; DROP TABLE y; --`');
    expect(qualified('app', 'we`ird')).toBe('`app`.`we``ird`');
  });
});
