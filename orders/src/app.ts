import type { Express } from 'express';
import { createServiceApp, type ReadinessProbe } from '@ticketing/common/http';
import { admissionSettings, sessionSettings } from '@ticketing/common/config';
import { type Logger } from '@ticketing/common/logging';
import { type UnitOfWork } from '@ticketing/common/outbox';
import { type SessionVersionCheck, type SharedRateLimits } from '@ticketing/common/middleware';
import { type OrdersConfig } from './config';
import { ordersRoutes } from './routes';
import { reservationRefusedFromMemory } from './routes/create-order';
import type { LiveOrders } from './orders/live-orders';
import type { ReservationMemory } from './orders/reservation-memory';

export interface OrdersAppDependencies extends ReservationMemory {
  config: OrdersConfig;
  unitOfWork: UnitOfWork;
  logger: Logger;
  readiness: ReadinessProbe;
  /** Users' current session versions (Redis, through a short cache named in service.ts). */
  sessionVersions: SessionVersionCheck;
  rateLimits: SharedRateLimits;
  /** The live streams of this process (fed from the bus: service.ts's live feed). */
  liveOrders: LiveOrders;
}

/** The orders service's HTTP app; it never listens (the service core does, tests use supertest). */
export function buildApp({
  config,
  unitOfWork,
  logger,
  readiness,
  sessionVersions,
  rateLimits,
  liveOrders,
  heldTickets,
  attemptsUnderWay,
  requestsUnderWay,
  ticketReplicaChanges,
}: OrdersAppDependencies): Express {
  const memory = { heldTickets, attemptsUnderWay, requestsUnderWay, ticketReplicaChanges };
  return createServiceApp({
    logger,
    session: { ...sessionSettings(config), versions: sessionVersions },
    admission: admissionSettings(config),
    readiness,
    earlyAnswers: [reservationRefusedFromMemory(memory)],
    routes: ordersRoutes(unitOfWork, config, rateLimits, liveOrders, memory),
  });
}
