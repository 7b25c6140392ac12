import type { RequestHandler } from 'express';

/**
 * Sets `req.protocol` (and so `req.secure`, which cookie-session asks before writing a Secure cookie) from
 * the `X-Forwarded-Proto` entry written by the outermost of the `trustedHops` proxies in front of the service.
 *
 * Express believes the leftmost entry whenever the peer is trusted; a proxy that appends to the header leaves
 * there what the client claimed. Each hop speaks for the connection it received, so with one trusted hop
 * (the edge) the rightmost entry is its word and anything left of it came from beyond. With no trusted hop,
 * or no usable entry, the socket decides.
 */
export function protocolFromTrustedHops(trustedHops: number): RequestHandler {
  return (req, _res, next) => {
    const socketProtocol = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    let protocol = socketProtocol;
    const header = req.headers['x-forwarded-proto'];
    if (trustedHops > 0 && typeof header === 'string') {
      const entries = header
        .split(',')
        .map((entry) => entry.trim().toLowerCase())
        .filter(Boolean);
      const stated = entries[Math.max(0, entries.length - trustedHops)];
      if (stated === 'http' || stated === 'https') protocol = stated;
    }
    // An own property shadows Express's getter on the request prototype, for this request only.
    Object.defineProperty(req, 'protocol', { value: protocol, configurable: true, enumerable: true });
    next();
  };
}
