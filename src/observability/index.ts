export { configureLogger, logger, type LogContext, type Logger, type LoggerOptions } from './logger';
export { boundHistogram, counter, gauge, histogram, labelledChildren, registry } from './metrics';
export { type BoundHistogram, type HistogramSeries } from './bound-histogram';
export { HealthRegistry, type ComponentHealth, type HealthCheck, type HealthReport } from './health-registry';
export { OutboundCallMetrics, type MeasuredCall, type MetricName } from './outbound-call-metrics';
// Spans: the tracer, messaging attribute names, trace context in and out (every export of spans.ts is public).
export * from './spans';
export { TraceExport, tracesUrl, type TraceExportOptions, type TraceSamplerName } from './trace-export';
