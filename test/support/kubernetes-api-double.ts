/**
 * KubernetesAPIDouble: an in-process HTTP server that speaks the Kubernetes
 * API's list/watch protocol for AudiencePolicies, plus the few other calls the
 * service makes (status patches, Leases, Secrets). It stands in for a real API
 * server, which cannot run on these machines, and follows its documented
 * behaviour ("Efficient detection of changes", "Resource versions"):
 *   - every write bumps a global resourceVersion; list returns it in metadata;
 *   - a watch without resourceVersion (or "0") starts with ADDED for every object;
 *   - a watch from an older resourceVersion replays the events since then;
 *   - a watch from a compacted resourceVersion gets 410 Gone: by default as an
 *     ERROR event in a 200 stream, or (`goneAs = 'http-status'`) as a plain
 *     HTTP 410 Status answer — a real API server does either, depending on
 *     where the version is found to be too old (watch cache or storage);
 *   - bookmarks (when allowed) carry only a resourceVersion;
 *   - the watch body is a chunked stream of JSON lines, closed at timeoutSeconds;
 *   - spec changes bump metadata.generation; status writes do not, but do emit MODIFIED;
 *   - a status patch is applied as a JSON merge patch (RFC 7386: null removes a field).
 * Faults are switched on by tests: 500s, slow answers, dropped watch connections.
 * Driven by the real @kubernetes/client-node client through a kubeconfig that
 * points at plain http with insecure-skip-tls-verify (loopback only).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };
interface WatchEvent { readonly rv: number; readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: Obj }
interface Watcher { readonly namespace: string | undefined; readonly response: ServerResponse; readonly bookmarks: boolean }

const GROUP_PATH = '/apis/audienceguard.dev/v1alpha1';

export interface RecordedRequest { readonly method: string; readonly path: string; readonly contentType: string | undefined; readonly body: unknown }

export class KubernetesAPIDouble {
  readonly #server: Server;
  readonly #objects = new Map<string, Obj>();
  readonly #events: WatchEvent[] = [];
  readonly #watchers = new Set<Watcher>();
  readonly leases = new Map<string, Obj>();
  readonly secrets = new Map<string, Obj>();
  /** Status patches received so far (method PATCH on .../status). */
  statusPatches(name?: string): RecordedRequest[] {
    return this.requests.filter((request) => request.method === 'PATCH' && request.path.endsWith('/status') && (name === undefined || request.path.endsWith(`/${name}/status`)));
  }

  /** Every non-GET request, for assertions on status writes. */
  readonly requests: RecordedRequest[] = [];
  /** Every request as Kubernetes authorization sees it: API group, resource, verb, namespace. */
  readonly accesses: { readonly group: string; readonly resource: string; readonly verb: string; readonly namespace: string | undefined; readonly name: string | undefined }[] = [];
  #rv = 100;
  #compactedBefore = 0;
  #uid = 0;
  /** Answer the next N list requests with 500. */
  failLists = 0;
  /** Lists of these namespaces answer 500 while they are in the set. */
  readonly failListsIn = new Set<string>();
  /** How a watch from a compacted resourceVersion is refused (see the header). */
  goneAs: 'error-event' | 'http-status' = 'error-event';
  /** Answer the next N status patches with 500. */
  failStatusPatches = 0;
  /** Delay every answer by this many ms. */
  delayMs = 0;
  /** Hold status patches this long before answering (status writes must not block checks). */
  statusPatchDelayMs = 0;
  /** While true, every request gets 503 (the API server is down). */
  unavailable = false;
  /** When set, a request it refuses gets 403 Forbidden, as from RBAC (test/support/rbac.ts). */
  authorize: ((access: KubernetesAPIDouble['accesses'][number]) => boolean) | undefined;
  listCount = 0;
  watchCount = 0;

  constructor() {
    this.#server = createServer((request, response) => { void this.#handle(request, response); });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this.port;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'double', server: `http://127.0.0.1:${this.port}`, skipTLSVerify: true }],
      users: [{ name: 'tester', token: 'not-a-real-token' }],
      contexts: [{ name: 'double', cluster: 'double', user: 'tester' }],
      currentContext: 'double',
    });
    return config;
  }

  /** Creates or replaces an AudiencePolicy (like `kubectl apply`). */
  apply(policy: Record<string, unknown>): Obj {
    const metadata = (policy.metadata ?? {}) as Record<string, unknown>;
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
    const key = `${namespace}/${String(metadata.name)}`;
    const existing = this.#objects.get(key);
    this.#rv += 1;
    const specChanged = existing === undefined || JSON.stringify(existing.spec) !== JSON.stringify(policy.spec);
    const object: Obj = {
      apiVersion: 'audienceguard.dev/v1alpha1',
      kind: 'AudiencePolicy',
      ...policy,
      status: existing?.status,
      metadata: {
        ...metadata,
        namespace,
        uid: existing?.metadata.uid ?? `uid-${String(++this.#uid)}`,
        creationTimestamp: existing?.metadata.creationTimestamp ?? metadata.creationTimestamp ?? new Date(Date.now() + this.#uid).toISOString(),
        generation: (existing?.metadata.generation as number | undefined ?? 0) + (specChanged ? 1 : 0),
        resourceVersion: String(this.#rv),
      },
    };
    if (object.status === undefined) delete object.status;
    this.#objects.set(key, object);
    this.#emit(existing === undefined ? 'ADDED' : 'MODIFIED', object);
    return object;
  }

  delete(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const existing = this.#objects.get(key);
    if (existing === undefined) return;
    this.#objects.delete(key);
    this.#rv += 1;
    this.#emit('DELETED', { ...existing, metadata: { ...existing.metadata, resourceVersion: String(this.#rv) } });
  }

  get(namespace: string, name: string): Obj | undefined {
    return this.#objects.get(`${namespace}/${name}`);
  }

  /** Forgets history: a watch from before now gets 410 Gone. */
  compact(): void {
    this.#compactedBefore = this.#rv;
    this.#events.length = 0;
  }

  /** Sends a BOOKMARK to every watcher that allowed them. */
  bookmark(): void {
    for (const watcher of this.#watchers) {
      if (watcher.bookmarks) this.#write(watcher, { type: 'BOOKMARK', object: { kind: 'AudiencePolicy', apiVersion: 'audienceguard.dev/v1alpha1', metadata: { resourceVersion: String(this.#rv) } } });
    }
  }

  /** Cuts every open watch connection without a proper end (a dropped TCP connection). */
  dropWatches(): void {
    for (const watcher of this.#watchers) watcher.response.socket?.destroy();
    this.#watchers.clear();
  }

  /** Sends a 410 ERROR event on every open watch (of `namespace`, when given), as after a compaction while watching. */
  expireWatches(namespace?: string): void {
    this.compact();
    for (const watcher of this.#watchersIn(namespace)) {
      this.#write(watcher, { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version', reason: 'Expired', code: 410 } });
      watcher.response.end();
      this.#watchers.delete(watcher);
    }
  }

  /** Ends every open watch (of `namespace`, when given) cleanly, as at its timeoutSeconds. */
  closeWatches(namespace?: string): void {
    for (const watcher of this.#watchersIn(namespace)) {
      watcher.response.end();
      this.#watchers.delete(watcher);
    }
  }

  #watchersIn(namespace: string | undefined): Watcher[] {
    return [...this.#watchers].filter((watcher) => namespace === undefined || watcher.namespace === namespace);
  }

  openWatches(): number {
    return this.#watchers.size;
  }

  async close(): Promise<void> {
    for (const watcher of this.#watchers) watcher.response.end();
    this.#watchers.clear();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #emit(type: WatchEvent['type'], object: Obj): void {
    const event = { rv: this.#rv, type, object: structuredClone(object) };
    this.#events.push(event);
    for (const watcher of this.#watchers) {
      if (watcher.namespace === undefined || watcher.namespace === object.metadata.namespace) this.#write(watcher, { type, object: event.object });
    }
  }

  #write(watcher: Watcher, event: unknown): void {
    watcher.response.write(`${JSON.stringify(event)}\n`);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://double');
    const body = await readBody(request);
    const access = accessOf(request.method ?? 'GET', url);
    this.accesses.push(access);
    if (this.authorize !== undefined && !this.authorize(access)) { sendStatus(response, 403, 'Forbidden', `${access.resource} "${access.name ?? ''}" is forbidden: cannot ${access.verb} in namespace "${access.namespace ?? ''}"`); return; }
    if (request.method !== 'GET') this.requests.push({ method: request.method ?? '', path: url.pathname, contentType: request.headers['content-type'], body });
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.unavailable) { sendStatus(response, 503, 'ServiceUnavailable', 'the API server is down'); return; }
    const json = (status: number, value: unknown): void => { response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value)); };

    let match = new RegExp(`^${GROUP_PATH}(?:/namespaces/([^/]+))?/audiencepolicies$`).exec(url.pathname);
    if (match !== null && request.method === 'GET') {
      const namespace = match[1];
      if (url.searchParams.get('watch') === 'true') { this.#watch(url, namespace, response); return; }
      this.listCount += 1;
      if (namespace !== undefined && this.failListsIn.has(namespace)) { sendStatus(response, 500, 'InternalError', 'injected failure'); return; }
      if (this.failLists > 0) {
        this.failLists -= 1;
        sendStatus(response, 500, 'InternalError', 'injected failure'); return;
      }
      const items = [...this.#objects.values()].filter((object) => namespace === undefined || object.metadata.namespace === namespace);
      json(200, { apiVersion: 'audienceguard.dev/v1alpha1', kind: 'AudiencePolicyList', metadata: { resourceVersion: String(this.#rv) }, items }); return;
    }
    match = new RegExp(`^${GROUP_PATH}/namespaces/([^/]+)/audiencepolicies/([^/]+)/status$`).exec(url.pathname);
    if (match !== null && request.method === 'PATCH') {
      if (this.statusPatchDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.statusPatchDelayMs));
      if (this.failStatusPatches > 0) {
        this.failStatusPatches -= 1;
        sendStatus(response, 500, 'InternalError', 'injected failure'); return;
      }
      const object = this.#objects.get(`${match[1] ?? ''}/${match[2] ?? ''}`);
      if (object === undefined) { sendStatus(response, 404, 'NotFound', 'not found'); return; }
      if (request.headers['content-type'] !== 'application/merge-patch+json') { sendStatus(response, 415, 'UnsupportedMediaType', 'expected merge patch'); return; }
      this.#rv += 1;
      const updated: Obj = { ...object, status: mergePatch(object.status, (body as { status?: unknown }).status), metadata: { ...object.metadata, resourceVersion: String(this.#rv) } };
      if (updated.status === undefined) delete updated.status;
      this.#objects.set(`${match[1] ?? ''}/${match[2] ?? ''}`, updated);
      this.#emit('MODIFIED', updated);
      json(200, updated); return;
    }
    match = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/.exec(url.pathname);
    if (match !== null) { this.#lease(request.method ?? 'GET', match[1] ?? '', match[2], body, json); return; }
    match = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(url.pathname);
    if (match !== null && request.method === 'GET') {
      const secret = this.secrets.get(`${match[1] ?? ''}/${match[2] ?? ''}`);
      secret === undefined ? sendStatus(response, 404, 'NotFound', 'secret not found') : json(200, secret); return;
    }
    sendStatus(response, 404, 'NotFound', `no route for ${request.method ?? ''} ${url.pathname}`);
  }

  #watch(url: URL, namespace: string | undefined, response: ServerResponse): void {
    this.watchCount += 1;
    const watcher: Watcher = { namespace, response, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true' };
    const from = url.searchParams.get('resourceVersion');
    const current = from === null || from === '' || from === '0';
    if (!current && Number(from) < this.#compactedBefore && this.goneAs === 'http-status') { sendStatus(response, 410, 'Expired', `too old resource version: ${from}`); return; }
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    response.flushHeaders(); // the API server answers a watch at once; events follow as they happen
    const inScope = (object: Obj): boolean => namespace === undefined || object.metadata.namespace === namespace;
    if (current) {
      for (const object of this.#objects.values()) if (inScope(object)) this.#write(watcher, { type: 'ADDED', object });
    } else if (Number(from) < this.#compactedBefore) {
      this.#write(watcher, { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `too old resource version: ${from}`, reason: 'Expired', code: 410 } });
      response.end();
      return;
    } else {
      for (const event of this.#events) if (event.rv > Number(from) && inScope(event.object)) this.#write(watcher, { type: event.type, object: event.object });
    }
    this.#watchers.add(watcher);
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '0');
    const timer = timeout > 0 ? setTimeout(() => { this.#watchers.delete(watcher); response.end(); }, timeout * 1000) : undefined;
    response.on('close', () => {
      clearTimeout(timer);
      this.#watchers.delete(watcher);
    });
  }

  #lease(method: string, namespace: string, name: string | undefined, body: unknown, json: (status: number, value: unknown) => void): void {
    const key = `${namespace}/${name ?? ''}`;
    const existing = this.leases.get(key);
    if (method === 'GET') {
      if (existing === undefined) { json(404, statusBody(404, 'NotFound', 'lease not found')); return; }
      json(200, existing);
      return;
    }
    const lease = body as Obj;
    if (method === 'POST') {
      const createdKey = `${namespace}/${String(lease.metadata.name)}`;
      if (this.leases.has(createdKey)) { json(409, statusBody(409, 'AlreadyExists', 'lease exists')); return; }
      this.#rv += 1;
      const created = { ...lease, metadata: { ...lease.metadata, namespace, resourceVersion: String(this.#rv) } };
      this.leases.set(createdKey, created);
      json(201, created);
      return;
    }
    if (method === 'PUT') {
      if (existing === undefined) { json(404, statusBody(404, 'NotFound', 'lease not found')); return; }
      if (lease.metadata.resourceVersion !== existing.metadata.resourceVersion) { json(409, statusBody(409, 'Conflict', 'the object has been modified')); return; }
      this.#rv += 1;
      const replaced = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(this.#rv) } };
      this.leases.set(key, replaced);
      json(200, replaced);
      return;
    }
    json(405, statusBody(405, 'MethodNotAllowed', method));
  }
}

/** RFC 7386 JSON merge patch: objects merge key by key, null removes a key, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base = new Map(typeof target === 'object' && target !== null && !Array.isArray(target) ? Object.entries(target) : []);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) base.delete(key);
    else base.set(key, mergePatch(base.get(key), value));
  }
  return Object.fromEntries(base);
}

function statusBody(code: number, reason: string, message: string): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function sendStatus(response: ServerResponse, code: number, reason: string, message: string): void {
  response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(statusBody(code, reason, message)));
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The RBAC attributes of a request (Kubernetes "Authorization Overview": request attributes). */
function accessOf(method: string, url: URL): KubernetesAPIDouble['accesses'][number] {
  const parts = url.pathname.split('/').filter((part) => part !== '');
  // /api/v1/... (core group) or /apis/GROUP/VERSION/...
  const group = parts[0] === 'api' ? '' : parts[1] ?? '';
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource = '', name, subresource] = rest;
  const watch = url.searchParams.get('watch') === 'true';
  const verb = { GET: name === undefined ? (watch ? 'watch' : 'list') : 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? method.toLowerCase();
  return { group, resource: subresource === undefined ? resource : `${resource}/${subresource}`, verb, namespace, name };
}
