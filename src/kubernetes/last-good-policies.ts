/**
 * What each AudiencePolicy object puts into the next snapshot. Objects are
 * judged one at a time, and a refused update never removes what the object
 * protected — its paths must not fall through to a laxer policy:
 *
 *   accepted                      its latest generation serves
 *   refused, accepted earlier     the last accepted version keeps serving
 *                                 (remembered per object uid, in memory only)
 *   refused, nothing accepted     a placeholder holds its claims and denies them
 *                                 503 `policy_unavailable` (src/policy/unavailable-policy.ts)
 *   refused, no claim readable    nothing; its status says it claims nothing
 *
 * "Refused" covers every verdict of the validator and the tenant rules alike.
 * A deleted object is forgotten; a re-created one has a new uid and starts afresh.
 */
import type { KubernetesObject } from './kubernetes-object.ts';
import type { AudiencePolicyDocument } from '../policy/policy-schema.ts';
import type { AgedPolicyDocument } from '../policy/policy-store.ts';
import type { RuntimePolicy } from '../core/runtime-policy.ts';
import { unavailablePolicy } from '../policy/unavailable-policy.ts';
import type { PolicyProblem, PolicyValidation } from '../policy/validate-policy.ts';

/** What serves for a refused object: its last accepted version, a placeholder holding its claims, or nothing. */
export type StandIn = 'last_accepted' | 'placeholder' | 'none';

/** An object as last seen, with the verdict of the validator. */
export interface ObservedPolicy {
  readonly object: KubernetesObject;
  readonly id: string;
  /** Empty when accepted. */
  readonly problems: readonly PolicyProblem[];
  /** Set when refused. */
  readonly standIn?: StandIn;
}

/** One rebuild's input for the store, and what status needs to know. */
export interface PolicyRound {
  readonly observed: ObservedPolicy[];
  readonly documents: AgedPolicyDocument[];
  readonly placeholders: RuntimePolicy[];
  /** Ids whose document is the last accepted version, not the latest. */
  readonly stale: string[];
  /** Objects that put nothing into the snapshot. */
  refused: number;
}

const CLAIMS_NOTHING: PolicyProblem = {
  path: '/spec',
  message: 'no host that this namespace may claim could be read from spec.hosts or spec.resource, ' +
    'so the policy holds no claim and requests go to the other policies',
};

interface Judged {
  readonly resourceVersion: string | undefined;
  readonly validation: PolicyValidation;
  /** The stand-in for a refused object without an accepted version (undefined: it claims nothing). */
  readonly placeholder: RuntimePolicy | undefined;
}

function createdAt(object: KubernetesObject): number {
  const stamp = object.metadata?.creationTimestamp;
  const time = stamp instanceof Date ? stamp.getTime() : typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
  return Number.isNaN(time) ? 0 : time;
}

export class LastGoodPolicies {
  readonly #validate: (object: KubernetesObject) => PolicyValidation;
  readonly #mayClaimHost: (namespace: string, host: string) => boolean;
  /** Verdicts by object id, reused while its resourceVersion is unchanged. */
  #judged = new Map<string, Judged>();
  /** The last accepted document of each object, by uid. */
  #accepted = new Map<string, AudiencePolicyDocument>();

  constructor(validate: (object: KubernetesObject) => PolicyValidation, mayClaimHost: (namespace: string, host: string) => boolean) {
    this.#validate = validate;
    this.#mayClaimHost = mayClaimHost;
  }

  /** Judges every current object; objects not given are forgotten. */
  round(objects: Iterable<readonly [string, KubernetesObject]>): PolicyRound {
    const round: PolicyRound = { observed: [], documents: [], placeholders: [], stale: [], refused: 0 };
    const judgedNow = new Map<string, Judged>();
    const acceptedNow = new Map<string, AudiencePolicyDocument>();
    for (const [id, object] of objects) {
      const { validation, placeholder } = this.#judge(id, object, judgedNow);
      const uid = object.metadata?.uid;
      // Ties in creation time go to the policy id (no load order here), so an
      // unchanged object keeps its compiled form across rebuilds.
      const age = { createdAt: createdAt(object), loadOrder: 0, identity: uid };
      if (validation.valid) {
        if (uid !== undefined) acceptedNow.set(uid, validation.policy);
        round.documents.push({ origin: id, document: validation.policy, ...age });
        round.observed.push({ object, id, problems: [] });
        continue;
      }
      const previous = uid === undefined ? undefined : this.#accepted.get(uid);
      if (uid !== undefined && previous !== undefined) {
        acceptedNow.set(uid, previous);
        round.documents.push({ origin: id, document: previous, ...age });
        round.stale.push(id);
        round.observed.push({ object, id, problems: validation.problems, standIn: 'last_accepted' });
      } else if (placeholder !== undefined) {
        round.placeholders.push(placeholder);
        round.observed.push({ object, id, problems: validation.problems, standIn: 'placeholder' });
      } else {
        round.refused += 1;
        round.observed.push({ object, id, problems: [...validation.problems, CLAIMS_NOTHING], standIn: 'none' });
      }
    }
    this.#judged = judgedNow;
    this.#accepted = acceptedNow;
    return round;
  }

  #judge(id: string, object: KubernetesObject, into: Map<string, Judged>): Judged {
    const resourceVersion = object.metadata?.resourceVersion;
    const cached = this.#judged.get(id);
    const judged = cached !== undefined && resourceVersion !== undefined && cached.resourceVersion === resourceVersion
      ? cached
      : this.#fresh(object, resourceVersion);
    into.set(id, judged);
    return judged;
  }

  #fresh(object: KubernetesObject, resourceVersion: string | undefined): Judged {
    const validation = this.#validate(object);
    if (validation.valid) return { resourceVersion, validation, placeholder: undefined };
    const namespace = object.metadata?.namespace ?? '';
    const placeholder = unavailablePolicy(object, {
      createdAt: createdAt(object),
      loadOrder: 0,
      mayClaimHost: (host) => this.#mayClaimHost(namespace, host),
    });
    return { resourceVersion, validation, placeholder };
  }
}
