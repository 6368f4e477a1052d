// Issue 18's goals as ratios from one `npm run bench` run: the service (MariaDB, everything on)
// against the minimal batched design, round by round (the two run next to each other in every
// round), and sessions-heavy traffic against returning visitors.

export interface Round {
  mode: string;
  round: number;
  target: string;
  rps: number;
  p50: number;
  p99: number;
  answered: number;
  errors: number;
  ratio: number;
  p99ratio: number;
  cpuUs: number;
  dbCpuUs: number;
}

export interface Ratio {
  name: string;
  value: number | null;
  goal: number;
  met: boolean | null;
  /** The value of each round, when it is a median of rounds. */
  rounds?: number[];
}

export interface Ratios {
  ratios: Ratio[];
  /** Per mode and target: every answered beacon stored (null: bare Fastify stores nothing). */
  stored: { mode: string; target: string; answered: number; stored: number | null; allStored: boolean | null }[];
}

const SERVICE = 'service (MariaDB)';
const MINIMAL = 'minimal design';
/** BASELINE's build of the service, for a change's before/after in one run. */
export const BEFORE = 'service before';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function perRound(rounds: Round[], field: 'cpuUs' | 'p99' | 'dbCpuUs', mode: string, against = MINIMAL): number[] {
  const service = rounds.filter((r) => r.mode === mode && r.target === SERVICE);
  return service.flatMap((s) => {
    const m = rounds.find((r) => r.mode === mode && r.target === against && r.round === s.round);
    return m === undefined || !(m[field] > 0) ? [] : [s[field] / m[field]];
  });
}

function ratio(name: string, goal: number, values: number[]): Ratio {
  const value = values.length === 0 ? null : Number(median(values).toFixed(2));
  return { name, value, goal, met: value === null ? null : value <= goal, ...(values.length > 1 ? { rounds: values.map((v) => Number(v.toFixed(2))) } : {}) };
}

export function goalRatios(rounds: Round[], rows: { mode: string; target: string; answered: number; stored: number | null }[]): Ratios {
  const cpu = (mode: string) => rounds.filter((r) => r.mode === mode && r.target === SERVICE).map((r) => r.cpuUs);
  const single = cpu('single');
  const sessions = cpu('sessions');
  return {
    ratios: [
      ratio('service CPU / minimal design CPU per beacon (single)', 1.15, perRound(rounds, 'cpuUs', 'single')),
      ratio('service p99 / minimal design p99 (single, c=50)', 1.25, perRound(rounds, 'p99', 'single')),
      ratio('service MariaDB CPU / minimal design MariaDB CPU per row (single)', 1.2, perRound(rounds, 'dbCpuUs', 'single')),
      ratio('service CPU, sessions-heavy / returning visitors', 1.3, single.length && sessions.length ? [median(sessions) / median(single)] : []),
      ...(rounds.some((r) => r.target === BEFORE)
        ? ['single', 'sessions'].flatMap((mode) => [
          ratio(`service CPU / service before (${mode})`, 1, perRound(rounds, 'cpuUs', mode, BEFORE)),
          ratio(`service p99 / service before (${mode})`, 1, perRound(rounds, 'p99', mode, BEFORE)),
          ratio(`service MariaDB CPU / service before (${mode})`, 1, perRound(rounds, 'dbCpuUs', mode, BEFORE)),
        ]).filter((r) => r.value !== null)
        : []),
    ],
    stored: rows.map((r) => ({ ...r, allStored: r.stored === null ? null : r.stored >= r.answered })),
  };
}

export function printRatios({ ratios, stored }: Ratios): void {
  console.log('Issue 18 goals (median of per-round ratios; the service and the minimal design run next to each other each round):');
  for (const r of ratios) {
    const verdict = r.met === null ? 'not measured' : r.met ? 'met' : 'NOT met';
    console.log(`  ${r.name}: ${r.value ?? '–'} (goal <= ${r.goal}, ${verdict})${r.rounds ? ` rounds ${r.rounds.join(', ')}` : ''}`);
  }
  const lost = stored.filter((s) => s.allStored === false);
  console.log(lost.length === 0
    ? `  every answered beacon stored: yes, for every target and mode (${stored.filter((s) => s.allStored).length} checked)`
    : `  every answered beacon stored: NO for ${lost.map((s) => `${s.mode}/${s.target} (${s.stored} of ${s.answered})`).join(', ')}`);
}
