/**
 * How the service reaches what a policy names. In Kubernetes mode tenants
 * write the policies: their endpoints are reached only over https and never at
 * loopback or link-local addresses (README "Endpoints in Kubernetes mode";
 * `--allow-insecure-endpoints` lifts that for development), client secrets come
 * from Secrets in the policy's namespace, and secret files only from below
 * `DIR/<namespace>/` of a `--secret-file-dir` (the rules that admitted the
 * policy). Policy files are the operator's own: plain fetch, any secret file.
 *
 * The guard and the Kubernetes client (~20 MiB of heap, ~55 MiB of RSS) are
 * loaded only in Kubernetes mode.
 */
import type { KubernetesOptions } from '../kubernetes/kubernetes-policies.ts';
import type { SecretReader } from '../kubernetes/secret-reader.ts';
import type { EndpointFetch } from '../net/endpoint-failure.ts';

export interface TenantAccess {
  /** How issuer and token endpoints are fetched; undefined: the global fetch. */
  readonly endpointFetch: EndpointFetch | undefined;
  readonly secrets: SecretReader | undefined;
  /** Where secret files may be read, per namespace; undefined: anywhere (file mode). */
  readonly secretFileDirs: readonly string[] | undefined;
}

export async function tenantAccess(kubernetes: KubernetesOptions | undefined): Promise<TenantAccess> {
  if (kubernetes === undefined) return { endpointFetch: undefined, secrets: undefined, secretFileDirs: undefined };
  const endpointFetch = kubernetes.tenantRules?.allowInsecureEndpoints === true
    ? undefined
    : (await import('../net/endpoint-guard.ts')).guardedFetch();
  const { SecretReader } = await import('../kubernetes/secret-reader.ts');
  return {
    endpointFetch,
    secrets: new SecretReader(kubernetes.config, { ttlMs: kubernetes.secretTTLMs ?? 30_000 }),
    secretFileDirs: kubernetes.tenantRules?.secretFileDirs ?? [],
  };
}
