import { expect } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load';

/** The message of the ConfigError `text` is refused with (written as `file`); fails if it is accepted. */
export function configErrorOf(text: string, file = 'replwatch.yml'): string {
  try {
    parseConfig(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}
