import { z } from 'zod';
import { liveStreamEnvironment } from '@ticketing/common/live';
import { loadConfig, serviceEnvironment, sessionEnvironment } from '@ticketing/common/config';

/** The tickets service's environment: the shared variables, the session it reads, its live streams and the resale cap. */
export const ticketsEnvironment = serviceEnvironment(3002)
  .extend(sessionEnvironment.shape)
  .extend(liveStreamEnvironment.shape)
  .extend({
    /**
     * A resale is capped at the price paid times this: 1 is face value (the law in Ireland and France);
     * TicketSwap allows 1.2. At most four decimals, compared in integer cents (resale-price-cap.ts).
     */
    RESALE_PRICE_CAP: z.coerce
      .number()
      .min(0.01)
      .max(10)
      .refine((cap) => Math.abs(cap * 1e4 - Math.round(cap * 1e4)) < 1e-6, { message: 'at most four decimals' })
      .default(1),
    /**
     * The marketplace's Ed25519 pass key: its 32-byte private key, base64 or base64url
     * (`node -e "console.log(crypto.randomBytes(32).toString('base64url'))"`). Signs every pass code; the public
     * half is published at `GET /api/checkins/key`. `npm start` keeps one in `.data/pass-signing-key`.
     */
    PASS_SIGNING_KEY: z
      .string()
      .trim()
      .refine((key) => /^[A-Za-z0-9+/_-]{43}=?$/.test(key), { message: 'a 32-byte key, base64 or base64url' }),
    /** The door admits a ticket until this many hours after its event's start; later scans are "expired". */
    CHECKIN_WINDOW_HOURS: z.coerce
      .number()
      .positive()
      .max(24 * 14)
      .default(12),
  });

export type TicketsConfig = z.output<typeof ticketsEnvironment>;

/** Reads and validates `process.env` once; the only place the service reads it. */
export function loadTicketsConfig(env: NodeJS.ProcessEnv = process.env): Readonly<TicketsConfig> {
  return loadConfig(ticketsEnvironment, env);
}
