import { cleanup, fireEvent, render, screen } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfirmDelete } from "./ConfirmDelete";

afterEach(cleanup);

function setup() {
  const onConfirm = vi.fn();
  render(<ConfirmDelete what="message from Ana" question="Delete this message for good?" onConfirm={onConfirm} />);
  return onConfirm;
}

describe("ConfirmDelete", () => {
  it("asks before deleting, and cancelling deletes nothing", () => {
    const onConfirm = setup();
    fireEvent.click(screen.getByRole("button", { name: "Delete message from Ana" }));
    expect(onConfirm).not.toHaveBeenCalled();
    expect(screen.getByText("Delete this message for good?")).toBeTruthy();
    // Focus goes to the question, so the keyboard user is where the choice is.
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Yes, delete message from Ana" }));

    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(onConfirm).not.toHaveBeenCalled();
    expect(screen.queryByText("Delete this message for good?")).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Delete message from Ana" }));
  });

  it("deletes on the second press, and Escape backs out", () => {
    const onConfirm = setup();
    fireEvent.click(screen.getByRole("button", { name: "Delete message from Ana" }));
    fireEvent.keyDown(screen.getByRole("button", { name: "Yes, delete message from Ana" }), { key: "Escape" });
    expect(screen.queryByRole("button", { name: "Yes, delete message from Ana" })).toBeNull();

    fireEvent.click(screen.getByRole("button", { name: "Delete message from Ana" }));
    fireEvent.click(screen.getByRole("button", { name: "Yes, delete message from Ana" }));
    expect(onConfirm).toHaveBeenCalledOnce();
  });
});
