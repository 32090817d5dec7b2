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
