import { Agent as HttpPool, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsPool, request as httpsRequest } from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { formatDuration } from '../config';
import { errorReason, type WaggleError } from '../errors';
import { injectTraceContext } from '../observability';
import { secretKey, signedHeaders } from '../webhooks';
import type { AgentAction, Turn, TurnAgent, TurnStream } from './agent';
import { NdjsonAnswer, jsonAnswerActions } from './agent-answer';
import { AgentAnswerInvalidError, AgentRefusedError, AgentUnavailableError } from './agent-errors';
import { turnRequest } from './turn-request';

/** Keep-alive connection pools HTTP agents send their requests over. */
export interface AgentConnections {
  http: HttpPool;
  https: HttpsPool;
}

/**
 * New keep-alive pools (`maxSockets` per agent host); one set per process serves every HTTP agent. A turn
 * holds one connection while its agent thinks, so the pool must not be what bounds turns in flight: the turn
 * processor's concurrency (1,000) is.
 */
export function agentConnections(maxSockets = 1_024): AgentConnections {
  return {
    http: new HttpPool({ keepAlive: true, maxSockets }),
    https: new HttpsPool({ keepAlive: true, maxSockets }),
  };
}

export interface HttpAgentOptions {
  /** Where turns are POSTed (http:// or https://). */
  url: string;
  /** `whsec_…`: turns are signed with it (Standard Webhooks). */
  secret: string;
  /** Longest a turn's whole answer may take, streamed text included. @default 30_000 */
  timeoutMs?: number;
  /** Largest answer read, in bytes. @default 1_048_576 */
  maxAnswerBytes?: number;
  /** @default keep-alive pools of its own */
  connections?: AgentConnections;
}

const DEFAULT_AGENT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ANSWER_BYTES = 1_048_576;
/** Bytes of a refusal's body quoted in the error. */
const EXCERPT_BYTES = 512;
const JSON_TYPE = 'application/json';
const NDJSON_TYPE = 'application/x-ndjson';

/**
 * An agent behind an HTTP endpoint, in any language: each turn is POSTed as JSON, signed with Standard
 * Webhooks headers (`webhook-id` is the turn id), and the answer is either `application/json`
 * `{"actions": […]}` or `application/x-ndjson` — `{"type":"delta","text":…}` lines handed to the turn's
 * stream as they arrive, then one `{"type":"actions","actions":[…]}` line. An aborted `signal` cuts the
 * request at once. 408/429/5xx, timeouts and network failures throw AgentUnavailableError (retried); other
 * 4xx AgentRefusedError and anything unreadable AgentAnswerInvalidError (parked).
 */
export class HttpAgent implements TurnAgent {
  readonly name: string;
  private readonly target: URL;
  private readonly secret: string;
  private readonly timeoutMs: number;
  private readonly maxAnswerBytes: number;
  private readonly connections: AgentConnections;

  constructor(options: HttpAgentOptions) {
    this.target = new URL(options.url);
    if (this.target.protocol !== 'http:' && this.target.protocol !== 'https:') {
      throw new RangeError(`agent URL "${options.url}" is not http:// or https://`);
    }
    secretKey(options.secret);
    this.secret = options.secret;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_AGENT_TIMEOUT_MS;
    this.maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    this.connections = options.connections ?? agentConnections();
    // The query string is left out: it may carry a token.
    this.name = `the agent at ${this.target.origin}${this.target.pathname}`;
  }

