// deploy/traefik/ and deploy/ingress-nginx/: the forward-auth wiring the README's
// "HTTP front end" section describes. Each manifest is schema-checked by
// deploy-manifests.test.ts (kubernetes-models for Ingress, a structural check of
// Traefik's documented fields); here, what each must say for the client's
// token and forged headers never to get past the proxy.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseManifests } from '../support/chart-render.ts';
import { REPO_ROOT } from '../support/helm.ts';
import type { Manifest } from '../support/manifest-schemas.ts';
import { middlewareProblems } from '../support/traefik-schemas.ts';

const DEPLOY = join(REPO_ROOT, 'deploy');
const VALUES = parse(readFileSync(join(REPO_ROOT, 'charts', 'audience-guard', 'values.yaml'), 'utf8')) as { httpAuthz: { port: number; servicePort: number } };
const ADDRESS = `http://audience-guard.audience-guard.svc.cluster.local:${String(VALUES.httpAuthz.servicePort)}/`;

function folder(name: string): Manifest[] {
  return readdirSync(join(DEPLOY, name)).filter((file) => file.endsWith('.yaml')).flatMap((file) => parseManifests(readFileSync(join(DEPLOY, name, file), 'utf8')));
}

function find(manifests: readonly Manifest[], kind: string, name: string): Manifest & { spec: Record<string, unknown> } {
  const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
  assert.ok(found, `${kind} ${name}`);
  return found as Manifest & { spec: Record<string, unknown> };
}

const FAMILY_HEADERS = /^(x-forwarded-|x-original-)/i;

describe('deploy/ forward-auth proxies', () => {
  for (const name of ['traefik', 'ingress-nginx', 'nginx', 'caddy']) {
    it(`must give the steps for deploy/${name}/ and protect https://weather.example.com/mcp`, () => {
      assert.match(readFileSync(join(DEPLOY, name, 'README.md'), 'utf8'), /## Steps/);
      assert.equal((find(folder(name), 'AudiencePolicy', 'weather').spec as { resource: string }).resource, 'https://weather.example.com/mcp');
    });
  }

  describe('traefik/', () => {
    const forwardAuth = (): Record<string, unknown> => find(folder('traefik'), 'Middleware', 'audience-guard').spec.forwardAuth as Record<string, unknown>;

    it('must ask the forward-auth port, with Traefik\'s own X-Forwarded-* headers only', () => {
      assert.equal(forwardAuth().address, ADDRESS);
      assert.equal(forwardAuth().trustForwardHeader, false);
    });

    it('attack: a client-sent X-Original-URI (another family) or certificate header must not be passed to the check', () => {
      const passed = forwardAuth().authRequestHeaders as string[];
      assert.ok(passed.includes('Authorization') && passed.includes('DPoP'));
      assert.deepEqual(passed.filter((header) => FAMILY_HEADERS.test(header) || /cert/i.test(header)), []);
    });

    it('attack: the client\'s Authorization and DPoP must not reach the MCP server, and a token in the query must find no route', () => {
      assert.deepEqual(forwardAuth().authResponseHeaders, ['Authorization', 'DPoP']);
      const [route] = find(folder('traefik'), 'IngressRoute', 'weather-mcp').spec.routes as { match: string; middlewares: { name: string }[] }[];
      assert.ok(route);
      assert.deepEqual(route.middlewares.map((middleware) => middleware.name), ['audience-guard', 'audience-guard-strip'], 'checked first, then stripped');
      assert.match(route.match, /&& !QueryRegexp\(`access_token`, `\.\*`\)$/);
      const strip = find(folder('traefik'), 'Middleware', 'audience-guard-strip').spec.headers as { customRequestHeaders: Record<string, string> };
      assert.equal(strip.customRequestHeaders.DPoP, '');
    });

    it('must route the RFC 9728 metadata URL to the forward-auth listener itself', () => {
      const metadata = find(folder('traefik'), 'IngressRoute', 'weather-mcp-metadata');
      const [route] = metadata.spec.routes as { match: string; services: { name: string; port: number }[] }[];
      assert.match(route?.match ?? '', /PathPrefix\(`\/\.well-known\/oauth-protected-resource`\)/);
      assert.deepEqual(route?.services, [{ name: 'audience-guard', port: VALUES.httpAuthz.servicePort }]);
      assert.equal(metadata.metadata.namespace, 'audience-guard');
    });

    it('must refuse a Middleware with a misspelt forwardAuth field', () => {
      const broken = structuredClone(find(folder('traefik'), 'Middleware', 'audience-guard'));
      (broken.spec.forwardAuth as Record<string, unknown>).trustForwardHeaders = false;
      assert.deepEqual(middlewareProblems(broken), ['spec.forwardAuth.trustForwardHeaders is not a field']);
    });
  });

  describe('ingress-nginx/', () => {
    const annotations = (name: string): Record<string, string> => find(folder('ingress-nginx'), 'Ingress', name).metadata.annotations as Record<string, string>;

    it('must ask the forward-auth port and copy the upstream credential from its answer', () => {
      assert.equal(annotations('weather-mcp')['nginx.ingress.kubernetes.io/auth-url'], ADDRESS);
      assert.deepEqual(annotations('weather-mcp')['nginx.ingress.kubernetes.io/auth-response-headers']?.split(','), ['Authorization', 'DPoP']);
    });

    it('attack: a client forging X-Original-URI or X-Forwarded-Uri next to the controller\'s X-Original-URL must have them cleared in the auth request', () => {
      const snippet = annotations('weather-mcp')['nginx.ingress.kubernetes.io/auth-snippet'] ?? '';
      for (const header of ['X-Forwarded-Method', 'X-Forwarded-Uri', 'X-Original-URI', 'X-Client-Cert']) {
        assert.match(snippet, new RegExp(`proxy_set_header ${header} "";`), header);
      }
    });

    it('attack: a token in the query string must be refused before the MCP server sees it', () => {
      assert.match(annotations('weather-mcp')['nginx.ingress.kubernetes.io/configuration-snippet'] ?? '', /if \(\$arg_access_token != ""\) \{\s*return 400;/);
    });

    it('must route the RFC 9728 metadata URL to the forward-auth listener with the family\'s headers', () => {
      const metadata = find(folder('ingress-nginx'), 'Ingress', 'weather-mcp-metadata');
      const snippet = annotations('weather-mcp-metadata')['nginx.ingress.kubernetes.io/configuration-snippet'] ?? '';
      assert.match(snippet, /proxy_set_header X-Original-URL \$scheme:\/\/\$http_host\$request_uri;/);
      assert.match(snippet, /proxy_set_header X-Original-Method \$request_method;/);
      const rules = metadata.spec.rules as { http: { paths: { path: string; backend: { service: { name: string; port: { name: string } } } }[] } }[];
      const [path] = rules[0]?.http.paths ?? [];
      assert.ok(path);
      assert.equal(path.path, '/.well-known/oauth-protected-resource');
      assert.deepEqual(path.backend.service, { name: 'audience-guard', port: { name: 'http-authz' } });
      assert.equal(annotations('weather-mcp-metadata')['nginx.ingress.kubernetes.io/auth-url'], undefined, 'answered, not checked');
    });
  });
});
