/** What a value is, for an error message about an argument of the wrong type: 'null', 'string', 'Float64Array', 'Object'. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'an object';
}
