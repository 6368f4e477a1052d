import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config-error.js';

/** HASH_SECRET unset: one random secret, generated on first start and kept in DATA_DIR. */
export function loadOrCreateSecret(dataDir: string, attempt = 0): string {
  const file = join(dataDir, 'secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return existing;
    // Empty right after another process created it (wx below), or edited by hand.
    if (attempt >= 3) {
      throw new ConfigError('HASH_SECRET', `is unset and ${file} holds fewer than 16 characters: delete the file to generate a new secret, or set HASH_SECRET`);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError('HASH_SECRET', `is unset and ${file} cannot be read: ${(err as Error).message}`);
    }
  }
  const secret = randomBytes(32).toString('base64url');
  try {
    mkdirSync(dataDir, { recursive: true });
    // wx: two processes starting at once must not overwrite each other's secret.
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateSecret(dataDir, attempt + 1);
    throw new ConfigError('HASH_SECRET', `is unset and ${file} cannot be written (DATA_DIR): ${(err as Error).message}`);
  }
  return secret;
}
