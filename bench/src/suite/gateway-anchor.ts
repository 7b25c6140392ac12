/**
 * The local gateway of the checkout under test, alone in a process, in front of one upstream (a bare anchor
 * server): what the edge hop costs by itself. Forked by load.ts's `startGatewayAnchor`: it receives the
 * repository and the upstream, sends back its port, and exits when the suite disconnects.
 */
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface GatewayAnchorOrders {
  repo: string;
  upstream: string;
}

process.once('message', (orders: GatewayAnchorOrders) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createGateway } = require(
    path.join(orders.repo, 'infra', 'local', 'dist', 'index.js'),
  ) as typeof import('@ticketing/local-stack');
  const gateway = createGateway([{ prefix: '/', target: orders.upstream }], () => undefined);
  gateway.listen(0, '127.0.0.1', () => process.send?.((gateway.address() as AddressInfo).port));
});
process.on('disconnect', () => process.exit(0));
