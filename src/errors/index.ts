export {
  errorCode,
  errorKind,
  InvalidInputError,
  NonRetryableError,
  RetryableError,
  WaggleError,
  type ErrorKind,
} from './waggle-error';
