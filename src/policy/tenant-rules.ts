/**
 * Rules that a policy from the Kubernetes API must also meet because its author
 * is trusted for their own namespace only (multi-tenant safety). They depend on
 * operator flags, so they are not in the CRD: a policy that breaks one is
 * `Accepted=False` with the rule's reason, and nothing it names is read or
 * contacted. File-mode policies are written by the operator and skip them.
 *
 * Each rule is one small function in its own file; this table composes them.
 */
import { hostNotAllowed } from './host-not-allowed-rule.ts';
import { insecureEndpointsRule } from './insecure-endpoints-rule.ts';
import type { NamespaceHostRule } from './namespace-hosts.ts';
import type { AudiencePolicyDocument } from './policy-schema.ts';
import { secretFileRule } from './secret-file-rule.ts';
import type { PolicyProblem } from './validate-policy.ts';

/** The operator's settings that bound what a tenant may configure. */
export interface TenantRuleOptions {
  /** `--secret-file-dir`: a namespace may name files only under `DIR/<namespace>/`. */
  readonly secretFileDirs: readonly string[];
  /** `--allow-insecure-endpoints`: plain http and loopback/link-local endpoints allowed (development). */
  readonly allowInsecureEndpoints: boolean;
  /** `--namespace-hosts`: which hosts each namespace may claim; empty = no operator rule. */
  readonly namespaceHosts: readonly NamespaceHostRule[];
}

export const DEFAULT_TENANT_RULE_OPTIONS: TenantRuleOptions = Object.freeze({
  secretFileDirs: [],
  allowInsecureEndpoints: false,
  namespaceHosts: [],
});

/** A rule: the problems of one valid document from `namespace` (empty: it passes). */
export type TenantRule = (policy: AudiencePolicyDocument, namespace: string, options: TenantRuleOptions) => readonly PolicyProblem[];

const TENANT_RULES: readonly TenantRule[] = [
  secretFileRule,
  insecureEndpointsRule,
  hostNotAllowed,
];

/** Every tenant rule's problems for one document that already passed validation. */
export function tenantProblems(policy: AudiencePolicyDocument, namespace: string, options: TenantRuleOptions): PolicyProblem[] {
  return TENANT_RULES.flatMap((rule) => rule(policy, namespace, options));
}
