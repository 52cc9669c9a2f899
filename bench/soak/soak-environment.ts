/** What the soak records about the machine and the code it ran on. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** The commit soaked, and how many files under src/ differ from it (the server runs the working tree). */
export function sourceState(): string {
  const git = (...args: string[]): string => spawnSync('git', args, { encoding: 'utf8' }).stdout.trim();
  const head = git('rev-parse', '--short', 'HEAD') || 'unknown';
  const changed = git('status', '--porcelain', '--', 'src').split('\n').filter((line) => line !== '').length;
  return changed === 0 ? head : `${head} + ${String(changed)} changed files under src/`;
}

/** Linux pressure stall information: the share of the last 60 s in which some runnable task waited for a CPU. */
export function cpuPressure(): string {
  try {
    const avg60 = /some avg10=[\d.]+ avg60=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1];
    return avg60 === undefined ? 'n/a' : `${avg60}%`;
  } catch {
    return 'n/a';
  }
}

export function loadAverage(): string {
  return loadavg().map((value) => value.toFixed(2)).join(' ');
}

/** User + system CPU seconds of a process (Linux /proc). */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Sums every sample of the metric lines `pattern` matches in Prometheus text (its first group is the value). */
export function metricSum(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** One unlabelled gauge's value from Prometheus text. */
export function gauge(text: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
}
