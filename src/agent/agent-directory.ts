import { TtlCache } from '../tenants';
import type { WaggleConfig } from '../config';
import type { Queryable } from '../db';
import type { TurnAgent } from './agent';
import { findAgentEndpoint, type AgentEndpoint } from './agent-registry';
import { DemoAgent } from './demo-agent';
import { HttpAgent, agentConnections, type AgentConnections } from './http-agent';

export interface AgentDirectoryOptions {
  /** Where the agent registry is read (a pool: a lookup never joins a handler's transaction). */
  db: Queryable;
  /** The agent of tenants without one of their own. @default none: the demo agent answers them */
  fallback?: AgentEndpoint;
  /** How long a tenant's agent is trusted before the registry is read again. @default 30_000 */
  ttlMs?: number;
  /** @default 10_000 */
  maxEntries?: number;
  /** The agent when there is neither a registration nor a fallback. @default a DemoAgent */
  demo?: TurnAgent;
  /** @default keep-alive pools of its own, shared by every agent it makes */
  connections?: AgentConnections;
}

/**
 * Which agent answers a tenant's turns: its own from the agent registry, else the fallback
 * (WAGGLE_AGENT_URL), else the demo agent. Answers come from a bounded cache, so a turn costs no query;
 * a registration changed in the registry takes effect within `ttlMs`.
 */
export class AgentDirectory {
  private readonly cache: TtlCache<Promise<TurnAgent>>;
  private readonly connections: AgentConnections;
  private readonly fallback: TurnAgent;

  constructor(private readonly options: AgentDirectoryOptions) {
    this.cache = new TtlCache(options.ttlMs ?? 30_000, options.maxEntries ?? 10_000);
    this.connections = options.connections ?? agentConnections();
    this.fallback = options.fallback ? this.httpAgent(options.fallback) : (options.demo ?? new DemoAgent());
  }

  /** The agent that answers `tenant`'s turns. */
  agentFor(tenant: string): Promise<TurnAgent> {
    const cached = this.cache.get(tenant);
    if (cached) return cached;
    // The promise is cached, so the turns of one tenant arriving together share one lookup.
    const agent = this.lookUp(tenant);
    this.cache.set(tenant, agent);
    agent.catch(() => {
      if (this.cache.get(tenant) === agent) this.cache.delete(tenant);
    });
    return agent;
  }

  private async lookUp(tenant: string): Promise<TurnAgent> {
    const own = await findAgentEndpoint(this.options.db, tenant);
    return own ? this.httpAgent(own) : this.fallback;
  }

  private httpAgent(endpoint: AgentEndpoint): HttpAgent {
    return new HttpAgent({ ...endpoint, connections: this.connections });
  }
}

/** The agent the configuration names for tenants without their own (WAGGLE_AGENT_URL), if any. */
export function configuredAgent(
  config: Pick<WaggleConfig, 'agentUrl' | 'agentSecret' | 'agentTimeoutMs'>,
): AgentEndpoint | undefined {
  if (!config.agentUrl || !config.agentSecret) return undefined;
  return { url: config.agentUrl, secret: config.agentSecret, timeoutMs: config.agentTimeoutMs };
}
