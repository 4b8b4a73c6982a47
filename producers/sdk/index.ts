export { createProducer, type Producer, type ProducerEvent, type ProducerOptions } from './create-producer';
export {
  ProducerAccessRefusedError,
  ProducerBufferFullError,
  ProducerClosedError,
  ProducerNackError,
  ProducerTimeoutError,
} from './producer-errors';
