// scheme://user:password@ — the password runs to the last '@' of the word, so a password holding an
// unencoded '@' or '/' is hidden whole (at worst a little more than the password is hidden, never less).
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"']*):[^\s"']*@/gi;
// libpq-style `?password=…` in a connection string.
const QUERY_PASSWORD = /([?&]password=)[^&\s"']*/gi;

/**
 * `text` with the password of every URL in it shown as `***` (`amqp://guest:***@host:5672`), for anything
 * printed or logged: error lines, `waggle config`, the startup lines.
 */
export function hidePasswords(text: string): string {
  return text.replace(URL_PASSWORD, '$1:***@').replace(QUERY_PASSWORD, '$1***');
}
