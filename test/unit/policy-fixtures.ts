// Shared builders for unit tests: a minimal valid AudiencePolicy document and
// its compiled runtime form. Tests override only the fields a rule is about.
import { compilePolicy } from '../../src/policy/compile-policy.ts';
import type { AudiencePolicyDocument, AudiencePolicySpec } from '../../src/policy/policy-schema.ts';
import type { RuntimePolicy } from '../../src/core/runtime-policy.ts';

export const RESOURCE = 'https://mcp.example.com/mcp';
export const ISSUER = 'https://idp.example.com/realms/mcp';

export interface DocumentOptions {
  readonly name?: string;
  readonly namespace?: string;
}

export function policySpec(overrides: Partial<AudiencePolicySpec> = {}): AudiencePolicySpec {
  return { resource: RESOURCE, issuers: [{ issuer: ISSUER }], ...overrides };
}

export function policyDocument(overrides: Partial<AudiencePolicySpec> = {}, options: DocumentOptions = {}): AudiencePolicyDocument {
  return {
    apiVersion: 'audienceguard.dev/v1alpha1',
    kind: 'AudiencePolicy',
    metadata: { name: options.name ?? 'weather', namespace: options.namespace ?? 'mcp' },
    spec: policySpec(overrides),
  };
}

export interface RuntimeOptions extends DocumentOptions {
  readonly createdAt?: number;
  readonly loadOrder?: number;
}

export function runtimePolicy(overrides: Partial<AudiencePolicySpec> = {}, options: RuntimeOptions = {}): RuntimePolicy {
  return compilePolicy(policyDocument(overrides, options), { createdAt: options.createdAt ?? 0, loadOrder: options.loadOrder ?? 0 });
}
