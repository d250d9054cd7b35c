import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import axios, { AxiosError } from 'axios';
import { createKeepAliveAxios, WechatClient } from '../../lib/wechat/client';
import { nodeHttpAdapter } from '../../lib/wechat/transport';

/**
 * The axios adapter under the default keep-alive instance, against a real HTTP server on
 * loopback: what it sends, what it gives back, and each way a server can misbehave.
 */

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: unknown;
}

let server: http.Server;
let base: string;
const seen: Seen[] = [];
let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.end('{}');

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, socket: req.socket });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
  handler = (_req, res) => res.end('{"ok":1}');
});

const reason = async (promise: Promise<unknown>): Promise<AxiosError> => {
  try {
    await promise;
  } catch (error) {
    return error as AxiosError;
  }
  throw new Error('expected the request to fail');
};

describe('createKeepAliveAxios: which adapter', () => {
  test.each(['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'])('with %s set, axios\'s own adapter (it reads the proxy settings)', (name) => {
    const saved = { ...process.env };
    for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) delete process.env[k];
    try {
      expect(createKeepAliveAxios().defaults.adapter).toBe(nodeHttpAdapter);
      process.env[name] = 'http://proxy.internal:3128';
      expect(createKeepAliveAxios().defaults.adapter).toBe('http');
    } finally {
      process.env = saved;
    }
  });
});

describe('nodeHttpAdapter: what goes out', () => {
  test('GET with flat params builds the query string, form-encoded', async () => {
    const ax = createKeepAliveAxios();
    const res = await ax.get(`${base}/sns/oauth2/access_token`, { params: { appid: 'wx1', code: 'a b&c', n: 3 } });
    expect(res.status).toBe(200);
    expect(res.data).toBe('{"ok":1}');
    expect(seen[0]!.method).toBe('GET');
    expect(seen[0]!.url).toBe('/sns/oauth2/access_token?appid=wx1&code=a+b%26c&n=3');
  });

  test('property: the fast path sends the same decoded params as axios.getUri would', async () => {
    const fc = (await import('fast-check')).default;
    const ax = createKeepAliveAxios();
    await fc.assert(
      // Keys without surrounding whitespace: axios trims those (a quirk of its serializer; we keep them).
      fc.asyncProperty(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k.trim() === k), fc.string({ maxLength: 12, unit: 'binary' }), { maxKeys: 5 }), async (params) => {
        seen.length = 0;
        await ax.get(`${base}/p`, { params });
        const sent = new URL(seen[0]!.url, base).searchParams;
        const viaAxios = new URL(axios.getUri({ url: `${base}/p`, params })).searchParams;
        expect([...sent]).toEqual([...viaAxios]);
      }),
      { numRuns: 60 },
    );
  });

  test('params are appended to a URL that already has a query', async () => {
    await createKeepAliveAxios().get(`${base}/x?a=1`, { params: { b: '2' } });
    expect(seen[0]!.url).toBe('/x?a=1&b=2');
  });

  test('nested params, a baseURL or a custom serializer go through axios.getUri (same URL axios would send)', async () => {
    const ax = createKeepAliveAxios();
    const nested = { url: '/nested', baseURL: base, params: { a: { b: 1 }, list: [1, 2] } };
    await ax.get(nested.url, nested);
    const expected = new URL(axios.getUri(nested));
    expect(seen[0]!.url).toBe(expected.pathname + expected.search);
    expect(expected.search).not.toBe('');
    await ax.get(`${base}/custom`, { params: { z: 1 }, paramsSerializer: { serialize: () => 'serialized=yes' } });
    expect(seen[1]!.url).toBe('/custom?serialized=yes');
  });

  test('POST sends the string body with its Content-Length and the caller\'s headers', async () => {
    const body = JSON.stringify({ touser: 'o', data: { k: '中文' } });
    await createKeepAliveAxios().post(`${base}/cgi-bin/message`, body, { headers: { 'Content-Type': 'application/json' } });
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.body).toBe(body);
    expect(seen[0]!.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(seen[0]!.headers['content-type']).toBe('application/json');
  });

  test('asks for an uncompressed answer', async () => {
    await createKeepAliveAxios().get(`${base}/`);
    expect(seen[0]!.headers['accept-encoding']).toBe('identity');
  });

  test('request interceptors of the instance still run (axios stays the API)', async () => {
    const ax = createKeepAliveAxios();
    ax.interceptors.request.use((config) => {
      config.headers.set('X-Trace', 'abc');
      return config;
    });
    await ax.get(`${base}/`);
    expect(seen[0]!.headers['x-trace']).toBe('abc');
  });

  test('one keep-alive connection serves consecutive requests', async () => {
    const ax = createKeepAliveAxios();
    for (let i = 0; i < 5; i++) await ax.get(`${base}/${i}`);
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1);
  });

  test('an object body that axios did not serialise is refused, not sent as "[object Object]"', async () => {
    const ax = axios.create({ adapter: nodeHttpAdapter, transformRequest: [(data) => data] });
    const error = await reason(ax.post(`${base}/`, { a: 1 }));
    expect(error.code).toBe(AxiosError.ERR_BAD_REQUEST);
    expect(seen).toHaveLength(0);
  });
});

