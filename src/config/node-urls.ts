/**
 * The URLs of a variable that names one server or a comma-separated list of cluster nodes
 * (`amqp://h1:5672,amqp://h2:5672`), in the order given: connections try them in that order.
 */
export function nodeUrls(list: string): string[] {
  return list
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
}