  respond(turn: Turn, signal: AbortSignal, stream?: TurnStream): Promise<AgentAction[]> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const body = JSON.stringify(turnRequest(turn));
    // With tracing on, the agent gets the `traceparent` of the turn's `agent call` span.
    const headers = injectTraceContext({
      'content-type': JSON_TYPE,
      'content-length': String(Buffer.byteLength(body)),
      accept: `${NDJSON_TYPE}, ${JSON_TYPE}`,
      'user-agent': 'waggle-agents/1',
      ...signedHeaders(this.secret, turn.turnId, Math.floor(Date.now() / 1000), body),
    });
    const https = this.target.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const request = (https ? httpsRequest : httpRequest)(this.target, {
        method: 'POST',
        headers,
        agent: https ? this.connections.https : this.connections.http,
      });
      let settled = false;
      const finish = () => {
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const exchange: Exchange = {
        done(actions) {
          if (settled) return;
          finish();
          resolve(actions);
        },
        fail(err) {
          if (settled) return;
          finish();
          // Closing the connection is how the agent learns to stop.
          request.destroy();
          reject(err);
        },
      };
      const onAbort = () => exchange.fail(signal.reason);
      const timer = setTimeout(
        () =>
          exchange.fail(
            new AgentUnavailableError(
              `${this.name} gave no complete answer within ${formatDuration(this.timeoutMs)}`,
            ),
          ),
        this.timeoutMs,
      );
      signal.addEventListener('abort', onAbort, { once: true });
      request.on('error', (err) =>
        exchange.fail(
          new AgentUnavailableError(`${this.name} could not be reached: ${errorReason(err)}`, { cause: err }),
        ),
      );
      request.on('response', (response) => this.read(response, turn.turnId, stream, exchange));
      request.end(body);
    });
  }

  private read(response: IncomingMessage, turnId: string, stream: TurnStream | undefined, x: Exchange): void {
    response.on('error', (err) =>
      x.fail(
        new AgentUnavailableError(`${this.name} broke off its answer: ${errorReason(err)}`, { cause: err }),
      ),
    );
    response.on('close', () => {
      if (!response.complete) x.fail(new AgentUnavailableError(`${this.name} broke off its answer`));
    });
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) return this.readRefusal(response, status, x);
    const media = (response.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (media !== JSON_TYPE && media !== NDJSON_TYPE) {
      return x.fail(
        new AgentAnswerInvalidError(
          `${this.name} answered ${media ? `content-type ${media}` : 'without a content-type'}; ` +
            `expected ${JSON_TYPE} or ${NDJSON_TYPE}`,
        ),
      );
    }
    const ndjson = media === NDJSON_TYPE ? new NdjsonAnswer(turnId, stream) : undefined;
    const decoder = new StringDecoder('utf8');
    let size = 0;
    let text = '';
    response.on('data', (chunk: Buffer) => {
      try {
        size += chunk.length;
        if (size > this.maxAnswerBytes) {
          throw new AgentAnswerInvalidError(`${this.name} answered more than ${this.maxAnswerBytes} bytes`);
        }
        text += decoder.write(chunk);
        if (!ndjson) return;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
          const line = text.slice(0, nl);
          text = text.slice(nl + 1);
          ndjson.line(line.replace(/\r$/, ''));
        }
      } catch (err) {
        x.fail(this.named(err));
      }
    });
    response.on('end', () => {
      try {
        text += decoder.end();
        if (!ndjson) return x.done(jsonAnswerActions(text, turnId));
        if (text) ndjson.line(text.replace(/\r$/, ''));
        x.done(ndjson.end());
      } catch (err) {
        x.fail(this.named(err));
      }
    });
  }

  // An answer's fault names the agent that gave it; anything else (the stream's own failure) stays as it is.
  private named(err: unknown): unknown {
    if (!(err instanceof AgentAnswerInvalidError) || err.message.startsWith(this.name)) return err;
    return new AgentAnswerInvalidError(`${this.name}: ${err.message}`, { cause: err });
  }

  // Reads the start of a refusal's body for the error, then classifies it.
  private readRefusal(response: IncomingMessage, status: number, x: Exchange): void {
    const chunks: Buffer[] = [];
    let size = 0;
    const give = () => {
      const excerpt = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8').trim();
      x.fail(refusal(this.name, status, excerpt));
    };
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= EXCERPT_BYTES) give();
    });
    response.on('end', give);
  }
}

interface Exchange {
  done(actions: AgentAction[]): void;
  fail(err: unknown): void;
}

function refusal(name: string, status: number, excerpt: string): WaggleError {
  const detail = `${name} answered HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) return new AgentUnavailableError(detail);
  return new AgentRefusedError(status, detail);
}
