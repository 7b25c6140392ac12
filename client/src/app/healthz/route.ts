// Liveness for the launcher and Kubernetes: the server process answers.
export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json({ status: 'ok' });
}
