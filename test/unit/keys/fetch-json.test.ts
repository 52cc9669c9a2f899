// Bounded JSON fetch for JWKS and discovery documents (jose leaves these to the
// caller): a 200 with a JSON object or an error; never a redirect, never more
// than maxBytes, never longer than timeoutMs; error messages safe to log, so
// they never carry the response body.
import { strict as assert } from 'node:assert';
import { fetchJSONObject, FetchJSONError, type FetchLimits } from '../../../src/keys/fetch-json.ts';
import { json, refusedURL, startLocalServer, type Handler, type LocalServer } from './local-http.ts';

const LIMITS: FetchLimits = { timeoutMs: 2_000, maxBytes: 1_024 };
/** Put in every response body: it must never show up in an error message. */
const MARKER = 'body-marker-7f3a9c';

async function failure(url: string, limits: FetchLimits = LIMITS): Promise<FetchJSONError> {
  try {
    await fetchJSONObject(url, limits);
  } catch (error) {
    assert.ok(error instanceof FetchJSONError, `expected a FetchJSONError, got ${String(error)}`);
    assert.ok(!error.message.includes(MARKER), `the error message must not echo the body: ${error.message}`);
    return error;
  }
  assert.fail('expected the fetch to fail');
}

describe('fetchJSONObject (bounded JSON fetch)', () => {
  let server: LocalServer | undefined;

  async function serve(handler: Handler): Promise<string> {
    server = await startLocalServer(handler);
    return `${server.origin}/doc`;
  }

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('returns the object of a 200 JSON answer', async () => {
    const url = await serve((_request, response) => { json(response, 200, { issuer: 'https://idp.example.com', keys: [] }); });
    assert.deepEqual(await fetchJSONObject(url, LIMITS), { issuer: 'https://idp.example.com', keys: [] });
  });

  it('asks for application/json', async () => {
    let accept: string | undefined;
    const url = await serve((request, response) => {
      accept = request.headers.accept;
      json(response, 200, {});
    });
    await fetchJSONObject(url, LIMITS);
    assert.equal(accept, 'application/json');
  });

  for (const status of [201, 204, 304, 404, 500, 503]) {
    it(`fails on HTTP ${status}, naming the status`, async () => {
      const url = await serve((_request, response) => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(status === 204 || status === 304 ? undefined : JSON.stringify({ keys: [], note: MARKER }));
      });
      const error = await failure(url);
      assert.match(error.message, new RegExp(`\\b${status}\\b`));
    });
  }

  for (const status of [301, 302, 307, 308]) {
    it(`never follows a redirect (${status} with Location)`, async () => {
      const target = await startLocalServer((_request, response) => { json(response, 200, { keys: [] }); });
      try {
        const url = await serve((_request, response) => {
          response.writeHead(status, { location: `${target.origin}/elsewhere` }).end(MARKER);
        });
        const error = await failure(url);
        assert.match(error.message, new RegExp(`\\b${status}\\b`));
        assert.deepEqual(target.requests, [], 'the redirect target must not be requested');
      } finally {
        await target.close();
      }
    });
  }

  it('fails when the declared content-length exceeds maxBytes', async () => {
    const body = JSON.stringify({ keys: [], padding: MARKER.repeat(200) });
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    const error = await failure(url);
    assert.match(error.message, /larger than 1024 bytes/);
  });

  it('fails when a chunked body (no content-length) grows past maxBytes', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }); // no content-length: chunked
      response.write('{"keys":[],"padding":"');
      for (let index = 0; index < 50; index += 1) response.write(MARKER.repeat(10));
      response.end('"}');
    });
    const error = await failure(url);
    assert.match(error.message, /larger than 1024 bytes/);
  });

  it('accepts a chunked body of exactly maxBytes', async () => {
    const prefix = '{"padding":"';
    const suffix = '"}';
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(prefix);
      response.write('x'.repeat(LIMITS.maxBytes - prefix.length - suffix.length));
      response.end(suffix);
    });
    const value = await fetchJSONObject(url, LIMITS);
    assert.equal((value.padding as string).length, LIMITS.maxBytes - prefix.length - suffix.length);
  });

  it('fails on malformed JSON without quoting it', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(`{"keys": [${MARKER}`);
    });
    const error = await failure(url);
    assert.match(error.message, /malformed JSON/);
  });

  for (const [label, body] of [['an array', `["${MARKER}"]`], ['a string', `"${MARKER}"`], ['null', 'null'], ['a number', '42']] as const) {
    it(`fails when the JSON is ${label}, not an object`, async () => {
      const url = await serve((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      });
      const error = await failure(url);
      assert.match(error.message, /not an object/);
    });
  }

  it('fails within timeoutMs when the server never answers, and says so', async function () {
    this.timeout(10_000);
    const url = await serve(() => undefined); // accepts the request, never answers
    const error = await failure(url, { timeoutMs: 200, maxBytes: 1_024 });
    assert.match(error.message, /^timeout \(no answer within 200 ms\)$/);
  });

  it('fails within timeoutMs when the body stalls after the headers', async function () {
    this.timeout(10_000);
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(`{"note":"${MARKER}`); // and never the rest
    });
    const error = await failure(url, { timeoutMs: 200, maxBytes: 1_024 });
    assert.match(error.message, /^timeout \(no answer within 200 ms\)$/);
  });

  it('fails when the connection is refused', async () => {
    const error = await failure(await refusedURL());
    assert.match(error.message, /unreachable/);
  });

  it('attack: a failure must not name the address a name resolved to (no port scanner in status)', async () => {
    const closed = new URL(await refusedURL());
    for (const url of [`http://localhost:${closed.port}/jwks`, `https://localhost:${closed.port}/jwks`]) {
      const error = await failure(url);
      assert.equal(error.message, 'unreachable');
    }
  });
});
