import type { Socket } from 'node:net';
import type { BrokerConnection } from './broker-connection';

/**
 * Lets the AMQP frames of the publishes made in one turn of the event loop leave in one socket write.
 * Publishes come in bursts (a ledger batch resolves many admissions at once, a group commit many runs, an
 * agent's deltas), and amqplib would otherwise write each message with a system call of its own. The
 * connection's socket is corked until amqplib's write pass (which runs from setImmediate) is over, so they
 * go out as one writev; frames wait at most two turns.
 */
export class WriteCoalescer {
  private corked: Socket | undefined;

  constructor(private readonly broker: BrokerConnection) {}

  /** Call right before publishing; cheap when already holding. */
  hold(): void {
    if (this.corked) return;
    const socket = socketOf(this.broker);
    if (!socket) return;
    socket.cork();
    this.corked = socket;
    setImmediate(() =>
      setImmediate(() => {
        this.corked = undefined;
        socket.uncork();
      }),
    );
  }
}

// amqplib keeps its socket as `connection.stream` on the ChannelModel; it is not part of the typed API,
// so anything unexpected just means no coalescing.
function socketOf(broker: BrokerConnection): Socket | undefined {
  const model = broker.manager.connection as { connection?: { stream?: unknown } } | undefined;
  const stream = model?.connection?.stream as Partial<Socket> | undefined;
  return stream && typeof stream.cork === 'function' && typeof stream.uncork === 'function'
    ? (stream as Socket)
    : undefined;
}
