import { expect } from 'chai';
import { AUTOSCALE_MODES, withLocalAutoscale } from '../../../src/roles';
import { rolesFrom } from '../../../src/cli/role-catalog';

describe('autoscale: roles of `waggle start --autoscale local`', () => {
  it('moves the workers role out of the process and runs the autoscaler with its supervisor', () => {
    const roles = withLocalAutoscale(rolesFrom('ingress,workers,relay'));
    expect(roles.map((r) => r.name)).to.deep.equal(['ingress', 'relay', 'autoscaler']);
  });

  it('keeps one autoscaler when it was chosen already', () => {
    const roles = withLocalAutoscale(rolesFrom('ingress,workers,relay,scheduler,autoscaler'));
    expect(roles.map((r) => r.name)).to.deep.equal(['ingress', 'relay', 'scheduler', 'autoscaler']);
  });

  it('knows one mode: local', () => {
    expect(AUTOSCALE_MODES).to.deep.equal(['local']);
  });
});
