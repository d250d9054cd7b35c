import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface RawRequest {
  method: string;
  /** Sent exactly as given (malformed percent-encoding included). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Keep-alive, like a browser: the fuzzer also checks that no answer poisons the connection. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/**
 * One request with node's own client — supertest would normalise the path and the body — and a
 * deadline: an answer later than `deadlineMs` is a hung request and rejects.
 */
export function sendRaw(base: string, request: RawRequest, deadlineMs = 3000): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: hostname,
        port,
        method: request.method,
        path: request.path,
        headers: { ...request.headers, ...(request.body ? { 'Content-Length': String(request.body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${deadlineMs} ms: ${request.method} ${request.path.slice(0, 120)}`));
    }, deadlineMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(request.body);
  });
}

export function closeAgent(): void {
  agent.destroy();
}
