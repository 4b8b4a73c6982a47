import amqplib from 'amqplib';
import { amqpUrlFor } from './broker-admin';

/** What admission needs on the broker, as topology/waggle.yaml declares it. */
export const ADMISSION_OBJECTS = {
  events: 'events',
  admissionExchange: 'waggle.admission',
  admissionQueue: 'waggle.admission',
  parkedQueue: 'waggle.admission.parked',
} as const;

/**
 * Declares, in `vhost`, the exchanges and queues admission uses, with the shapes topology/waggle.yaml
 * gives them: the `events` and `waggle.admission` topic exchanges, the quorum queue `waggle.admission`
 * bound with `#`, and its parking lot.
 */
export async function declareAdmissionTopology(vhost: string): Promise<void> {
  const connection = await amqplib.connect(amqpUrlFor(vhost));
  try {
    const ch = await connection.createChannel();
    await ch.assertExchange(ADMISSION_OBJECTS.events, 'topic', { durable: true });
    await ch.assertExchange(ADMISSION_OBJECTS.admissionExchange, 'topic', { durable: true });
    await ch.assertQueue(ADMISSION_OBJECTS.parkedQueue, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum' },
    });
    await ch.assertQueue(ADMISSION_OBJECTS.admissionQueue, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': ADMISSION_OBJECTS.parkedQueue,
      },
    });
    await ch.bindQueue(ADMISSION_OBJECTS.admissionQueue, ADMISSION_OBJECTS.admissionExchange, '#');
  } finally {
    await connection.close();
  }
}
