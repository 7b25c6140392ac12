import type { UserPayload } from '@ticketing/common';

/** An account as the API shows it and the session cookie carries it: id and email, never the hash. */
export const toUserPayload = (user: { id: string; email: string }): UserPayload => ({ id: user.id, email: user.email });
