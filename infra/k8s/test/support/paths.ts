import path from 'node:path';

/** The repository root and the folders these checks read. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const K8S_DIR = path.join(REPO_ROOT, 'infra', 'k8s');
export const DOCKER_DIR = path.join(REPO_ROOT, 'infra', 'docker');

export const OVERLAYS = ['dev', 'prod', 'dev-gateway-api', 'prod-gateway-api'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** Production overlays: replicas, autoscaling, disruption budgets, real Stripe, the NATS cluster. */
export const isProd = (overlay: Overlay): boolean => overlay.startsWith('prod');
/** Overlays whose edge is Gateway API routes instead of the Ingress. */
export const usesGatewayApi = (overlay: Overlay): boolean => overlay.endsWith('gateway-api');

export const overlayDir = (overlay: Overlay): string => path.join(K8S_DIR, 'overlays', overlay);
