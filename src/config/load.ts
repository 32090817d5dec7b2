import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { isPair, isSeq, LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema';
import { noteReferenceOrigin } from './secrets';
import { OperatorError } from '../util/errors';
import { closest } from '../util/suggest';

/** A config that cannot be used. The message names the file, the path and the bad value. */
export class ConfigError extends OperatorError {
  override name = 'ConfigError';
}

// By substring, so that adminPassword, apiToken, a routingKey or a clientSecret under any key are hidden too.
const isSecretKey = (k: PropertyKey) => typeof k === 'string' && /pass|pwd|secret|token|credential|key|auth|user/i.test(k);

/** Sections whose every string may be an account or a password (a section written as a string is one pasted in the wrong place). */
const isSecretSection = (k: PropertyKey) => typeof k === 'string' && /^(admin|heartbeat|replication|pagerduty|webhook|sns|aws)$/i.test(k);

/** A URL with credentials in it (https://user:password@host). */
const hasUserInfo = (s: string) => /:\/\/[^/\s]*@/.test(s);

/**
 * The value with every string that may be a secret replaced, however deep: under a secret-bearing
 * key, in a secret-bearing section, or all of them (`strings`); and URLs with credentials.
 */
function redact(value: unknown, strings = false): unknown {
  if (typeof value === 'string') return strings || hasUserInfo(value) ? '(hidden)' : value;
  if (Array.isArray(value)) return value.map((v) => redact(v, strings));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretKey(k) ? '(hidden)' : redact(v, strings || isSecretSection(k))]));
}

/** `clusters[0].primary.port` from zod's ['clusters', 0, 'primary', 'port']. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const k = String(key);
    // A map key such as a host:port is quoted, so the path reads as one.
    if (!/^[A-Za-z_$][\w$]*$/.test(k)) return `${out}[${JSON.stringify(k)}]`;
    return out ? `${out}.${k}` : k;
  }, '');
}

/**
 * The bad value at `path`, as the error shows it: never one that could be a secret. Hidden: any
 * value under a secret-bearing key (password, token, key, user...); any string in a section of
 * accounts (admin, heartbeat, replication...), at the top level, or where a section was expected
 * (`admin: hunter2` is a password written one level too high).
 */
