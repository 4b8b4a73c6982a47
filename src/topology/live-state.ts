import type { Arguments } from './model';
import type { ManagementClient } from './management-client';

export interface LiveExchange {
  name: string;
  type: string;
  durable: boolean;
  auto_delete: boolean;
  internal: boolean;
  arguments: Arguments;
}

export interface LiveQueue {
  name: string;
  type?: string;
  durable: boolean;
  auto_delete: boolean;
  exclusive?: boolean;
  arguments: Arguments;
}

export interface LiveBinding {
  source: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments: Arguments;
}

export interface LiveUser {
  name: string;
  password_hash: string;
  hashing_algorithm: string;
  tags: string[] | string;
}

export interface LivePermission {
  user: string;
  configure: string;
  write: string;
  read: string;
}

export interface LiveTopicPermission {
  user: string;
  exchange: string;
  write: string;
  read: string;
}

/** The exchanges, queues and bindings of one vhost as the management API reports them. */
export interface LiveRouting {
  exchanges: Map<string, LiveExchange>;
  queues: Map<string, LiveQueue>;
  bindings: LiveBinding[];
}

/** Reads the vhost's exchanges, queues and bindings (three requests). */
export async function readLiveRouting(client: ManagementClient): Promise<LiveRouting> {
  const vh = client.vhostPath;
  const [exchanges, queues, bindings] = await Promise.all([
    client.get<LiveExchange[]>(`/exchanges/${vh}?columns=name,type,durable,auto_delete,internal,arguments`),
    client.get<LiveQueue[]>(`/queues/${vh}?columns=name,type,durable,auto_delete,exclusive,arguments`),
    client.get<LiveBinding[]>(`/bindings/${vh}`),
  ]);
  return {
    exchanges: new Map(exchanges.map((e) => [e.name, e])),
    queues: new Map(queues.map((q) => [q.name, q])),
    // the default exchange's implicit bindings are not part of any topology
    bindings: bindings.filter((b) => b.source !== ''),
  };
}

/** The tags of a user, whichever shape (list or comma-separated string) the broker answers with. */
export function tagsOf(user: Pick<LiveUser, 'tags'>): string[] {
  const tags = Array.isArray(user.tags) ? user.tags : user.tags.split(',');
  return tags.map((t) => t.trim()).filter(Boolean);
}
