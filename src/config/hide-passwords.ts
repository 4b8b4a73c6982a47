// scheme://user:password@ — the password runs to the last '@' of the word, so a password holding an
// unencoded '@' or '/' is hidden whole (at worst a little more than the password is hidden, never less).
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"']*):[^\s"']*@/gi;
// libpq-style `?password=…` in a connection string.
const QUERY_PASSWORD = /([?&]password=)[^&\s"']*/gi;
// A comma that starts the next URL of a node list (`amqp://…@h1,amqp://…@h2`): each URL is hidden on its own,
// so one node's password never swallows the next node's host. A comma inside a password is not followed by
// a scheme and stays part of it.
const NEXT_URL = /,(?=\s*[a-z][a-z0-9+.-]*:\/\/)/gi;

/**
 * `text` with the password of every URL in it shown as `***` (`amqp://guest:***@host:5672`), for anything
 * printed or logged: error lines, `waggle config`, the startup lines.
 */
export function hidePasswords(text: string): string {
  return text
    .split(NEXT_URL)
    .map((part) => part.replace(URL_PASSWORD, '$1:***@').replace(QUERY_PASSWORD, '$1***'))
    .join(',');
}
