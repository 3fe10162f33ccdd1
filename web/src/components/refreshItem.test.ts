import { describe, expect, it } from "vitest";
import { refreshItem, removeItem, replaceItem } from "./refreshItem";

type Item = { id: string; name: string };
const loaded: Item[] = [
  { id: "a", name: "Ana" },
  { id: "b", name: "Luis" },
  { id: "c", name: "Marta" },
];

/** `update` as usePaged gives it, on a list held here. */
function held(items: Item[]) {
  const box = { items, calls: 0 };
  const update = (change: (items: Item[]) => Item[]) => {
    box.calls += 1;
    box.items = change(box.items);
  };
  return { box, update };
}

const answer = (status: number, data?: Item) => Promise.resolve({ data, response: new Response(null, { status }) });

describe("replaceItem / removeItem", () => {
  it("replaces the item in its place", () => {
    expect(replaceItem(loaded, { id: "b", name: "Luis M." }).map((x) => x.name)).toEqual(["Ana", "Luis M.", "Marta"]);
  });

  it("adds nothing when the item is not loaded (it is on a page not loaded yet)", () => {
    expect(replaceItem(loaded, { id: "z", name: "Zoe" })).toEqual(loaded);
  });

  it("removes by id", () => {
    expect(removeItem(loaded, "a").map((x) => x.id)).toEqual(["b", "c"]);
    expect(removeItem(loaded, "z")).toEqual(loaded);
  });
});

describe("refreshItem", () => {
  it("puts the item as read again in place", async () => {
    const { box, update } = held(loaded);
    await refreshItem(update, "c", () => answer(200, { id: "c", name: "Marta G." }));
    expect(box.items.map((x) => x.name)).toEqual(["Ana", "Luis", "Marta G."]);
  });

  it("drops an item that is gone", async () => {
    const { box, update } = held(loaded);
    await refreshItem(update, "b", () => answer(404));
    expect(box.items.map((x) => x.id)).toEqual(["a", "c"]);
  });

  it("leaves the list alone on another error", async () => {
    const { box, update } = held(loaded);
    await refreshItem(update, "b", () => answer(500));
    expect(box.calls).toBe(0);
    expect(box.items).toBe(loaded);
  });
});
