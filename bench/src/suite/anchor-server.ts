/**
 * A bare `node:http` server in a process of its own, answering every request with the same status and bytes:
 * the anchor a figure is read against. Its own process, as the gateway has its own, so that the load
 * generator never shares an event loop with the server it measures. Forked by load.ts's `startAnchor`: it
 * receives one message (what to answer), sends back its port, and exits when the suite disconnects.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AnchorOrders {
  status: number;
  body: string;
  contentType: string;
}

process.once('message', (orders: AnchorOrders) => {
  const bytes = Buffer.from(orders.body);
  const server = http.createServer((request, response) => {
    // Drain the request body as any server must, then answer the same bytes every time.
    request.resume();
    request.on('end', () => {
      response.writeHead(orders.status, { 'content-type': orders.contentType, 'content-length': bytes.length });
      response.end(bytes);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
});
process.on('disconnect', () => process.exit(0));
