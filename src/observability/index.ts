export { configureLogger, logger, type LogContext, type Logger, type LoggerOptions } from './logger';
export { counter, gauge, histogram, registry } from './metrics';
export { HealthRegistry, type ComponentHealth, type HealthCheck, type HealthReport } from './health-registry';
