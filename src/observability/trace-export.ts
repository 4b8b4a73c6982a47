import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/** The samplers OTEL_TRACES_SAMPLER names (the OpenTelemetry specification's list). */
export type TraceSamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export interface TraceExportOptions {
  /** OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces` (OTEL_EXPORTER_OTLP_ENDPOINT). */
  endpoint?: string;
  /** OTLP/HTTP URL of the traces signal, used as is; wins over `endpoint` (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). */
  tracesEndpoint?: string;
  /** A TraceSamplerName (OTEL_TRACES_SAMPLER); anything else is the default. @default 'parentbased_always_on' */
  sampler?: string;
  /** The ratio of the `traceidratio` samplers. @default 1 */
  samplerRatio?: number;
  /** How long spans wait in memory before an export (OTEL_BSP_SCHEDULE_DELAY). @default 5000 */
  scheduleDelayMs?: number;
  /** Resource attributes of this process (service.instance.id…); OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win. */
  attributes?: Record<string, string>;
}

/** The OTLP/HTTP URL spans are sent to, or undefined when neither endpoint is set (tracing off). */
export function tracesUrl(
  options: Pick<TraceExportOptions, 'endpoint' | 'tracesEndpoint'>,
): string | undefined {
  if (options.tracesEndpoint) return options.tracesEndpoint;
  if (!options.endpoint) return undefined;
  return `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * This process's span export: an OpenTelemetry tracer provider with a batching OTLP/HTTP (JSON) exporter,
 * the W3C trace-context propagator and an async-local context manager, registered with the OpenTelemetry API
 * that every room's spans go through. Without an endpoint nothing is registered and the API stays a no-op.
 */
export class TraceExport {
  private constructor(
    private readonly provider: TracerProvider,
    private readonly contextManager: AsyncLocalStorageContextManager,
    /** Where the spans go. */
    readonly url: string,
  ) {}

  /** Starts the export when an endpoint is set; undefined (tracing off, nothing started) otherwise. */
  static start(options: TraceExportOptions): TraceExport | undefined {
    const url = tracesUrl(options);
    if (!url) return undefined;
    // The exporter reads OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and _COMPRESSION itself.
    const exporter = new OTLPTraceExporter({ url });
    const resource = defaultResource()
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'waggle', ...options.attributes }))
      .merge(detectResources({ detectors: [envDetector] }));
    const provider = new TracerProvider({
      resource,
      sampler: samplerOf(options.sampler ?? 'parentbased_always_on', options.samplerRatio ?? 1),
      spanProcessors: [
        new BatchSpanProcessor({ exporter, scheduledDelayMillis: options.scheduleDelayMs ?? 5_000 }),
      ],
    });
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    return new TraceExport(provider, contextManager, url);
  }

  /** Sends the spans still buffered, then unregisters everything: the API is a no-op again. */
  async shutdown(): Promise<void> {
    try {
      await this.provider.shutdown();
    } finally {
      trace.disable();
      propagation.disable();
      context.disable();
      this.contextManager.disable();
    }
  }
}

function samplerOf(name: string, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
