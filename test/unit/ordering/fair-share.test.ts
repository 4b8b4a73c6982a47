import { expect } from 'chai';
import { fairShare, partitionsToRelease } from '../../../src/ordering';

describe('ordering: fair share of partitions', () => {
  it('is ceil(partitions / workers), counting at least one worker', () => {
    expect(fairShare(8, 1)).to.equal(8);
    expect(fairShare(8, 2)).to.equal(4);
    expect(fairShare(8, 3)).to.equal(3);
    expect(fairShare(7, 2)).to.equal(4);
    expect(fairShare(8, 0)).to.equal(8);
    expect(fairShare(2, 5)).to.equal(1);
  });

  it('releases the highest partitions beyond the share, skipping those already being released', () => {
    expect(partitionsToRelease([0, 1, 2, 3, 4, 5, 6, 7], 0, 4, new Set())).to.deep.equal([4, 5, 6, 7]);
    expect(partitionsToRelease([0, 1, 2, 3, 4, 5, 6, 7], 0, 4, new Set([7]))).to.deep.equal([4, 5, 6]);
    expect(partitionsToRelease([3, 1, 2], 0, 4, new Set())).to.deep.equal([]);
  });

  it('counts partitions still being acquired as kept', () => {
    expect(partitionsToRelease([0, 1, 2], 2, 4, new Set())).to.deep.equal([2]);
    expect(partitionsToRelease([0], 5, 4, new Set())).to.deep.equal([0]);
  });
});
