/**
 * Targeting rules (Definition.md "Object Privacy"). A grant is the set of targets a BL gave a VEN
 * through its ven and resource objects. A VEN sees programs and events that have no targets or
 * share one with its grant; it learns only the granted part of their targets; its `targets`
 * filter selects only among granted targets.
 */

export function visibleUnder(targets: readonly string[] | null | undefined, granted: readonly string[]): boolean {
  return !targets?.length || targets.some((target) => granted.includes(target));
}

/** The targets in both lists, in the order of the first. */
export function grantedOnly(targets: readonly string[], granted: readonly string[]): string[] {
  return targets.filter((target) => granted.includes(target));
}

/** The `targets` filter: an object carrying one of the wanted targets; no wanted targets, any object. */
export function carriesAny(targets: readonly string[] | null | undefined, wanted: readonly string[] | undefined): boolean {
  return !wanted?.length || (targets ?? []).some((target) => wanted.includes(target));
}
