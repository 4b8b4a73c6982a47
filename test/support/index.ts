export { rawAmqp, tempQueue } from './amqp';
export { TEST_DATABASE_URL, testConfig, testEnv } from './config';
export { testDb } from './db';
export { uniqueName } from './names';
export { eventually, type EventuallyOptions } from './eventually';
export { autoTeardown } from './teardown';
export { freePort } from './ports';
export { REPO_ROOT, spawnProcess, spawnTs, spawnWaggle, waitForOutput, type Spawned } from './processes';
export {
  ADMISSION_OBJECTS,
  applyShippedTopology,
  SHIPPED_TOPOLOGY,
  shippedProducer,
  useTopologyVhost,
} from './admission-topology';
export {
  amqpUrlFor,
  createVhost,
  deleteVhost,
  managementApi,
  tempProducerUser,
  tempVhost,
} from './broker-admin';
export { postJson, sampleEvent, startIngress, type TestIngress } from './ingress';
export { tenantWithKey } from './tenants';
export { startPlatform, testPlatform, type PlatformRigOptions, type RunningPlatform } from './platform-rig';
export { tapExchange, tapQueue, type EventTap } from './event-tap';
export { AmqpProxy } from './amqp-proxy';
export { verifyStandardWebhook, type SpecVerdict } from './standard-webhooks-verifier';
export {
  CONSUMER_TOPOLOGY,
  confirmChannel,
  consumerStack,
  consumerVhost,
  drainQueue,
  publishEvents,
  sendToQueue,
  sessionEvent,
  takeEvents,
  waitForMessages,
  type ConsumerStack,
} from './consumer-stack';
export { startConsumer, type ConsumerRigOptions } from './consumer-rig';
export { dropIsolatedDb, isolatedDb, isolatedDbUrl } from './isolated-db';
export { ensureBrokerUp, restartBrokerApp } from './broker-restart';
export { useEveryRole, type EveryRolePlatform } from './every-role';
export {
  DocumentedAnswers,
  documentedOperations,
  servedDocument,
  type Answer,
  type DocumentedOperation,
  type OpenApiDoc,
} from './openapi';
export { postOnOwnConnection } from './own-connection';
export { listenTo, recordStatements, type StatementLog } from './statement-log';
