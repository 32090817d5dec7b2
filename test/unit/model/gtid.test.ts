import { describe, expect, it } from 'vitest';
import { errantTransactions, formatMysqlGtidSet, gtidSources, parseMariadbGtidList, parseMysqlGtidSet } from '../../../src/model/gtid';

// Server UUIDs as MySQL prints them (lowercase); A is a former/other writer, P is the primary.
const A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const B = '24da1672-0c0c-11e8-8442-00059a3c7b00';
const P = '73f86016-978b-11ee-ade5-8d2a2a562feb';

describe('parseMysqlGtidSet', () => {
  it('parses @@gtid_executed as the server prints it, a newline after each comma', () => {
    const text = `${B}:1-19,\n${A}:1-3:11:47-49,\n${P}:1-1042`;
    expect(parseMysqlGtidSet(text)).toEqual(
      new Map([
        [B, [[1, 19]]],
        [
          A,
          [
            [1, 3],
            [11, 11],
            [47, 49],
          ],
        ],
        [P, [[1, 1042]]],
      ]),
    );
  });

  it('accepts the manual\'s ", " separator and surrounding whitespace', () => {
    const set = parseMysqlGtidSet(`  2174b383-5441-11e8-b90a-c80aa9429562:1-3, ${B}:1-19 \n`);
    expect([...set.keys()]).toEqual(['2174b383-5441-11e8-b90a-c80aa9429562', B]);
  });

  it('reads an empty set (a server with no transactions) as an empty map', () => {
    expect(parseMysqlGtidSet('').size).toBe(0);
  });

  it('merges adjacent, overlapping and out-of-order intervals', () => {
    expect(parseMysqlGtidSet(`${A}:1-3:4-6:8`).get(A)).toEqual([
      [1, 6],
      [8, 8],
    ]);
    expect(parseMysqlGtidSet(`${A}:5-9:1-4`).get(A)).toEqual([[1, 9]]);
    expect(parseMysqlGtidSet(`${A}:1-10:3-5:10-12`).get(A)).toEqual([[1, 12]]);
  });

  it('merges the same UUID appearing in several entries', () => {
    expect(parseMysqlGtidSet(`${A}:1-3,${B}:7,${A}:4-5:9`)).toEqual(
      new Map([
        [
          A,
          [
            [1, 5],
            [9, 9],
          ],
        ],
        [B, [[7, 7]]],
      ]),
    );
  });

  it('lowercases uppercase UUIDs, so user-typed and server-printed sets compare equal', () => {
    const set = parseMysqlGtidSet('3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5');
    expect(set).toEqual(new Map([[A, [[1, 5]]]]));
    expect(set).toEqual(parseMysqlGtidSet(`${A}:1-5`));
  });

  it('keys 8.4 tagged GTIDs (uuid:tag:n) by uuid:tag, tags case-insensitive', () => {
    expect(parseMysqlGtidSet(`${A}:Domain_1:1-3:11:47-49`)).toEqual(
      new Map([
        [
          `${A}:domain_1`,
          [
            [1, 3],
            [11, 11],
            [47, 49],
          ],
        ],
      ]),
    );
    expect(parseMysqlGtidSet(`${A}:Domain_1:1-3:15-21, ${A}:Domain_2:8-52`)).toEqual(
      new Map([
        [
          `${A}:domain_1`,
          [
            [1, 3],
            [15, 21],
          ],
        ],
        [`${A}:domain_2`, [[8, 52]]],
      ]),
    );
    expect(parseMysqlGtidSet(`${A}:1-5,${A}:tag_a:1-2`)).toEqual(
      new Map([
        [A, [[1, 5]]],
        [`${A}:tag_a`, [[1, 2]]],
      ]),
    );
  });

  // MySQL 8.4's Gtid_set::to_string prints a UUID once, then its untagged intervals, then
  // `:tag:intervals` groups (sql/rpl_gtid_set.cc): `uuid:1-5:tag_a:1-3:tag_b:7`.
  it('splits the server-printed tagged form uuid:1-5:tag_a:1-3:tag_b:7 into one key per tag', () => {
    expect(parseMysqlGtidSet(`${A}:1-5:tag_a:1-3:tag_b:7,\n${B}:1-19`)).toEqual(
      new Map([
        [A, [[1, 5]]],
        [`${A}:tag_a`, [[1, 3]]],
        [`${A}:tag_b`, [[7, 7]]],
        [B, [[1, 19]]],
      ]),
    );
  });

  it('formats back to the canonical text form', () => {
    expect(formatMysqlGtidSet(parseMysqlGtidSet(`${A}:4-6:1-3:11,\n${B}:7`))).toBe(`${A}:1-6:11,${B}:7`);
    expect(formatMysqlGtidSet(new Map([[A, []]]))).toBe('');
  });
});

