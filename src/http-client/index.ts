export { deadline, type Deadline } from './deadline';
export {
  AnswerTooLargeError,
  DEFAULT_HTTP_CLIENT_OPTIONS,
  HttpClient,
  HttpUnreachableError,
  type HttpAnswer,
  type HttpClientOptions,
  type HttpRequest,
} from './http-client';
