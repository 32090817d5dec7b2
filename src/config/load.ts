import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema';

/** A config that cannot be used. The message names the file, the path and the bad value. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

// By substring, so that adminPassword, apiToken or a clientSecret under any key are hidden too.
const isSecretKey = (k: PropertyKey) => /pass|pwd|secret|token|credential/i.test(String(k));

/** The value with everything under a secret-bearing key replaced, however deep. */
function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretKey(k) ? '(hidden)' : redact(v)]));
}

/** `clusters[0].primary.port` from zod's ['clusters', 0, 'primary', 'port']. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const k = String(key);
    return out ? `${out}.${k}` : k;
  }, '');
}

function describeValue(path: readonly PropertyKey[], value: unknown): string {
  if (path.some(isSecretKey)) return '(value hidden)';
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(redact(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function issueLines(file: string, data: unknown, issues: z.core.$ZodIssue[], lineOf: (p: readonly PropertyKey[]) => number | undefined): string[] {
  return issues.flatMap((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    return keys.map((key) => {
      const path = key === undefined ? issue.path : [...issue.path, key];
      const line = lineOf(path);
      const where = `${file}${line ? `:${line}` : ''}: ${formatPath(path) || '(top level)'}`;
      if (key !== undefined) return `${where}: unknown key (allowed keys are listed in the README)`;
      return `${where}: ${issue.message}; got ${describeValue(path, valueAt(data, path))}`;
    });
  });
}

/**
 * `:line:column` of a JSON syntax error. V8's message quotes the text around it, which may be a
 * password, so only the position is kept: from the message when it has one, else from the YAML
 * parser (JSON is YAML), which reports where it stopped.
 */
function jsonErrorAt(text: string, message: string): string {
  const pos = /at position (\d+)/.exec(message)?.[1];
  if (pos !== undefined) {
    const before = text.slice(0, Number(pos)).split('\n');
    return `:${before.length}:${before.at(-1)!.length + 1}`;
  }
  const at = parseDocument(text).errors[0]?.linePos?.[0];
  return at ? `:${at.line}:${at.col}` : '';
}

/**
 * A YAML syntax error as its position and the parser's error code only: the parser's messages
 * quote the text (a block scalar header, an alias or tag name, a scalar), which may be a password.
 */
function yamlSyntaxError(file: string, err: YAMLError): ConfigError {
  const at = err.linePos?.[0];
  const what = err.code.toLowerCase().replaceAll('_', ' ');
  return new ConfigError(`${file}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML (${what}; the text is not shown here: it may hold a password)`);
}

/**
 * The document's value. Aliases are resolved only here, and the error for one with no anchor
 * quotes its name, which is a password when someone wrote `password: *secret` unquoted.
 */
function yamlValue(file: string, doc: Document.Parsed, lines: LineCounter): unknown {
  try {
    return doc.toJS();
  } catch {
    let line = 0;
    visit(doc, {
      Alias(_, alias) {
        if (alias.resolve(doc) || !alias.range) return undefined;
        line = lines.linePos(alias.range[0]).line;
        return visit.BREAK;
      },
    });
    if (line === 0) throw new ConfigError(`${file}: not valid YAML: its aliases expand too far`);
    throw new ConfigError(`${file}:${line}: not valid YAML: an alias (*name) with no &anchor before it; a value that starts with * must be quoted`);
  }
}

/** Parses and validates config text; `file` is only used in messages. */
export function parseConfig(text: string, file: string): Config {
  const isJson = extname(file).toLowerCase() === '.json';
  let data: unknown;
  let lineOf: (p: readonly PropertyKey[]) => number | undefined = () => undefined;
  if (isJson) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`${file}${jsonErrorAt(text, (e as Error).message)}: not valid JSON (the text is not shown here: it may hold a password)`);
    }
  } else {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
    if (doc.errors[0]) throw yamlSyntaxError(file, doc.errors[0]);
    data = yamlValue(file, doc, lines);
    lineOf = (path) => {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
        if (node?.range) return lines.linePos(node.range[0]).line;
      }
      return undefined;
    };
  }
  if (data === null || data === undefined) data = {};
  const result = configSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError(issueLines(file, data, result.error.issues, lineOf).join('\n'));
  }
  const problems = result.data.clusters.flatMap((c, i) => caFileProblem(file, c.tls, ['clusters', i, 'tls', 'ca'], lineOf));
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return result.data;
}

/**
 * A cluster's TLS CA file, read now rather than at the first connection, where a typo would look
 * like every server refusing the monitor. Its path becomes absolute (relative to the config file).
 */
function caFileProblem(file: string, tls: { ca?: string } | undefined, path: PropertyKey[], lineOf: (p: readonly PropertyKey[]) => number | undefined): string[] {
  if (!tls?.ca) return [];
  const abs = resolve(dirname(file), tls.ca);
  const line = lineOf(path);
  const where = `${file}${line ? `:${line}` : ''}: ${formatPath(path)}`;
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return [`${where}: cannot read the CA file ${abs} (${code === 'ENOENT' ? 'no such file' : code}); got ${JSON.stringify(tls.ca)}`];
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return [`${where}: ${abs} holds no PEM certificate (-----BEGIN CERTIFICATE-----); got ${JSON.stringify(tls.ca)}`];
  tls.ca = abs;
  return [];
}

export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`${file}: cannot read config file (${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message})`);
  }
  return parseConfig(text, file);
}
