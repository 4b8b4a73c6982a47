export { errorReason } from './error-reason';
export {
  codedError,
  errorCode,
  errorKind,
  InvalidInputError,
  NonRetryableError,
  RetryableError,
  WaggleError,
  type ErrorKind,
} from './waggle-error';
