// Readiness: the server renders. It does not depend on the API being up: pages show their own
// "unavailable" state, which is better than the edge taking the whole site away.
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ status: 'ready' });
}
