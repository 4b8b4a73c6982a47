import amqplib from 'amqplib';
async function main() {
  const c = await amqplib.connect('amqp://guest:guest@127.0.0.1:5672');
  const d = await amqplib.connect('amqp://guest:guest@127.0.0.1:5672');
  const ch = await c.createConfirmChannel();
  const dc = await d.createChannel();
  await dc.assertExchange('rawpub.events', 'topic', { durable: true });
  await dc.assertQueue('rawpub.q', { durable: true });
  await dc.bindQueue('rawpub.q', 'rawpub.events', '#');
  await dc.purgeQueue('rawpub.q');
  let got = 0;
  await dc.consume(
    'rawpub.q',
    () => {
      got++;
    },
    { noAck: true },
  );
  const body = Buffer.from(
    JSON.stringify({ specversion: '1.0', id: 'x'.repeat(40), data: { text: 'Hello! '.repeat(60) } }),
  );
  const N = Number(process.argv[2] ?? 100000),
    W = 500;
  let sent = 0,
    confirmed = 0;
  const t0 = Date.now();
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (sent < N && sent - confirmed < W) {
        sent++;
        ch.publish(
          'rawpub.events',
          't.webchat.message.received',
          body,
          {
            persistent: true,
            messageId: `m${sent}`,
            contentType: 'application/cloudevents+json',
            headers: {
              'x-tenant': 't',
              'x-channel': 'webchat',
              'x-session': 's1',
              'x-seq': sent,
              traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
            },
          },
          () => {
            confirmed++;
            if (confirmed === N) resolve();
            else pump();
          },
        );
      }
    };
    pump();
  });
  const s = (Date.now() - t0) / 1000;
  console.log(`${N} confirmed in ${s}s = ${(N / s).toFixed(0)} msg/s; consumed ${got}`);
  await c.close();
  await dc.deleteQueue('rawpub.q');
  await d.close();
}
void main();
