/**
 * The AudiencePolicy resource's names in the Kubernetes API: group, version,
 * kind, and the names used in URL paths, RBAC rules and `kubectl`.
 */
export const API_GROUP = 'audienceguard.dev';
export const API_VERSION = 'v1alpha1';
export const KIND = 'AudiencePolicy';
/** The resource's names in the API (`/apis/GROUP/VERSION/…/audiencepolicies`, RBAC rules, `kubectl get ap`). */
export const PLURAL = 'audiencepolicies';
export const SINGULAR = 'audiencepolicy';
export const SHORT_NAMES: readonly string[] = ['audpol'];
