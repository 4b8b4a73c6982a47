export { fairShare, partitionsToRelease } from './fair-share';
export { PartitionLeases, type PartitionLeasesOptions } from './partition-leases';
export {
  SessionFence,
  type FenceEntry,
  type SkipRecord,
  type SkippedGap,
  type SessionStanding,
  type StashInput,
  type StashedEvent,
} from './session-fence';
export { sessionKeyString, type SessionKey } from './session-key';
export { SessionLane, SessionLanes, type PauseEnd, type SessionLanesOptions } from './session-lanes';
export type { Sql, SqlPool } from './sql';