function describeValue(path: readonly PropertyKey[], value: unknown, sectionExpected = false): string {
  if (path.some(isSecretKey)) return '(value hidden)';
  if (value === undefined) return '(missing)';
  const strings = sectionExpected || path.length <= 1 || path.some(isSecretSection);
  if (typeof value === 'string' && (strings || hasUserInfo(value))) return '(value hidden: it may be a secret)';
  const text = JSON.stringify(redact(value, strings));
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

/** The keys the schema allows in the object at `path` (a list's items, a map's values, defaults and optionals seen through). */
function allowedKeys(path: readonly PropertyKey[]): string[] {
  let node = configSchema as z.core.$ZodType;
  const unwrap = () => {
    while ('innerType' in node._zod.def) node = node._zod.def.innerType as z.core.$ZodType;
  };
  for (const key of path) {
    unwrap();
    const def = node._zod.def as { type: string; element?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType>; valueType?: z.core.$ZodType };
    const next = def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : def.shape?.[String(key)];
    if (!next) return [];
    node = next;
  }
  unwrap();
  return Object.keys((node._zod.def as { shape?: object }).shape ?? {});
}

function unknownKey(key: string, allowed: string[]): string {
  const best = closest(key, allowed);
  if (best) return `unknown key; did you mean ${best}?`;
  return allowed.length > 0 ? `unknown key; allowed here: ${allowed.join(', ')}` : 'unknown key';
}

function issueLines(file: string, data: unknown, issues: z.core.$ZodIssue[], lineOf: (p: readonly PropertyKey[]) => number | undefined): string[] {
  return issues.flatMap((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    return keys.map((key) => {
      const path = key === undefined ? issue.path : [...issue.path, key];
      const line = lineOf(path);
      const where = `${file}${line ? `:${line}` : ''}: ${formatPath(path) || '(top level)'}`;
      if (key !== undefined) return `${where}: ${unknownKey(key, allowedKeys(issue.path))}`;
      // A map's key (awsNetworkMonitor.probes): what is wrong is the key's, and it is the value shown.
      if (issue.code === 'invalid_key') return `${where}: ${issue.issues.map((i) => i.message).join('; ')}; got ${describeValue(path, path.at(-1))}`;
      const sectionExpected = issue.code === 'invalid_type' && ['object', 'array', 'record', 'map'].includes(String(issue.expected));
      return `${where}: ${issue.message}; got ${describeValue(path, valueAt(data, path), sectionExpected)}`;
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

/** Deeper than any config (about 6 levels), far shallower than what exhausts a parser's stack. */
export const MAX_DEPTH = 64;

/**
 * The line at which the text nests deeper than MAX_DEPTH, if it does, found without parsing: the
 * parsers recurse (and YAML's lexer compiles a pattern per indentation level), so a document
 * 100,000 levels deep exhausts the stack or the heap before any error of theirs. Counted: brackets
 * that open a flow collection outside quotes and comments, and for YAML the block indentation
 * levels open on each line, each `- ` or `? ` one more. An upper bound of the real depth.
 */
function tooDeepAt(text: string, yaml: boolean): number | undefined {
  const indents: number[] = [];
  let flow = 0;
  let line = 0;
  // The first line is measured like every other: as if after a newline.
  text = `\n${text}`;
  let quote: string | undefined;
  // Where a scalar may start: a bracket or quote elsewhere is part of a plain scalar (p@ss[word).
  let valueStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') {
      line++;
      valueStart = true;
      if (!yaml || flow > 0 || quote) continue;
      let col = 0;
      while (text[i + 1 + col] === ' ') col++;
      const at = i + 1 + col;
      if (at >= text.length || '\r\n#'.includes(text[at]!)) continue;
      while (indents.length > 0 && indents.at(-1)! >= col) indents.pop();
      indents.push(col);
      for (let j = at; (text[j] === '-' || text[j] === '?') && (text[j + 1] === ' ' || text[j + 1] === '\t'); ) {
        j += 2;
        while (text[j] === ' ') j++;
        indents.push(j - (i + 1));
      }
      if (indents.length + flow > MAX_DEPTH) return line;
      continue;
    }
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '#' && yaml && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
      continue;
    }
    let opens = false;
    if (!yaml || valueStart) {
      if (ch === '"' || (yaml && ch === "'")) quote = ch;
      else if (ch === '[' || ch === '{') {
        opens = true;
        flow++;
        if (indents.length + flow > MAX_DEPTH) return line;
      }
    }
    if (ch === ']' || ch === '}') flow = Math.max(0, flow - 1);
    if (!/\s/.test(ch)) valueStart = opens || ',:-?'.includes(ch);
  }
  return undefined;
}

/**
 * Where a tag (`!name`) is written on a node. A tag replwatch does not know is dropped by the YAML
 * parser with only a warning that quotes it, so `password: !S3cr3t` would silently be empty.
 */
function yamlTagAt(doc: Document.Parsed, lines: LineCounter): { line: number; path: PropertyKey[] } | undefined {
  let found: { line: number; path: PropertyKey[] } | undefined;
  visit(doc, (_, node, ancestors) => {
    const tagged = (node ?? {}) as { tag?: string; range?: [number, number, number] };
    // The core schema's own (`!!str 123`) resolve to tag:yaml.org,2002:... and are kept.
    if (!tagged.tag || tagged.tag.startsWith('tag:yaml.org,2002:')) return undefined;
    const chain = [...ancestors, node];
    const path = chain.flatMap((n, i): PropertyKey[] => {
      if (isPair(n)) return [String((n.key as { value?: unknown } | null)?.value ?? n.key)];
      if (isSeq(n)) return [n.items.indexOf(chain[i + 1] as never)];
      return [];
    });
    found = { line: tagged.range ? lines.linePos(tagged.range[0]).line : 0, path };
    return visit.BREAK;
  });
  return found;
}

/** Where each password reference (env:, ssm:, secret:) in `data` is written: `file:line: path (cluster NAME)`. */
function references(file: string, data: unknown, lineOf: (p: readonly PropertyKey[]) => number | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (value: unknown, path: PropertyKey[]) => {
    if (typeof value === 'string' && path.some(isSecretKey) && /^(env|ssm|secret):/.test(value)) {
      const line = lineOf(path);
      const cluster = path[0] === 'clusters' ? valueAt(data, [...path.slice(0, 2), 'name']) : undefined;
      out.set(value, [
        ...(out.get(value) ?? []),
        `${file}${line ? `:${line}` : ''}: ${formatPath(path)}${typeof cluster === 'string' ? ` (cluster ${cluster})` : ''}`,
      ]);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, Array.isArray(value) ? Number(k) : k]);
    }
  };
  walk(data, []);
  return out;
}

/** Parses and validates config text; `file` is only used in messages. */
export function parseConfig(text: string, file: string): Config {
  const isJson = extname(file).toLowerCase() === '.json';
  const deep = tooDeepAt(text, !isJson);
  if (deep !== undefined) throw new ConfigError(`${file}:${deep}: nested more than ${MAX_DEPTH} levels deep: not a replwatch config`);
  const empty = new ConfigError(`${file}: nothing to check: the file is empty`);
  let data: unknown;
  let lineOf: (p: readonly PropertyKey[]) => number | undefined = () => undefined;
  if (isJson) {
    if (text.trim() === '') throw empty;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`${file}${jsonErrorAt(text, (e as Error).message)}: not valid JSON (the text is not shown here: it may hold a password)`);
    }
  } else {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
    if (doc.errors[0]) throw yamlSyntaxError(file, doc.errors[0]);
    const tag = yamlTagAt(doc, lines);
    if (tag) {
      throw new ConfigError(
        `${file}${tag.line ? `:${tag.line}` : ''}: ${formatPath(tag.path) || '(top level)'}: a value starting with ! is read by YAML as a tag, and the value is lost: put it in quotes (the value is not shown here: it may be a password)`,
      );
    }
    data = yamlValue(file, doc, lines);
    lineOf = (path) => {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
        if (node?.range) return lines.linePos(node.range[0]).line;
      }
      return undefined;
    };
  }
  // An empty file, `---` alone or only comments.
  if (data === null || data === undefined) throw empty;
  const result = configSchema.safeParse(data);
  if (!result.success) {
    throw new ConfigError(issueLines(file, data, result.error.issues, lineOf).join('\n'));
  }
  // So that a reference that resolves to nothing, later and anywhere, names the line to fix.
  for (const [ref, where] of references(file, data, lineOf)) noteReferenceOrigin(ref, where);
  const problems = result.data.clusters.flatMap((c, i) => caFileProblem(file, c.tls, ['clusters', i, 'tls', 'ca'], lineOf));
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return result.data;
}

/**
 * A cluster's TLS CA file, read now rather than at the first connection, where a typo would look
 * like every server refusing the monitor. Its path becomes absolute (relative to the config file).
 */
function caFileProblem(
  file: string,
  tls: { ca?: string } | undefined,
  path: PropertyKey[],
  lineOf: (p: readonly PropertyKey[]) => number | undefined,
): string[] {
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
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    return [`${where}: ${abs} holds no PEM certificate (-----BEGIN CERTIFICATE-----); got ${JSON.stringify(tls.ca)}`];
  tls.ca = abs;
  return [];
}

export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`${file}: cannot read config file (${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)})`);
  }
  return parseConfig(text, file);
}
