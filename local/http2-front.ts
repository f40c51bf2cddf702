/**
 * One port, HTTP/1.1 and HTTP/2 without TLS, for an HTTP/1.1 emulator: each connection is told apart by its
 * first bytes. The AWS SDK v3 Kinesis client speaks HTTP/2 by default and kinesalite only HTTP/1.1, so a plain
 * `new KinesisClient()` pointed at it failed with a protocol error.
 */
import type * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';

/** The first bytes of every HTTP/2 connection without TLS ("prior knowledge", RFC 9113 §3.3). */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Headers HTTP/1.1 servers set that HTTP/2 forbids (RFC 9113 §8.2.2); Node's compat layer throws on them. */
const HTTP1_ONLY_HEADERS = /^(connection|keep-alive|proxy-connection|transfer-encoding|upgrade)$/i;

/** An HTTP/2 (h2c) front: every request of an HTTP/2 connection goes to the server's own request handler (Node's compatibility API). */
function http2Front(server: http.Server): http2.Http2Server {
  const front = http2.createServer();
  front.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name: string, value: number | string | readonly string[]) =>
      HTTP1_ONLY_HEADERS.test(name) ? res : setHeader(name, value);
    server.emit('request', req, res);
  });
  return front;
}

/** A TCP listener that hands each connection to `server` (HTTP/1.1) or to its HTTP/2 front; listen on `listener`. */
export function http1AndHttp2(server: http.Server): { listener: net.Server; h2: http2.Http2Server } {
  const h2 = http2Front(server);
  const listener = net.createServer((socket) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, HTTP2_PREFACE.length);
      const isH2 = head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
      if (isH2 && n < HTTP2_PREFACE.length) return; // a partial preface: wait for more
      socket.removeListener('data', onData);
      socket.pause();
      socket.unshift(head);
      if (isH2) {
        h2.emit('connection', socket); // the session reads what is buffered, then the socket itself
      } else {
        server.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
    socket.on('error', () => undefined); // a client that goes away before its first byte
  });
  return { listener, h2 };
}
