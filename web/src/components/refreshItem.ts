// After a change to one row of a list loaded a page at a time ("More"): that one item is read
// again and put back in place, so the pages already loaded, the scroll position and the focus
// stay where they were (reloading the list would start over at its first page).

interface One<T> {
  data?: T;
  response: Response;
}

/** The item as the API now has it replaces the loaded one; gone (404), it leaves the list.
 * Any other answer leaves the list as it was: the change's own error is shown already. */
export async function refreshItem<T extends { id: string }>(
  update: (change: (items: T[]) => T[]) => void,
  id: string,
  load: () => Promise<One<T>>,
): Promise<void> {
  const { data, response } = await load();
  if (data) update((items) => replaceItem(items, data));
  else if (response.status === 404) update((items) => removeItem(items, id));
}

/** `item` in the place of the loaded one with its id (nothing added when it is not loaded). */
export function replaceItem<T extends { id: string }>(items: T[], item: T): T[] {
  return items.map((x) => (x.id === item.id ? item : x));
}

export function removeItem<T extends { id: string }>(items: T[], id: string): T[] {
  return items.filter((x) => x.id !== id);
}
