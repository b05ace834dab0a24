import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A FAKE S3 endpoint (path-style PUT, HEAD and GET of objects), for the one third party the tests cannot run here.
 * It checks no signatures; it stores bodies in memory.
 */
export async function startFakeS3Server() {
  const objects = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const key = decodeURIComponent(new URL(req.url ?? '/', 'http://fake').pathname);
      if (req.method === 'PUT') {
        objects.set(key, Buffer.concat(chunks));
        res.writeHead(200, { etag: '"fake"' }).end();
        return;
      }
      const body = objects.get(key);
      if (!body) {
        res
          .writeHead(404, { 'content-type': 'application/xml' })
          .end(req.method === 'HEAD' ? undefined : '<Error><Code>NoSuchKey</Code></Error>');
        return;
      }
      res.writeHead(200, {
        'content-length': String(body.length),
        'content-type': 'application/octet-stream',
        etag: '"fake"',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
