import { z } from 'zod';
import { liveStreamEnvironment, loadConfig, serviceEnvironment, sessionEnvironment } from '@ticketing/common';

/** The tickets service's environment: the shared variables, the session it reads and its live streams. */
export const ticketsEnvironment = serviceEnvironment(3002)
  .extend(sessionEnvironment.shape)
  .extend(liveStreamEnvironment.shape);

export type TicketsConfig = z.output<typeof ticketsEnvironment>;

/** Reads and validates `process.env` once; the only place the service reads it. */
export function loadTicketsConfig(env: NodeJS.ProcessEnv = process.env): Readonly<TicketsConfig> {
  return loadConfig(ticketsEnvironment, env);
}
