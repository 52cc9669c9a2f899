/**
 * Traefik's CRDs (traefik.io/v1alpha1) have no npm model: the parts we ship,
 * Middleware (forwardAuth, headers) and IngressRoute, are checked against the
 * fields of Traefik v3's documented API (the Middleware and IngressRoute
 * reference pages), so a misspelt field fails here instead of being ignored
 * by Traefik.
 */
import type { Manifest } from './manifest-schemas.ts';

const MIDDLEWARE_KINDS = new Set(['addPrefix', 'basicAuth', 'buffering', 'chain', 'circuitBreaker', 'compress', 'contentType', 'digestAuth',
  'errors', 'forwardAuth', 'grpcWeb', 'headers', 'inFlightReq', 'ipAllowList', 'passTLSClientCert', 'plugin', 'rateLimit', 'redirectRegex',
  'redirectScheme', 'replacePath', 'replacePathRegex', 'retry', 'stripPrefix', 'stripPrefixRegex']);
const FORWARD_AUTH_FIELDS = new Set(['address', 'tls', 'trustForwardHeader', 'authResponseHeaders', 'authResponseHeadersRegex',
  'authRequestHeaders', 'addAuthCookiesToResponse', 'headerField', 'forwardBody', 'maxBodySize', 'preserveLocationHeader', 'preserveRequestMethod']);
const HEADERS_FIELDS = new Set(['customRequestHeaders', 'customResponseHeaders', 'accessControlAllowCredentials', 'accessControlAllowHeaders',
  'accessControlAllowMethods', 'accessControlAllowOriginList', 'accessControlAllowOriginListRegex', 'accessControlExposeHeaders',
  'accessControlMaxAge', 'addVaryHeader', 'allowedHosts', 'hostsProxyHeaders', 'sslProxyHeaders', 'stsSeconds', 'stsIncludeSubdomains',
  'stsPreload', 'forceSTSHeader', 'frameDeny', 'customFrameOptionsValue', 'contentTypeNosniff', 'browserXssFilter', 'customBrowserXSSValue',
  'contentSecurityPolicy', 'contentSecurityPolicyReportOnly', 'publicKey', 'referrerPolicy', 'permissionsPolicy', 'isDevelopment']);
const ROUTE_FIELDS = new Set(['kind', 'match', 'middlewares', 'priority', 'services', 'syntax', 'observability']);
const SERVICE_FIELDS = new Set(['name', 'namespace', 'kind', 'port', 'scheme', 'strategy', 'passHostHeader', 'responseForwarding',
  'serversTransport', 'weight', 'nativeLB', 'nodePortLB', 'sticky', 'healthCheck']);

function keysOutside(value: unknown, allowed: ReadonlySet<string>, path: string): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path} must be an object`];
  return Object.keys(value).filter((key) => !allowed.has(key)).map((key) => `${path}.${key} is not a field`);
}

const isStringList = (value: unknown): boolean => Array.isArray(value) && value.every((item) => typeof item === 'string');

export function middlewareProblems(manifest: Manifest): string[] {
  const spec = manifest.spec as Record<string, unknown> | undefined;
  if (spec === undefined) return ['spec is required'];
  const problems = keysOutside(spec, MIDDLEWARE_KINDS, 'spec');
  if (Object.keys(spec).length !== 1) problems.push('spec must hold exactly one middleware');
  const forwardAuth = spec.forwardAuth as Record<string, unknown> | undefined;
  if (forwardAuth !== undefined) {
    problems.push(...keysOutside(forwardAuth, FORWARD_AUTH_FIELDS, 'spec.forwardAuth'));
    if (typeof forwardAuth.address !== 'string' || !/^https?:\/\//.test(forwardAuth.address)) problems.push('spec.forwardAuth.address must be an http(s) URL');
    for (const field of ['authResponseHeaders', 'authRequestHeaders', 'addAuthCookiesToResponse']) {
      if (forwardAuth[field] !== undefined && !isStringList(forwardAuth[field])) problems.push(`spec.forwardAuth.${field} must be a list of strings`);
    }
    for (const field of ['trustForwardHeader', 'forwardBody', 'preserveLocationHeader', 'preserveRequestMethod']) {
      if (forwardAuth[field] !== undefined && typeof forwardAuth[field] !== 'boolean') problems.push(`spec.forwardAuth.${field} must be a boolean`);
    }
  }
  const headers = spec.headers as Record<string, unknown> | undefined;
  if (headers !== undefined) {
    problems.push(...keysOutside(headers, HEADERS_FIELDS, 'spec.headers'));
    for (const field of ['customRequestHeaders', 'customResponseHeaders']) {
      const map = headers[field];
      if (map !== undefined && (map === null || typeof map !== 'object' || Object.values(map).some((value) => typeof value !== 'string'))) {
        problems.push(`spec.headers.${field} must map names to strings`);
      }
    }
  }
  return problems;
}

export function ingressRouteProblems(manifest: Manifest): string[] {
  const spec = manifest.spec as Record<string, unknown> | undefined;
  if (spec === undefined) return ['spec is required'];
  const problems = keysOutside(spec, new Set(['entryPoints', 'routes', 'tls', 'parentRefs']), 'spec');
  const routes = spec.routes;
  if (!Array.isArray(routes) || routes.length === 0) return [...problems, 'spec.routes must list at least one route'];
  routes.forEach((route: unknown, index) => {
    const at = `spec.routes[${String(index)}]`;
    problems.push(...keysOutside(route, ROUTE_FIELDS, at));
    const { kind, match, middlewares, services } = route as Record<string, unknown>;
    if (kind !== 'Rule') problems.push(`${at}.kind must be Rule`);
    if (typeof match !== 'string' || match === '') problems.push(`${at}.match is required`);
    if (middlewares !== undefined && (!Array.isArray(middlewares) || middlewares.some((item) => keysOutside(item, new Set(['name', 'namespace']), '').length > 0))) {
      problems.push(`${at}.middlewares must be {name, namespace} references`);
    }
    if (!Array.isArray(services) || services.length === 0) problems.push(`${at}.services must list a service`);
    else services.forEach((service: unknown, serviceIndex) => { problems.push(...keysOutside(service, SERVICE_FIELDS, `${at}.services[${String(serviceIndex)}]`)); });
  });
  return problems;
}
