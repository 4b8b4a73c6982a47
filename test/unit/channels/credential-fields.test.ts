import { expect } from 'chai';
import { credentialProblems, maskSecret } from '../../../producers/channels';

describe('channels: credential fields', () => {
  it('accepts a complete set and lists every problem of a bad one', () => {
    expect(credentialProblems('slack', { signingSecret: 's', botToken: 'xoxb-1' })).to.deep.equal([]);
    expect(credentialProblems('telegram', { secretToken: 'has space', colour: 'red' })).to.deep.equal([
      '"colour" is not a credential of this channel; known: secretToken, botToken',
      'secretToken must be 1-256 characters of A-Z a-z 0-9 _ -',
    ]);
    expect(credentialProblems('whatsapp', { appSecret: 'x' })).to.deep.equal([
      'verifyToken is required (token Meta echoes in hub.verify_token)',
    ]);
  });

  it('masks secrets to their last four characters', () => {
    expect(maskSecret('xoxb-1234567890')).to.equal('****7890');
    expect(maskSecret('short')).to.equal('****');
  });
});
