import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A day's salt as held by this process: `provisional` when made here while the database was away. */
export interface HeldSalt {
  salt: Buffer;
  provisional: boolean;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The salts this instance knows, kept in DATA_DIR (mode 0600, beside the generated secret), so a
 * restart while the database is away hashes visitors with the same salts as before it. Holds at
 * most yesterday, today and tomorrow, as the database does: an older salt deleted there is gone
 * here too, and with it the link between a hash and an address.
 */
export class SaltFile {
  constructor(readonly path: string) {}

  /** The salts in the file; none when it is missing or unreadable (it is only a copy). */
  async read(): Promise<Map<string, HeldSalt>> {
    const held = new Map<string, HeldSalt>();
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(this.path, 'utf8'));
    } catch {
      return held;
    }
    if (typeof parsed !== 'object' || parsed === null) return held;
    for (const [day, v] of Object.entries(parsed as Record<string, { salt?: unknown; provisional?: unknown }>)) {
      if (!DAY.test(day) || typeof v?.salt !== 'string' || !/^[0-9a-f]{64}$/.test(v.salt)) continue;
      held.set(day, { salt: Buffer.from(v.salt, 'hex'), provisional: v.provisional === true });
    }
    return held;
  }

  /** Replaces the file's contents: written aside, then renamed over it, so a crash leaves the old or the new. */
  async write(salts: ReadonlyMap<string, HeldSalt>): Promise<void> {
    const out: Record<string, { salt: string; provisional: boolean }> = {};
    for (const [day, h] of salts) out[day] = { salt: h.salt.toString('hex'), provisional: h.provisional };
    const tmp = `${this.path}.${randomBytes(4).toString('hex')}.tmp`;
    await mkdir(dirname(this.path), { recursive: true });
    try {
      await writeFile(tmp, JSON.stringify(out) + '\n', { mode: 0o600 });
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
