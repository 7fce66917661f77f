/**
 * JSON text kept with the value it was made from: an answer built once from a cached page is
 * sent again without being serialized again.
 */
const JSON_TEXT = Symbol('jsonText');

/** Freezes `value` through and through, so that the text kept with it stays its own. */
export function withJsonText<T extends object>(value: T): Readonly<T> {
  Object.defineProperty(value, JSON_TEXT, { value: JSON.stringify(value) });
  return deepFreeze(value);
}

/** The JSON text of `value`: the one kept with it, else made now. */
export function jsonText(value: unknown): string {
  const kept = value !== null && typeof value === 'object' ? (value as { [JSON_TEXT]?: string })[JSON_TEXT] : undefined;
  return kept ?? JSON.stringify(value);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
