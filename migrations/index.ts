import { ServiceInstance1764000000000 } from './1764000000000-service-instance';
import { Admission1764004000001 } from './1764004000001-admission';
import { AdmissionBatches1764008000001 } from './1764008000001-admission-batches';
import { AdmissionSource1764009000001 } from './1764009000001-admission-source';
import { OutboxSweepAfter1764009000002 } from './1764009000002-outbox-sweep-after';
import { AgentRegistry1764010000001 } from './1764010000001-agent-registry';
import { ChurnAutovacuum1764011000001 } from './1764011000001-churn-autovacuum';
import { Channels1764006000001 } from './1764006000001-channels';
import { Saga1764007000001 } from './1764007000001-saga';
import { SagaHotIndexes1764011000002 } from './1764011000002-saga-hot-indexes';
import { RetentionIndexes1764012000003 } from './1764012000003-retention-indexes';
import { ToolRegistry1764007000002 } from './1764007000002-tool-registry';
import { Webhooks1764007000003 } from './1764007000003-webhooks';
import { SessionFence1764005000001 } from './1764005000001-session-fence';
import { ConsumerInbox1764005000002 } from './1764005000002-consumer-inbox';
import { Outbox1764005000003 } from './1764005000003-outbox';
import { Workflows1764012000001 } from './1764012000001-workflows';
import { TimelineCascade1764013000001 } from './1764013000001-timeline-cascade';
import { TimelineRuns1764014000001 } from './1764014000001-timeline-runs';
import { TimelineInSaga1764015000001 } from './1764015000001-timeline-in-saga';

/** Every migration in order. Append new ones at the end; never edit one that has landed. */
export const MIGRATIONS = [
  ServiceInstance1764000000000,
  Admission1764004000001,
  Channels1764006000001,
  Saga1764007000001,
  ToolRegistry1764007000002,
  Webhooks1764007000003,
  SessionFence1764005000001,
  ConsumerInbox1764005000002,
  Outbox1764005000003,
  AdmissionBatches1764008000001,
  AdmissionSource1764009000001,
  OutboxSweepAfter1764009000002,
  AgentRegistry1764010000001,
  ChurnAutovacuum1764011000001,
  SagaHotIndexes1764011000002,
  RetentionIndexes1764012000003,
  Workflows1764012000001,
  TimelineCascade1764013000001,
  TimelineRuns1764014000001,
  TimelineInSaga1764015000001,
];
