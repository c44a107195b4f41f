import { request, createServer, type Server } from 'node:http';

/**
 * `make dev REPLICAS=n`'s stand-in for a Service: HTTP on 127.0.0.1:`port`, each request to the
 * next backend in turn (so one game's moves reach every replica, as behind a Service). A backend
 * that refuses the connection (restarting) is skipped for the next one: nothing was sent, so a
 * retry is safe; any other failure answers 502.
 */
export function startDevProxy(port: number, backends: readonly string[]): Promise<Server> {
  let turn = 0;
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const send = (attempt: number) => {
        const target = new URL(backends[turn++ % backends.length]!);
        const upstream = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '' },
          },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        upstream.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNREFUSED' && attempt < backends.length) return send(attempt + 1);
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              statusCode: 502,
              error: 'Bad Gateway',
              message: `no game server answered: ${err.message}`,
            }),
          );
        });
        upstream.end(Buffer.concat(body));
      };
      send(1);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
