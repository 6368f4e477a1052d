// What a process costs, read from /proc (Linux): CPU time, peak RSS, and MariaDB's pid.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/** User and kernel CPU time of a process in ms (utime, stime, at Linux's 100 ticks per second), or NaN. */
export function cpuSplitMs(pid: number | undefined): { user: number; kernel: number } {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return { user: Number(fields[11]) * 10, kernel: Number(fields[12]) * 10 };
  } catch {
    return { user: NaN, kernel: NaN };
  }
}

/** CPU time of a process in ms (utime + stime), or NaN. */
export function cpuMs(pid: number | undefined): number {
  const { user, kernel } = cpuSplitMs(pid);
  return user + kernel;
}

export function peakRssMb(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/** Peak RSS per mode: writing 5 to clear_refs resets VmHWM (Linux 4.0+; the owner or root may). */
export function resetPeakRss(pid: number | undefined): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // then the peak is over the whole run so far
  }
}

export function mariadbPid(): number | undefined {
  try {
    const pid = execFileSync('pgrep', ['-o', 'mariadbd|mysqld']).toString().trim();
    return pid === '' ? undefined : Number(pid);
  } catch {
    return undefined;
  }
}