describe('nodeHttpAdapter: what comes back', () => {
  test.each([
    ['gzip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['deflate', zlib.deflateRawSync],
    ['br', zlib.brotliCompressSync],
  ] as const)('a %s answer sent despite Accept-Encoding: identity is decoded', async (encoding, compress) => {
    handler = (_req, res) => {
      res.setHeader('Content-Encoding', encoding);
      res.end(compress(Buffer.from('{"errcode":0,"errmsg":"ok"}')));
    };
    const res = await createKeepAliveAxios().get(`${base}/`);
    expect(res.data).toBe('{"errcode":0,"errmsg":"ok"}');
  });

  test('an answer over maxContentLength is cut off with an error', async () => {
    handler = (_req, res) => res.end('x'.repeat(10_000));
    const ax = axios.create({ adapter: nodeHttpAdapter, maxContentLength: 1000 });
    const error = await reason(ax.get(`${base}/`));
    expect(error.message).toMatch(/maxContentLength/);
  });

  test('a compression bomb is not inflated past maxContentLength', async () => {
    handler = (_req, res) => {
      res.setHeader('Content-Encoding', 'gzip');
      res.end(zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024))); // 20 MB of zeros, ~20 KB on the wire
    };
    const ax = axios.create({ adapter: nodeHttpAdapter, maxContentLength: 64 * 1024 });
    const error = await reason(ax.get(`${base}/`));
    expect(error.code).toBe(AxiosError.ERR_BAD_RESPONSE);
    // Stopped while inflating (the wire size is under the limit), not by the wire-size check.
    expect((error.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ERR_BUFFER_TOO_LARGE');
  });

  test('an unknown Content-Encoding is an error, not garbage handed to the JSON parser', async () => {
    handler = (_req, res) => {
      res.setHeader('Content-Encoding', 'zstd-ish');
      res.end('abc');
    };
    const error = await reason(createKeepAliveAxios().get(`${base}/`));
    expect(error.code).toBe(AxiosError.ERR_BAD_RESPONSE);
  });

  test('validateStatus is honoured: the default instance keeps every status, a plain one rejects 4xx/5xx', async () => {
    handler = (_req, res) => {
      res.statusCode = 503;
      res.end('<html>busy</html>');
    };
    const kept = await createKeepAliveAxios().get(`${base}/`);
    expect(kept.status).toBe(503);
    const error = await reason(axios.create({ adapter: nodeHttpAdapter }).get(`${base}/`));
    expect(error.response?.status).toBe(503);
    expect(error.code).toBe(AxiosError.ERR_BAD_RESPONSE);
  });

  test('responseType arraybuffer gives the raw bytes', async () => {
    handler = (_req, res) => res.end(Buffer.from([0, 1, 2, 255]));
    const res = await axios.create({ adapter: nodeHttpAdapter, responseType: 'arraybuffer' }).get(`${base}/`);
    expect(Buffer.isBuffer(res.data)).toBe(true);
    expect([...(res.data as Buffer)]).toEqual([0, 1, 2, 255]);
  });

  test('the default JSON transform of a plain instance still applies after the adapter', async () => {
    const res = await axios.create({ adapter: nodeHttpAdapter }).get<{ ok: number }>(`${base}/`);
    expect(res.data).toEqual({ ok: 1 });
  });
});

describe('nodeHttpAdapter: failures', () => {
  test('a server that never answers: ECONNABORTED after the timeout, and WechatClient says 504', async () => {
    handler = () => undefined; // hold the request open
    const error = await reason(createKeepAliveAxios(150).get(`${base}/`));
    expect(error.code).toBe(AxiosError.ECONNABORTED);
    const client = new WechatClient({ endpoints: { api: base }, timeoutMs: 150 });
    await expect(client.apiGet('/cgi-bin/x', {})).rejects.toMatchObject({ code: 'network_error', status: 504 });
  });

  test('the timeout covers the whole answer: a server that trickles bytes does not keep it alive', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      const tick = setInterval(() => res.write(' '), 30);
      res.on('close', () => clearInterval(tick));
    };
    const started = Date.now();
    const error = await reason(createKeepAliveAxios(200).get(`${base}/`));
    expect(error.code).toBe(AxiosError.ECONNABORTED);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('nobody listening: the socket error code is kept, and WechatClient says 502 without the URL', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await reason(createKeepAliveAxios().get(`http://127.0.0.1:${port}/?secret=s3cr3t`));
    expect(error.code).toBe('ECONNREFUSED');
    expect(`${error.message} ${String(error.cause)}`).not.toContain('s3cr3t'); // the adapter's own message holds no URL
    const client = new WechatClient({ endpoints: { api: `http://127.0.0.1:${port}` } });
    const wx = await client.apiGet('/cgi-bin/token', { secret: 's3cr3t' }).catch((e: unknown) => e as Error);
    expect(wx).toMatchObject({ code: 'network_error', status: 502 });
    expect(JSON.stringify(wx) + String((wx as Error).message) + String((wx as Error).cause)).not.toContain('s3cr3t');
  });

  test('the connection dropping mid-answer is a network error', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('{"partial":');
      setTimeout(() => req.socket.destroy(), 10);
    };
    const error = await reason(createKeepAliveAxios().get(`${base}/`));
    expect(error).toBeInstanceOf(AxiosError);
    expect(error.code).toMatch(/ECONNRESET|ERR_NETWORK/);
  });

  test('an AbortSignal shared by many requests is left with no listeners once they are done', async () => {
    const controller = new AbortController();
    // Node ≥ 19.9 reads an EventTarget's listeners; older @types/node lack the typing.
    const { getEventListeners } = (await import('node:events')) as unknown as { getEventListeners(target: EventTarget, name: string): unknown[] };
    const ax = createKeepAliveAxios();
    await Promise.all(Array.from({ length: 20 }, () => ax.get(`${base}/`, { signal: controller.signal })));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  test('a CancelToken cancels the request too', async () => {
    handler = () => undefined;
    const source = axios.CancelToken.source();
    const pending = createKeepAliveAxios().get(`${base}/`, { cancelToken: source.token });
    setTimeout(() => source.cancel('user left'), 20);
    const error = await reason(pending);
    expect(axios.isCancel(error)).toBe(true);
  });

  test.each([
    ['proxy', { proxy: { host: '127.0.0.1', port: 3128 } }],
    ['auth', { auth: { username: 'u', password: 'p' } }],
    ['socketPath', { socketPath: '/tmp/x.sock' }],
  ])('an option it cannot honour (%s) is refused, not silently dropped', async (name, extra) => {
    const error = await reason(createKeepAliveAxios().get(`${base}/`, extra));
    expect(error.code).toBe(AxiosError.ERR_BAD_OPTION_VALUE);
    expect(error.message).toContain(`"${name}"`);
    expect(seen).toHaveLength(0);
  });

  test('an AbortSignal cancels the request', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    const pending = createKeepAliveAxios().get(`${base}/`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const error = await reason(pending);
    expect(error.code).toBe(AxiosError.ERR_CANCELED);
  });

  test('a URL that is not http(s) is refused before anything is sent', async () => {
    const error = await reason(createKeepAliveAxios().get('ftp://127.0.0.1/x'));
    expect(error.code).toBe(AxiosError.ERR_BAD_REQUEST);
    expect(seen).toHaveLength(0);
  });
});
