/**
 * What the suite and its stack process (stack-process.ts) tell each other: the environment the process is
 * forked with, and the one message it sends back.
 */
import type { ServiceName } from '@ticketing/local-stack';

/** What the suite learns once the stack is up. */
export interface ReadyMessage {
  kind: 'ready';
  url: string;
  serviceUrls: Partial<Record<ServiceName, string>>;
  /** Every process by its name in the log (`orders`, or `orders#1`, `orders#2` with replicas). */
  processIds: Record<string, number | undefined>;
  /** Processes of every service (the Stripe emulator runs once). */
  replicas: number;
  /** The PostgreSQL admin URL; a service's database is `<namespace>_<service>` on it. */
  databaseUrl: string;
  /** From `startStack` called until every service answered ready. */
  startMs: number;
}

export interface FailedMessage {
  kind: 'failed';
  message: string;
}

/** The stack process reads its orders from the environment the suite forks it with. */
export const STACK_REPO_VARIABLE = 'BENCH_STACK_REPO';
export const STACK_NAMESPACE_VARIABLE = 'BENCH_STACK_NAMESPACE';
/** Processes of every service, as `STACK_REPLICAS` of `npm start`. */
export const STACK_REPLICAS_VARIABLE = 'STACK_REPLICAS';
/** Where every process of the stack writes its CPU profile when it stops (`--cpu-prof`); unset: none. */
export const STACK_CPU_PROFILE_DIR_VARIABLE = 'BENCH_STACK_CPU_PROFILE_DIR';
