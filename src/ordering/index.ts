export { fairShare, partitionsToRelease } from './fair-share';
export { leaseGroupName, liveLeaseMembers } from './lease-members';
export { PartitionLeases, type PartitionLeasesOptions } from './partition-leases';
export {
  SessionFence,
  type FenceEntry,
  type SkipRecord,
  type StashInput,
  type StashedEvent,
} from './session-fence';
export { claimReplayStatement, replayPending } from './replay-claim';
export { skipStaleGaps, skippedAsGap, type SkippedGap } from './sequence-gaps';
export { describeSession, skipSessionTo, type SessionStanding } from './session-standing';
export { SessionLane, SessionLanes, type PauseEnd, type SessionLanesOptions } from './session-lanes';
export { OrderedProcessor } from './ordered-processor';
