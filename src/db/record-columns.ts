/** What `recordColumns` answers when a field of the record is left out of its list: the missing names. */
interface MissingFields<Missing> {
  missingFields: Missing;
}

/**
 * The select list that reads rows straight into records of type `T`, each field from the snake_case column
 * of its name (`timeoutMs` becomes `timeout_ms AS "timeoutMs"`), for SELECT and RETURNING alike:
 * `recordColumns<Tool>()(['tenant', 'name', …])`. The compiler checks that every field of `T` is listed, so a
 * row type and a mapping function written beside each store are not needed.
 */
export function recordColumns<T>() {
  return <const F extends readonly (keyof T & string)[]>(
    fields: F &
      ([Exclude<keyof T, F[number]>] extends [never] ? unknown : MissingFields<Exclude<keyof T, F[number]>>),
  ): string =>
    fields
      .map((field) => {
        const column = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
        return column === field ? field : `${column} AS "${field}"`;
      })
      .join(', ');
}
