import { maxHeaderSize } from 'node:http';
import type { Duplex } from 'node:stream';
import { HttpProblem } from './problem';
import { PROBLEM_JSON } from './problem-middleware';

/**
 * Answers a request Node's HTTP parser refused before any route saw it (headers too large, malformed
 * HTTP, a request that took too long to arrive) with the same problem+json every other refusal has, then
 * closes the connection. A socket that is already gone is only let go.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // As Node's own answer does: nothing is written over a response that has begun on this connection.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const problem = problemOf(err);
  const body = problem.toBody();
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${problem.status} ${body.title}\r\n` +
      `Content-Type: ${PROBLEM_JSON}\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      'Connection: close\r\n\r\n' +
      text,
    () => socket.destroy(),
  );
}

function problemOf(err: Error & { code?: string }): HttpProblem {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return new HttpProblem(
      431,
      'HEADERS_TOO_LARGE',
      `the request's headers take more than ${maxHeaderSize} bytes, the most this server reads; send ` +
        'shorter headers (an X-Correlation-Id or traceparent is a few dozen characters)',
    );
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new HttpProblem(408, 'REQUEST_TIMEOUT', 'the whole request did not arrive in time; send it again');
  }
  return new HttpProblem(
    400,
    'REQUEST_MALFORMED',
    `the request is not well-formed HTTP/1.1 (${err.code ?? 'parse error'}); check the request line, ` +
      'the header syntax and the body framing (Content-Length or chunked, not both)',
  );
}
