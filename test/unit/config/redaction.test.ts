import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/load';

const SECRET = 'hunter2-Zq9';
const errorOf = (text: string, file: string): string => {
  try {
    parseConfig(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('parsed');
};

describe('config errors never show a password', () => {
  it('a JSON syntax error gives the line and column, not the text around it', () => {
    const json = `{\n  "clusters": [{ "name": "main", "password": "${SECRET}" "user": "x" }]\n}`;
    const message = errorOf(json, 'c.json');
    expect(message).toMatch(/^c\.json:2:\d+: not valid JSON/);
    expect(message).not.toContain(SECRET);
  });

  it('a JSON error V8 reports without a position is still placed, still without the text', () => {
    const message = errorOf(`{"password": ${SECRET}}`, 'c.json');
    expect(message).toMatch(/^c\.json(:\d+:\d+)?: not valid JSON/);
    expect(message).not.toContain(SECRET);
  });

  it('a bad value whose parent holds a password is shown with the password hidden', () => {
    const yml = `clusters:\n  - name: main\n    primary: { host: db1 }\n    replicas: []\n    user: replwatch\n    password: x\n    heartbeat: [{ password: ${SECRET} }]\n`;
    const message = errorOf(yml, 'c.yml');
    expect(message).toContain('c.yml:7: clusters[0].heartbeat');
    expect(message).toContain('(hidden)');
    expect(message).not.toContain(SECRET);
  });
});

describe('config errors name the file and the path, never a value that could be a secret', () => {
  const cluster = (extra: string) =>
    `clusters:\n  - name: main\n    primary: { host: db1 }\n    replicas: [{ name: r1, host: db2 }]\n    user: replwatch\n    password: env:X\n${extra}`;
  const cases: Array<[string, string, string]> = [
    ['a password written as the whole admin section', cluster(`    admin: ${SECRET}\n`), 'c.yml:7: clusters[0].admin: Invalid input: expected object'],
    [
      'a password written as the whole heartbeat section',
      cluster(`    heartbeat: ${SECRET}\n`),
      'c.yml:7: clusters[0].heartbeat: Invalid input: expected object',
    ],
    [
      'a password written as the whole replication section',
      cluster(`    replication: ${SECRET}\n`),
      'c.yml:7: clusters[0].replication: Invalid input: expected object',
    ],
    [
      'a password in the replication user',
      cluster(`    replication: { user: [${SECRET}], password: env:Y }\n`),
      'c.yml:7: clusters[0].replication.user: Invalid input: expected string',
    ],
    [
      'a bad admin password',
      cluster(`    admin: { user: root, password: [${SECRET}] }\n`),
      'c.yml:7: clusters[0].admin.password: Invalid input: expected string',
    ],
    ['a string under an account section beside a bad field', cluster(`    admin: { user: ${SECRET}, password: 5 }\n`), 'c.yml:7: clusters[0].admin.password'],
    [
      'a top-level section written as a string',
      `network:\n  - { name: n, targets: ["h:1"] }\nalerts: ${SECRET}\n`,
      'c.yml:3: alerts: Invalid input: expected object',
    ],
    ['a whole document that is a string', `${SECRET}\n`, 'c.yml'],
    ['an unknown key holding a secret', cluster(`    adminPasswrd: ${SECRET}\n`), 'c.yml:7: clusters[0].adminPasswrd: unknown key'],
    ['an unknown key under an account', cluster(`    admin: { user: root, password: env:Z, pw: ${SECRET} }\n`), 'c.yml:7: clusters[0].admin.pw: unknown key'],
    [
      'a URL with credentials',
      `network:\n  - { name: n, targets: ["h:1"] }\nalerts: { snsTopicArn: "https://ops:${SECRET}@example.com" }\n`,
      'c.yml:3: alerts.snsTopicArn: expected an SNS topic ARN',
    ],
  ];
  for (const [what, yml, where] of cases) {
    it(what, () => {
      const message = errorOf(yml, 'c.yml');
      expect(message).toContain(where);
      expect(message).not.toContain(SECRET);
      expect(message).not.toContain('hunter2');
    });
  }

  it('still shows a value that cannot be a secret', () => {
    expect(errorOf(cluster('    timeoutMs: 5\n'), 'c.yml')).toContain('clusters[0].timeoutMs: Too small: expected number to be >=50; got 5');
    expect(errorOf(`network:\n  - { name: n, targets: ["h:1"], probes: many }\n`, 'c.yml')).toContain('got "many"');
  });
});
