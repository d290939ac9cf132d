// Accessible names of the buttons of a list (delete a status, revoke a
// session): a screen reader's list of controls must tell the rows apart.

function counts(values: Iterable<string>): Map<string, number> {
  const n = new Map<string, number>();
  for (const v of values) n.set(v, (n.get(v) ?? 0) + 1);
  return n;
}

/**
 * One label per item, unique in the list: its `base` label; where two items
 * share one, `withTime` (the base and a time); where even that is shared, a
 * number, "(1)", "(2)", in list order.
 */
export function uniqueLabels<Item extends { id: unknown }>(
  items: readonly Item[],
  base: (item: Item) => string,
  withTime: (item: Item, label: string) => string,
): Map<Item['id'], string> {
  const bases = new Map(items.map((item) => [item.id, base(item)]));
  const baseCount = counts(bases.values());
  const timed = new Map(
    items.map((item) => {
      const label = bases.get(item.id)!;
      return [item.id, baseCount.get(label)! > 1 ? withTime(item, label) : label];
    }),
  );
  const timedCount = counts(timed.values());
  const seen = new Map<string, number>();
  const labels = new Map<Item['id'], string>();
  for (const item of items) {
    const label = timed.get(item.id)!;
    if (timedCount.get(label)! > 1) {
      const n = (seen.get(label) ?? 0) + 1;
      seen.set(label, n);
      labels.set(item.id, `${label} (${n})`);
    } else {
      labels.set(item.id, label);
    }
  }
  return labels;
}
