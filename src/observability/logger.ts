import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Fields every log line may carry so one message can be followed from the door to the last line. */
export interface LogContext {
  tenant?: string;
  correlationId?: string;
  messageId?: string;
  sessionId?: string;
  [key: string]: unknown;
}

export interface LoggerOptions {
  /** @default 'info' */
  level?: string;
  /** Human-readable lines through pino-pretty instead of JSON. @default false */
  pretty?: boolean;
}

// Process-wide logging configuration, the one module-level variable kept on purpose: every log line of the
// process goes through one pino root (its level and destination), which `configureLogger` sets once at boot
// before anything logs. Nothing else is stored here.
let root: Logger = pino({ level: 'info', base: { service: 'waggle' } });

/** (Re)configures the one root logger; called once at boot from the config. */
export function configureLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  root = options.pretty
    ? pino({
        level,
        base: { service: 'waggle' },
        transport: { target: 'pino-pretty', options: { colorize: true } },
      })
    : pino({ level, base: { service: 'waggle' }, timestamp: pino.stdTimeFunctions.isoTime });
  return root;
}

/** The root logger, or a child carrying `context` (tenant, correlation id, message id, …) on every line. */
export function logger(context?: LogContext): Logger {
  return context ? root.child(context) : root;
}
