export const SERVICES = ['ingest', 'scoring', 'training', 'inference', 'batch', 'monitor'] as const;
export type ServiceName = (typeof SERVICES)[number];
