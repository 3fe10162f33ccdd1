import { describe, expect, it } from "vitest";
import { showProblem, type FieldProblem } from "./problem";

const problem = (errors: FieldProblem[], extra: Record<string, unknown> = {}) => ({
  type: "urn:centralita:problem:validation",
  title: "Invalid request",
  status: 422,
  detail: "Some fields are not valid.",
  code: "validation",
  errors,
  ...extra,
});

const err = (field: string, message: string, code = "invalid"): FieldProblem => ({ field, code, message });

describe("showProblem", () => {
  it("puts a field error next to the input of the same name", () => {
    const shown = showProblem(problem([err("display_name", "Too long.")]), ["number", "display_name"]);
    expect(shown.fields).toEqual({ display_name: "Too long." });
    expect(shown.summary).toBe("Some fields are not valid.");
    expect(shown.status).toBe(422);
    expect(shown.code).toBe("validation");
  });

  it("maps a nested API field to the closest input the form declares", () => {
    const shown = showProblem(problem([err("forwarding.always.destination.number", "Not an E.164 number.")]), [
      "display_name",
      "dnd",
      "forwarding.always",
    ]);
    expect(shown.fields).toEqual({ "forwarding.always": "Not an E.164 number." });
    expect(shown.summary).toBe("Some fields are not valid.");
  });

  it("prefers the deepest declared input over its ancestors", () => {
    const shown = showProblem(problem([err("forwarding.always.destination.id", "No such extension.")]), [
      "forwarding",
      "forwarding.always",
    ]);
    expect(shown.fields).toEqual({ "forwarding.always": "No such extension." });
  });

  it("maps only whole path segments, never a prefix of a name", () => {
    // `forwarding.alwaysOn` is not under `forwarding.always`.
    const shown = showProblem(problem([err("forwarding.alwaysOn", "Bad.")]), ["forwarding.always"]);
    expect(shown.fields).toEqual({});
    expect(shown.summary).toBe("Some fields are not valid.: Bad.");
  });

  it("understands [n] indices in paths", () => {
    const shown = showProblem(
      problem([err("members[0].extension_id", "No such extension."), err("members[2]", "Listed twice.")]),
      ["members"],
    );
    expect(shown.fields).toEqual({ members: "No such extension. Listed twice." });

    const indexed = showProblem(problem([err("members[1].extension_id", "No such extension.")]), ["members.1"]);
    expect(indexed.fields).toEqual({ "members.1": "No such extension." });
  });

  it("joins the messages of errors that land on the same input, in order", () => {
    const shown = showProblem(
      problem([err("number", "Too short."), err("display_name", "Required."), err("number", "Already taken.")]),
      ["number", "display_name"],
    );
    expect(shown.fields).toEqual({ number: "Too short. Already taken.", display_name: "Required." });
  });

  it("never hides an error: fields with no input go into the summary", () => {
    const shown = showProblem(
      problem([err("number", "Too short."), err("tenant_id", "Unknown tenant."), err("limits.max_calls", "Too many.")]),
      ["number"],
    );
    expect(shown.fields).toEqual({ number: "Too short." });
    expect(shown.summary).toBe("Some fields are not valid.: Unknown tenant. Too many.");
  });

  it("puts every field error in the summary when the form declares no inputs", () => {
    const shown = showProblem(problem([err("number", "Too short."), err("display_name", "Required.")]));
    expect(shown.fields).toEqual({});
    expect(shown.summary).toContain("Too short.");
    expect(shown.summary).toContain("Required.");
  });

  it("falls back to the title when there is no detail", () => {
    expect(showProblem({ title: "Conflict", status: 409, code: "conflict" }).summary).toBe("Conflict");
    expect(showProblem({ title: "Conflict", detail: "", status: 409 }).summary).toBe("Conflict");
    expect(showProblem({ title: "Conflict", detail: "The extension changed meanwhile." }).summary).toBe(
      "The extension changed meanwhile.",
    );
  });

  it("tolerates anything that is not a problem document", () => {
    for (const input of [null, undefined, "Bad Gateway", 502, true]) {
      const shown = showProblem(input, ["number"]);
      expect(shown).toEqual({ summary: "Something went wrong", fields: {}, status: 0, code: "unknown" });
    }
    expect(showProblem({}).summary).toBe("Something went wrong");
    expect(showProblem({ title: "Oops", errors: null }).summary).toBe("Oops");
  });
});
