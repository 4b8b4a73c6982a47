import { expect } from 'chai';
import { startPlatform } from '../../support';

describe('runtime: /v1/health', function () {
  this.timeout(30_000);

  it('answers 503 naming the broker when the AMQP connection is gone, while ?live stays 200', async () => {
    const { platform, url: base } = await startPlatform({ roles: [], config: { shutdownTimeoutMs: 2_000 } });
    expect((await fetch(`${base}/v1/health`)).status).to.equal(200);

    await platform.context.broker.close(); // the process loses its broker connection

    const res = await fetch(`${base}/v1/health`);
    expect(res.status).to.equal(503);
    const body = (await res.json()) as {
      status: string;
      components: Record<string, { ok: boolean; detail: string }>;
    };
    expect(body.status).to.equal('unavailable');
    expect(body.components.broker?.ok).to.equal(false);
    expect(body.components.broker?.detail).to.match(/^not connected/);
    expect(body.components.database?.ok).to.equal(true);
    expect((await fetch(`${base}/v1/health?live`)).status).to.equal(200);
  });
});
