/**
 * Looks a name from a file or a flag up in a table written as an object literal: only the table's
 * own keys count, so a layer, op or dtype named `constructor` or `toString` finds nothing instead
 * of a function of Object.prototype.
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
