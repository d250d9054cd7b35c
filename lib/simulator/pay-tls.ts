import https from 'node:https';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Request } from 'express';
import type { SimServer } from './types';

export interface TlsListenOptions {
  /** The server certificate and key (PEM), for 127.0.0.1 / localhost. */
  cert: string | Buffer;
  key: string | Buffer;
  /** The CA that issued merchant client certificates: only those are accepted on certificate APIs. */
  ca: string | Buffer;
  port?: number;
  host?: string;
}

/**
 * Over TLS, a certificate API needs a client certificate from the CA with CN = mch_id (WeChat
 * issues apiclient_cert with the mch_id as CN). Over plain HTTP there is nothing to check.
 */
export function clientCertOk(req: Request, mchid: string): boolean {
  const socket = req.socket as TLSSocket;
  if (!socket.encrypted) return true;
  if (!socket.authorized) return false;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return (Array.isArray(cn) ? cn[0] : cn) === mchid;
}

/**
 * Serve `handler` over HTTPS, asking every client for a certificate but not refusing the
 * handshake without one: like WeChat's single pay host, only the certificate APIs insist.
 */
export function listenTls(options: TlsListenOptions, handler: RequestListener): Promise<SimServer> {
  const server = https.createServer({ cert: options.cert, key: options.key, ca: options.ca, requestCert: true, rejectUnauthorized: false }, handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `https://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
