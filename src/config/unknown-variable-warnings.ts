// A misspelt setting (ALLOWED_ORIGIN, FLUSH_INTERVAL) would otherwise be ignored without a word
// and the default used. Run once at start over a few dozen names: cost is negligible.

// First words of our settings that other software uses as its own namespace (Node.js, the debug
// package): a variable under them is theirs unless it is close to one of ours.
const FOREIGN_PREFIXES = new Set(['NODE_', 'DEBUG_']);
// Set by X11 desktop sessions; shares SESSION_ with our settings only by accident.
const FOREIGN_NAMES = new Set(['SESSION_MANAGER']);
// Kubernetes service links: a Service named e.g. "redis" puts REDIS_SERVICE_HOST, REDIS_PORT=tcp://…
// and REDIS_PORT_6379_TCP_* into every pod of its namespace.
const SERVICE_LINK = /_SERVICE_(HOST|PORT)(_\w+)?$|_PORT_\d+_(TCP|UDP|SCTP)(_(ADDR|PORT|PROTO))?$/;
const SERVICE_LINK_PORT_VALUE = /^(tcp|udp|sctp):\/\//;

/**
 * One warning per variable in `env` that is not in `known` but looks like one of them: under the
 * first word of a known name (FLUSH_, REDIS_, …) or a typo or two away from one (one for names
 * shorter than 8 characters: HOME is two from HOST). Names are compared in upper case.
 */
export function unknownVariableWarnings(env: NodeJS.ProcessEnv, known: readonly string[]): string[] {
  const knownSet = new Set(known);
  const prefixes = new Set<string>();
  for (const name of known) {
    const cut = name.indexOf('_');
    if (cut > 0 && !FOREIGN_PREFIXES.has(name.slice(0, cut + 1))) prefixes.add(name.slice(0, cut + 1));
  }
  const warnings: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (knownSet.has(name) || FOREIGN_NAMES.has(name) || SERVICE_LINK.test(name)) continue;
    const upper = name.toUpperCase();
    // Windows reads environment names case-insensitively: there `port` is PORT, and read as such.
    if (upper !== name && knownSet.has(upper) && env[upper] === value) continue;
    if (upper.endsWith('_PORT') && value !== undefined && SERVICE_LINK_PORT_VALUE.test(value)) continue;
    const prefix = upper.slice(0, upper.indexOf('_') + 1);
    const closest = nearestTypo(upper, known) ?? (prefixes.has(prefix) ? mostWordsInCommon(upper, known) : null);
    if (closest !== null) warnings.push(`${name} is not a setting of this service; did you mean ${closest}?`);
  }
  return warnings;
}

/**
 * The known name within a typo of `name`: one edit, or two when either has 8 characters or more
 * (HOME is two from HOST). On a tie, one sharing its first word, then the first in `known`.
 */
function nearestTypo(name: string, known: readonly string[]): string | null {
  const firstWord = name.split('_')[0];
  let best: string | null = null;
  let bestDistance = Infinity;
  let bestSharesWord = false;
  for (const candidate of known) {
    const allowed = Math.min(Math.max(name.length, candidate.length) >= 8 ? 2 : 1, bestDistance);
    if (Math.abs(candidate.length - name.length) > allowed) continue;
    const distance = editDistance(name, candidate);
    if (distance > allowed) continue;
    const sharesWord = candidate.split('_')[0] === firstWord;
    if (distance < bestDistance || (sharesWord && !bestSharesWord)) {
      best = candidate;
      bestDistance = distance;
      bestSharesWord = sharesWord;
    }
  }
  return best;
}

/**
 * The known name sharing the most of `name`'s words, by their length, the first word counting
 * twice: REDIS_HOST is after REDIS_URL rather than ADMIN_HOST, GEOIP_DATABASE after GEOIP_DB
 * rather than DATABASE_URL. Ties go to the fewest edits.
 */
function mostWordsInCommon(name: string, known: readonly string[]): string | null {
  const words = new Set(name.split('_'));
  const firstWord = name.split('_')[0];
  // How most other software spells it (DB_HOST, DB_USER): a word in common, though not the first.
  if (words.has('DB')) words.add('DATABASE');
  let best: string | null = null;
  let bestScore = 0;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const candidateWords = candidate.split('_');
    let score = 0;
    for (const word of new Set(candidateWords)) {
      if (words.has(word)) score += word.length * (word === firstWord && word === candidateWords[0] ? 2 : 1);
    }
    if (score === 0 || score < bestScore) continue;
    const distance = editDistance(name, candidate);
    if (score > bestScore || distance < bestDistance) {
      best = candidate;
      bestScore = score;
      bestDistance = distance;
    }
  }
  return best;
}

/** Edits (insert, delete, substitute, swap two neighbours) turning `a` into `b`: optimal string alignment. */
function editDistance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}
