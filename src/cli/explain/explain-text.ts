/** The text form of an explain report (src/cli/explain/explain-report.ts), for people. */
import type { ExplainReport, PolicyChoice } from './explain-report.ts';
import type { StepOutcome } from './decision-steps.ts';

const OUTCOME_WORDS: Readonly<Record<StepOutcome, string>> = {
  pass: 'pass', fail: 'FAIL', not_reached: 'not reached', skipped: 'skipped', not_enforced: 'not enforced', answered: 'answered',
};

function why(policy: PolicyChoice): string {
  if (policy.selectedBy === 'reference') return 'named by the route (context_extensions audienceguard.dev/policy)';
  const where = policy.metadataPath !== undefined ? `its metadata path ${policy.metadataPath}` : `path prefix ${policy.pathPrefix ?? '?'}`;
  return `chosen by host ${policy.host ?? '?'} and ${where}`;
}

function decisionLine(report: ExplainReport): string {
  switch (report.decision) {
    case 'allow':
      return report.notEnforced === null ? 'allow' : `allow (${report.notEnforced} not enforced: mode Permissive)`;
    case 'metadata':
      return 'metadata (answered with the RFC 9728 document)';
    case 'deny':
      return `deny: ${report.reason ?? '?'}`;
  }
}

function responseLines(report: ExplainReport): string[] {
  const { response } = report;
  const goesOn = response.grpcCode === 0 ? ' (the request goes on to the upstream)' : '';
  const lines = [`  gRPC status code ${String(response.grpcCode)}${goesOn}`];
  if (response.reply !== undefined) {
    lines.push(`  HTTP ${String(response.reply.status)} from Envoy`);
    for (const header of response.reply.headers) lines.push(`  ${header.name}: ${header.value}`);
    lines.push('', `  ${response.reply.body}`);
  }
  if (response.upstream !== undefined) {
    for (const header of response.upstream.setHeaders) lines.push(`  set header ${header.name}: ${header.value}`);
    if (response.upstream.removeHeaders.length > 0) lines.push(`  remove headers: ${response.upstream.removeHeaders.join(', ')}`);
    if (response.upstream.removeQueryParameters.length > 0) {
      lines.push(`  remove query parameters: ${response.upstream.removeQueryParameters.join(', ')}`);
    }
  }
  const metadata = Object.entries(response.dynamicMetadata).map(([key, value]) => `${key}=${value}`);
  if (metadata.length > 0) lines.push(`  dynamic metadata: ${metadata.join(' ')}`);
  return lines;
}

function indented(value: unknown): string[] {
  return JSON.stringify(value, null, 2).split('\n').map((line) => `  ${line}`);
}

export function explainText(report: ExplainReport): string {
  const lines = [`decision: ${decisionLine(report)}`];
  lines.push(report.policy === null
    ? 'policy:   none selected'
    : `policy:   ${report.policy.id}, ${why(report.policy)} (mode ${report.policy.mode})`);
  if (report.policy !== null) {
    const scopes = report.policy.requiredScopes.length === 0 ? 'no scopes' : `scopes ${report.policy.requiredScopes.join(' ')}`;
    lines.push(`accepts:  aud ${report.policy.audiences.join(', ')}; requires ${scopes}`);
  }
  if (report.detail !== null) {
    const details = Object.entries(report.detail).map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(' ') : String(value)}`);
    lines.push(`detail:   ${details.join(', ')}`);
  }
  lines.push('', 'steps:');
  for (const step of report.steps) {
    const head = `  ${String(step.step).padStart(2)}  ${step.name.padEnd(20)} ${OUTCOME_WORDS[step.result]}`;
    lines.push(step.note === undefined ? head : `${head.padEnd(38)} ${step.note}`);
  }
  lines.push('', 'response:', ...responseLines(report), '');
  if (report.token === null) {
    lines.push('token: none, or not a compact JWS (nothing to decode)');
  } else {
    lines.push('token header (decoded, for display only):', ...indented(report.token.header));
    lines.push('token claims (decoded, for display only):', ...indented(report.token.claims));
  }
  if (report.notes.length > 0) lines.push('', 'notes:', ...report.notes.map((note) => `  ${note}`));
  return `${lines.join('\n')}\n`;
}