describe('errantTransactions (mysql)', () => {
  const errant = (replicaGtids: string, primaryGtids: string, primaryOrigin = P) =>
    errantTransactions({ flavor: 'mysql', replicaGtids, primaryGtids, primaryOrigin });

  it('finds nothing when the replica is a subset of the primary', () => {
    expect(errant(`${P}:1-100,\n${A}:1-10`, `${A}:1-10,\n${P}:1-120`)).toBe('');
    expect(errant(`${A}:1-5`, `${A}:1-10`)).toBe('');
    expect(errant('', `${A}:1-10`)).toBe('');
  });

  it('finds nothing when both print the same set differently (case, order, split intervals)', () => {
    expect(errant(`${A.toUpperCase()}:1-4:5-10,\n${B}:3`, `${B}:3, ${A}:1-10`)).toBe('');
  });

  it("reports a UUID the primary has never seen, with that UUID's whole set", () => {
    expect(errant(`${P}:1-100,\n${B}:1-2:5`, `${P}:1-100`)).toBe(`${B}:1-2:5`);
  });

  it('reports the exact remainder of a partial interval overlap', () => {
    expect(errant(`${A}:1-10`, `${A}:1-4:6-8`)).toBe(`${A}:5:9-10`);
    expect(errant(`${A}:1-10:20-30`, `${A}:3-25`)).toBe(`${A}:1-2:26-30`);
  });

  it('lists several errant UUIDs comma-separated', () => {
    expect(errant(`${A}:1-12,\n${B}:1,\n${P}:1-50`, `${A}:1-10,\n${P}:1-50`)).toBe(`${A}:11-12,${B}:1`);
  });

  it("ignores the primary's own server_uuid even when the replica is ahead (read after the primary)", () => {
    expect(errant(`${A}:1-10,\n${P}:1-1050`, `${A}:1-10,\n${P}:1-1042`)).toBe('');
    expect(errant(`${P}:1-5`, '')).toBe('');
  });

  it("matches the primary's origin case-insensitively and covers its tagged GTIDs too", () => {
    expect(errant(`${P}:1-1050`, `${P}:1-1042`, P.toUpperCase())).toBe('');
    expect(errant(`${P}:1-10,${P}:batch:1-3`, `${P}:1-10`)).toBe('');
  });

  it('treats each tag as its own source', () => {
    expect(errant(`${B}:tag_x:1-3`, `${B}:tag_x:1-2`)).toBe(`${B}:tag_x:3`);
    expect(errant(`${B}:tag_x:1-3`, `${B}:1-3`)).toBe(`${B}:tag_x:1-3`);
  });

  // Untagged transactions printed before a tag group stay untagged.
  it('reports errant untagged GTIDs correctly when the server prints tags after them', () => {
    expect(errant(`${A}:1-12:tag_a:1-3`, `${A}:1-10:tag_a:1-3`)).toBe(`${A}:11-12`);
  });

  it("skips what another channel's source brought in (multi-source), and only that", () => {
    const otherSources = { origins: [B.toUpperCase()], domains: [] };
    expect(
      errantTransactions({
        flavor: 'mysql',
        replicaGtids: `${P}:1-50,\n${B}:1-7:tag_x:1-2,\n${A}:3`,
        primaryGtids: `${P}:1-50`,
        primaryOrigin: P,
        otherSources,
      }),
    ).toBe(`${A}:3`);
  });
});

