// A small cache for index maps that depend only on shapes and attributes.

const memo = new Map<string, unknown>();

/** Layouts depend only on shapes and attributes, which repeat in every evaluation: computed once.
 * Callers must not modify the arrays they get. */
export function cached<T>(key: string, make: () => T): T {
  let hit = memo.get(key) as T | undefined;
  if (hit === undefined) {
    hit = make();
    if (memo.size > 4096) memo.clear();
    memo.set(key, hit);
  }
  return hit;
}
