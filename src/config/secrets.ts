/**
 * Password references: a literal, `env:NAME`, `ssm:/path` (SecureString, decrypted) or
 * `secret:ARN-or-name` (Secrets Manager; a JSON secret's `password` field is used, as RDS
 * writes them). Resolved lazily, at first use, and cached for one invocation so a rotated
 * secret is picked up by the next one.
 */

import { secretsManager, ssm } from '../aws/clients';
import { OperatorError } from '../util/errors';

export type SecretFetcher = (ref: { kind: 'ssm' | 'secret'; id: string }) => Promise<string>;

export class SecretError extends OperatorError {
  override name = 'SecretError';
}

/**
 * Where each reference was written (`file:line: path`), noted by config loading. Kept per process
 * rather than passed along: a reference is resolved far from the config (a Lambda's pager, the
 * heartbeat writer, the runbook), and its error must still say which line to fix.
 */
const origins = new Map<string, string[]>();

/** `ref` is written at `where` in the config loaded last (which replaces what an earlier one said). */
export function noteReferenceOrigin(ref: string, where: string[]): void {
  origins.set(ref, where);
}

/** A reference (env:, ssm:, secret:) names where a password is, so printing it gives nothing away; anything else is the password itself. */
export const isSecretReference = (ref: string): boolean => /^(env|ssm|secret):/.test(ref);

const originOf = (ref: string) => (origins.has(ref) ? `${origins.get(ref)!.join(', ')}: ` : '');

/** Fetches from AWS; the SDK clients are loaded only when a reference needs them. */
export const awsSecretFetcher: SecretFetcher = async ({ kind, id }) => {
  const abortSignal = AbortSignal.timeout(5000);
  if (kind === 'ssm') {
    const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
    const out = await (await ssm()).send(new GetParameterCommand({ Name: id, WithDecryption: true }), { abortSignal });
    return out.Parameter?.Value ?? '';
  }
  const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const out = await (await secretsManager()).send(new GetSecretValueCommand({ SecretId: id }), { abortSignal });
  const text = out.SecretString ?? '';
  const password = (jsonObject(text) as { password?: unknown } | undefined)?.password;
  return typeof password === 'string' ? password : text;
};

/**
 * The secret as JSON, or undefined when it is a plain password that merely starts with `{`:
 * JSON.parse's error quotes the text, and would carry the password into logs and pages.
 */
function jsonObject(text: string): unknown {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export class SecretResolver {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly fetcher: SecretFetcher = awsSecretFetcher,
  ) {}

  resolve(ref: string): Promise<string> {
    let value = this.cache.get(ref);
    if (!value) {
      value = this.load(ref);
      // A failed lookup is retried next time rather than cached.
      value.catch(() => this.cache.delete(ref));
      this.cache.set(ref, value);
    }
    return value;
  }

  private async load(ref: string): Promise<string> {
    if (ref.startsWith('env:')) {
      const name = ref.slice(4);
      const value = this.env[name];
      if (value === undefined) throw new SecretError(`${originOf(ref)}environment variable ${name} is not set (password ${ref})`);
      return value;
    }
    for (const kind of ['ssm', 'secret'] as const) {
      if (ref.startsWith(`${kind}:`)) {
        const id = ref.slice(kind.length + 1);
        try {
          return await this.fetcher({ kind, id });
        } catch (e) {
          // The SDK's message names the parameter, never its value.
          throw new SecretError(`${originOf(ref)}cannot read ${ref}: ${(e as Error).message}`);
        }
      }
    }
    return ref;
  }
}