describe('parseMariadbGtidList', () => {
  it('parses domain-server-seq triples', () => {
    expect(parseMariadbGtidList('0-1-100,1-2-5')).toEqual([
      { domain: 0, serverId: 1, seq: 100 },
      { domain: 1, serverId: 2, seq: 5 },
    ]);
  });

  it('tolerates whitespace and reads an empty state as no GTIDs', () => {
    expect(parseMariadbGtidList(' 0-1-100,\n 0-4294967295-7 ')).toEqual([
      { domain: 0, serverId: 1, seq: 100 },
      { domain: 0, serverId: 4294967295, seq: 7 },
    ]);
    expect(parseMariadbGtidList('')).toEqual([]);
  });

  it.each(['0-1', '0-1-', 'a-1-2', '0-1-2-3', '0:1:2', `${A}:1-5`, '-1-2-3'])('throws on malformed %j', (bad) => {
    expect(() => parseMariadbGtidList(`0-1-100,${bad}`)).toThrow(`not a MariaDB GTID: ${bad}`);
  });
});

describe('errantTransactions (mariadb)', () => {
  const errant = (replicaGtids: string, primaryGtids: string, primaryOrigin = '1') =>
    errantTransactions({ flavor: 'mariadb', replicaGtids, primaryGtids, primaryOrigin });

  it('finds nothing on an in-sync replica', () => {
    expect(errant('0-1-100', '0-1-100')).toBe('');
    expect(errant('0-1-100,0-2-40', '0-1-100,0-2-40')).toBe('');
  });

  it('reports a (domain, server) pair the primary lacks', () => {
    expect(errant('0-1-100,0-3-7', '0-1-100')).toBe('0-3-7');
  });

  it('reports a higher seq for a server id other than the primary', () => {
    expect(errant('0-1-100,0-2-50', '0-1-100,0-2-40')).toBe('0-2-50');
  });

  it('does not report an equal or lower seq for another server id', () => {
    expect(errant('0-1-100,0-2-40', '0-1-100,0-2-50')).toBe('');
  });

  it("ignores the primary's own server id even when the replica is ahead", () => {
    expect(errant('0-1-120', '0-1-100')).toBe('');
    expect(errant('0-1-120', '')).toBe('');
  });

  it('compares per domain', () => {
    expect(errant('0-1-100,1-2-5,2-3-9', '0-1-100,1-2-5')).toBe('2-3-9');
    expect(errant('1-2-5', '0-2-5')).toBe('1-2-5');
    expect(errant('0-1-101,1-2-6,2-3-9', '0-1-100,1-2-5', '3')).toBe('0-1-101,1-2-6');
  });

  it("skips another channel's source server ids and the domains only other channels bring", () => {
    const replicaGtids = '0-1-100,0-3-7,5-9-40,5-12-3,7-8-2';
    expect(
      errantTransactions({ flavor: 'mariadb', replicaGtids, primaryGtids: '0-1-100', primaryOrigin: '1', otherSources: { origins: ['9'], domains: [5] } }),
    ).toBe('0-3-7,7-8-2');
  });

  it('throws on a malformed GTID from either side', () => {
    expect(() => errant('0-1-100,garbage', '0-1-100')).toThrow('not a MariaDB GTID: garbage');
    expect(() => errant('0-1-100', '0-1')).toThrow('not a MariaDB GTID: 0-1');
  });
});

describe('gtidSources', () => {
  it('names the origins of a MySQL set by uuid[:tag], and of a MariaDB list by server id and domain', () => {
    expect(gtidSources('mysql', `${A}:1-5:tag_a:1,\n${B}:3`)).toEqual({ origins: [A, `${A}:tag_a`, B], domains: [] });
    expect(gtidSources('mariadb', '0-1-18,5-3-3,5-9-2')).toEqual({ origins: ['1', '3', '9'], domains: [0, 5] });
    expect(gtidSources('mariadb', '')).toEqual({ origins: [], domains: [] });
  });
});
