import { z } from 'zod';
import { loadConfig } from '@ticketing/common';
import { EMULATOR_DEFAULT_PORT, EMULATOR_WEBHOOK_SECRET } from './constants';

/** An unset variable and an empty one mean the same: not given. */
const optional = <Schema extends z.ZodType>(schema: Schema) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** The emulator process's environment; every variable has a laptop default. */
export const emulatorEnvironment = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(EMULATOR_DEFAULT_PORT),
  /** Only the machine itself by default: the emulator takes any test key and must not face a network. */
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  /** The payments service's webhook route; without it events are only listed at /_emulator/events. */
  STRIPE_WEBHOOK_URL: optional(z.url({ protocol: /^https?$/ })),
  STRIPE_WEBHOOK_SECRET: z.string().trim().min(1).default(EMULATOR_WEBHOOK_SECRET),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type EmulatorConfig = z.output<typeof emulatorEnvironment>;

/** Reads and validates `process.env` once; the only place the emulator reads it. */
export function loadEmulatorConfig(env: NodeJS.ProcessEnv = process.env): Readonly<EmulatorConfig> {
  return loadConfig(emulatorEnvironment, env);
}
