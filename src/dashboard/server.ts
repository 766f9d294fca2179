// `alignkit dashboard`: a small HTTP server over a runs directory (issue 21). Loopback by default;
// bound to any other address only with a token, which every request must carry (?token= or the
// x-alignkit-token header), since the runs may hold data and paths a person would not publish.
// Read-only: GET and HEAD only, and the JSON endpoints (api.ts) never write. The page and its
// script are files built at `npm run build` into dist/web (scripts/build-web.mjs): nothing comes
// from a CDN, so it works offline.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFound, dashboardApi } from './api.js';

export interface DashboardOptions {
  root: string;
  host: string;
  port: number;
  /** Required to bind beyond loopback; one is made up when none is given. */
  token?: string | undefined;
  /** Where the built page is (dist/web by default). */
  webDir?: string;
}

export interface Dashboard {
  server: Server;
  url: string;
  token: string | null;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

export const defaultWebDir = (): string => fileURLToPath(new URL('../../web/', import.meta.url));

const STATIC: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
  });
  res.end(body);
}

function tokenOk(req: IncomingMessage, url: URL, token: string | null): boolean {
  if (token === null) return true;
  const given = url.searchParams.get('token') ?? (req.headers['x-alignkit-token'] as string | undefined) ?? '';
  const a = Buffer.from(given), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function handler(o: Required<Pick<DashboardOptions, 'root' | 'webDir'>>, token: string | null, loopbackOnly: boolean) {
  const api = dashboardApi(o.root);
  const routes: Record<string, (q: URLSearchParams) => unknown> = {
    '/api/runs': () => api.runs(), '/api/metrics': (q) => api.metrics(q), '/api/samples': (q) => api.samples(q),
    '/api/signals': (q) => api.signals(q), '/api/eval': (q) => api.evaluation(q),
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'the dashboard is read-only: GET and HEAD only\n');
    }
    // A page elsewhere must not reach a loopback dashboard through a name that resolves to it (DNS rebinding).
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (loopbackOnly && !isLoopback(host)) return send(res, 403, 'text/plain', `host ${req.headers.host} is not a loopback name\n`);
    if (!tokenOk(req, url, token)) return send(res, 401, 'text/plain', 'this dashboard needs its token: open the URL it printed (…?token=…)\n');
    const route = routes[url.pathname];
    if (route) {
      try {
        return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(route(url.searchParams)));
      } catch (err) {
        return send(res, err instanceof NotFound ? 404 : 500, 'application/json; charset=utf-8', JSON.stringify({ error: (err as Error).message }));
      }
    }
    const file = STATIC[url.pathname];
    if (!file) return send(res, 404, 'text/plain', `no page ${url.pathname}\n`);
    const path = join(o.webDir, file[0]);
    if (!existsSync(path)) return send(res, 500, 'text/plain', `${path} is missing: build the page with npm run build\n`);
    return send(res, 200, file[1], readFileSync(path));
  };
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const loopback = isLoopback(o.host);
  const token = loopback ? o.token ?? null : o.token ?? randomBytes(18).toString('base64url');
  const server = createServer(handler({ root: o.root, webDir: o.webDir ?? defaultWebDir() }, token, loopback));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port, o.host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `http://${shownHost}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  return {
    server, url, token,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
