/**
 * Counting for the fuzz targets: inputs per target, outcomes, invariant
 * violations (each described by target, seed label, mutation steps and a
 * token fingerprint — never token bytes), known findings and informational
 * tallies. The CI suite asserts `violations` is empty; the long run prints it all.
 */
import { caseSeed, MutationFuzzer } from '../support/mutation-fuzzer.ts';

/**
 * Findings reported by the fuzzers, each pinned by a test in
 * test/fuzz/findings.test.ts. A recurrence of a `fixed` one is counted under
 * its id AND fails the run as a violation (the id says which regression it
 * is). An `open` one (its test is `it.skip` with a `// BUG:` note) is only
 * counted while it stays open, so the suite keeps checking everything else;
 * mark it fixed, and un-skip its test, with the fix.
 */
export const KNOWN_FINDINGS = {
  'F1-jws-signature-not-base64url': { status: 'fixed', summary: 'a signature segment of length 4n+1 (not base64url) is accepted: the lone last character is dropped by Buffer\'s decoder' },
  'F2-claims-invalid-utf8': { status: 'fixed', summary: 'a JOSE header or claims set that is not valid UTF-8 is accepted (decoded with U+FFFD) instead of refused (RFC 7515 §5.2, RFC 7519 §7.2)' },
  'F3-deep-claim-cache-rangeerror': { status: 'fixed', summary: 'decide() rejects with RangeError for a signed token with a deeply nested object claim when the verified-token cache is on (estimatedEntryBytes → JSON.stringify)' },
  'F4-unicode-host-fold': { status: 'fixed', summary: ':authority is lower-cased with Unicode rules (KELVIN SIGN → k), so a host no policy names can select a policy' },
  'F5-scope-implication-prototype-name': { status: 'fixed', summary: 'a policy that validates fails to compile when scopeImplications names a scope like "constructor" (compilePolicy throws TypeError)' },
  'F6-empty-kid-cache-collision': { status: 'fixed', summary: 'a token with "kid": "" is verified with the key an earlier kid-less token selected: the imported-key cache keys both as "" (src/keys/issuer-key-set.ts)' },
} as const satisfies Record<string, { readonly status: 'fixed' | 'open'; readonly summary: string }>;

export type KnownFindingId = keyof typeof KNOWN_FINDINGS;

export class FuzzStats {
  readonly inputs = new Map<string, number>();
  readonly outcomes = new Map<string, number>();
  readonly known = new Map<KnownFindingId, { count: number; example: string }>();
  readonly notes = new Map<string, number>();
  readonly violations: string[] = [];
  /** Violations beyond this many are counted, not kept. */
  readonly keep: number;
  violationCount = 0;
  /** Cases run through `runCases` (each may feed several targets). */
  cases = 0;
  /** Prefixed to each violation: which run and case it came from, so it can be replayed alone. */
  context = '';

  constructor(keep = 20) {
    this.keep = keep;
  }

  input(target: string, count = 1): void {
    this.inputs.set(target, (this.inputs.get(target) ?? 0) + count);
  }

  outcome(key: string): void {
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
  }

  note(key: string): void {
    this.notes.set(key, (this.notes.get(key) ?? 0) + 1);
  }

  violation(target: string, detail: string): void {
    this.violationCount += 1;
    if (this.violations.length < this.keep) this.violations.push(`[${target}]${this.context === '' ? '' : ` ${this.context}:`} ${detail}`);
  }

  knownFinding(id: KnownFindingId, example: string): void {
    const entry = this.known.get(id);
    if (entry === undefined) this.known.set(id, { count: 1, example: this.context === '' ? example : `${this.context}: ${example}` });
    else entry.count += 1;
    // Read through the wide type: every finding is fixed today, but a new one may be recorded as open.
    const findings: Readonly<Record<string, { readonly status: 'fixed' | 'open' } | undefined>> = KNOWN_FINDINGS;
    if (findings[id]?.status === 'fixed') this.violation(`regression ${id}`, example);
  }

  total(): number {
    let sum = 0;
    for (const count of this.inputs.values()) sum += count;
    return sum;
  }

  merge(other: FuzzStats): void {
    for (const [key, count] of other.inputs) this.inputs.set(key, (this.inputs.get(key) ?? 0) + count);
    for (const [key, count] of other.outcomes) this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + count);
    for (const [key, count] of other.notes) this.notes.set(key, (this.notes.get(key) ?? 0) + count);
    for (const [id, entry] of other.known) {
      const mine = this.known.get(id);
      if (mine === undefined) this.known.set(id, { ...entry });
      else mine.count += entry.count;
    }
    this.violationCount += other.violationCount;
    this.cases += other.cases;
    for (const violation of other.violations) if (this.violations.length < this.keep) this.violations.push(violation);
  }

  /** A multi-line report: inputs per target, violations, known findings, the largest outcome and note counts. */
  report(title: string, limit = 12): string {
    const lines = [`${title}: ${this.total()} inputs`];
    for (const [target, count] of [...this.inputs].sort()) lines.push(`  ${target}: ${count}`);
    lines.push(`  violations: ${this.violationCount}`);
    for (const violation of this.violations) lines.push(`    ${violation}`);
    for (const [id, entry] of this.known) lines.push(`  known finding ${id}: ${entry.count} (e.g. ${entry.example})`);
    const top = (map: Map<string, number>): string[] => [...map].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([key, count]) => `    ${key}: ${count}`);
    if (this.outcomes.size > 0) lines.push('  outcomes:', ...top(this.outcomes));
    if (this.notes.size > 0) lines.push('  notes:', ...top(this.notes));
    return lines.join('\n');
  }
}

/**
 * Runs `count` cases, each with its own fuzzer seeded from (`seed`, case
 * index) — so a reported case replays alone and concurrency does not change
 * which inputs are made — with up to `concurrency` cases in flight.
 */
export async function runCases(
  count: number,
  seed: number,
  concurrency: number,
  run: (fuzzer: MutationFuzzer, stats: FuzzStats) => void | Promise<void>,
  options: { readonly firstCase?: number; readonly stats?: FuzzStats; readonly deadline?: number } = {},
): Promise<FuzzStats> {
  const total = options.stats ?? new FuzzStats();
  const first = options.firstCase ?? 0;
  let next = first;
  const worker = async (): Promise<void> => {
    while (next < first + count && (options.deadline === undefined || Date.now() < options.deadline)) {
      const index = next;
      next += 1;
      const stats = new FuzzStats();
      stats.context = `seed ${seed} case ${index}`;
      await run(new MutationFuzzer(caseSeed(seed, index)), stats);
      stats.cases = 1;
      total.merge(stats);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total;
}
