import type { UserPayload } from '@ticketing/common/middleware';

/** An account as the API shows it and the session cookie carries it: id and email, never the hash. */
export const toUserPayload = (user: { id: string; email: string }): UserPayload => ({ id: user.id, email: user.email });

/** A signed-in account: what the API shows, and the session version its new cookie is signed at. */
export interface SignedInAccount {
  user: UserPayload;
  sessionVersion: number;
}

export const toSignedInAccount = (user: { id: string; email: string; sessionVersion: number }): SignedInAccount => ({
  user: toUserPayload(user),
  sessionVersion: user.sessionVersion,
});
