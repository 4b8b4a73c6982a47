export { errorReason } from './error-reason';
export {
  errorCode,
  errorKind,
  InvalidInputError,
  NonRetryableError,
  RetryableError,
  WaggleError,
  type ErrorKind,
} from './waggle-error';
