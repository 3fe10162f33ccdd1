import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Schemas } from "../../api/client";
import { LocaleContext } from "../../i18n";
import { CreateUserForm, createUserBody, grantableRoles, splitEmails } from "./UserForm";

type CreateUser = Schemas["CreateUser"];
type UserCreated = Schemas["UserCreated"];

afterEach(cleanup);

const CREATED: UserCreated = {
  id: "u1",
  email: "luis@acme.example.com",
  display_name: "Luis",
  role: "tenant_user",
  status: "active",
  created_at: "2026-03-01T10:00:00Z",
  updated_at: "2026-03-01T10:00:00Z",
  version: 1,
  extension: {
    id: "e1",
    number: "2001",
    display_name: "Luis",
    enabled: true,
    sip_username: "2001",
    sip_realms: [],
    dnd: false,
    forwarding: {},
    follow_me: [],
    max_concurrent_calls: 4,
    record_calls: false,
    created_at: "2026-03-01T10:00:00Z",
    updated_at: "2026-03-01T10:00:00Z",
    version: 1,
    sip_password: "s3cret-sip-password-xyz",
  } as Schemas["ExtensionCreated"],
  voicemail_box: null,
};

function setup(answer: { data?: UserCreated; error?: unknown }, locale: "en" | "es" = "en") {
  const create = vi.fn(async (_body: CreateUser) => answer);
  const onCreated = vi.fn();
  render(
    <LocaleContext.Provider value={{ locale, setLocale: () => {} }}>
      <CreateUserForm roles={grantableRoles("tenant_admin")} create={create} onCreated={onCreated} />
    </LocaleContext.Provider>,
  );
  return { create, onCreated };
}

const type = (label: string, value: string) => fireEvent.input(screen.getByLabelText(label), { target: { value } });

function fillUser() {
  type("E-mail", " luis@acme.example.com ");
  type("Display name", "Luis");
  type("Password", "a-long-password-1");
}

function addExtensionAndVoicemail() {
  fireEvent.click(screen.getByLabelText("Give this user an extension"));
  fireEvent.click(screen.getByLabelText("Give this user a voicemail box"));
  type("Extension number", "2001");
  type("PIN", "4831");
  type("E-mail new messages to", "luis@acme.example.com, boss@acme.example.com;  ");
}

/** The error text an input is described by (what a screen reader reads with it). */
function describedError(input: HTMLElement): string | null {
  const ids = (input.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id.endsWith("-error"));
  return ids.map((id) => document.getElementById(id)?.textContent).join(" ") || null;
}

describe("CreateUserForm", () => {
  it("shows each API field error at its input, nested ones included", async () => {
    const { create, onCreated } = setup({
      error: {
        type: "urn:centralita:problem:validation_failed",
        title: "Validation failed",
        status: 422,
        code: "validation_failed",
        detail: "4 fields are invalid",
        errors: [
          { field: "email", code: "invalid", message: "is not an e-mail address" },
          { field: "extension.number", code: "pattern", message: "must be 2-15 digits" },
          { field: "voicemail.emails[1]", code: "invalid", message: "boss@ is not an address" },
          { field: "extension.max_concurrent_calls", code: "range", message: "is out of range" },
        ],
      },
    });
    fillUser();
    addExtensionAndVoicemail();
    fireEvent.submit(screen.getByRole("button", { name: "Create" }).closest("form")!);

    await screen.findByRole("alert");
    expect(create).toHaveBeenCalledOnce();
    expect(onCreated).not.toHaveBeenCalled();

    const email = screen.getByLabelText("E-mail");
    expect(email.getAttribute("aria-invalid")).toBe("true");
    expect(describedError(email)).toBe("is not an e-mail address");

    const number = screen.getByLabelText("Extension number");
    expect(number.getAttribute("aria-invalid")).toBe("true");
    expect(describedError(number)).toBe("must be 2-15 digits");

    // `voicemail.emails[1]` is about the addresses input.
    expect(describedError(screen.getByLabelText("E-mail new messages to"))).toBe("boss@ is not an address");
    // A field with no input of its own goes to its group, not lost.
    expect(screen.getByText("is out of range").id).toBe("f-extension-error");

    // Inputs without errors are not marked.
    expect(screen.getByLabelText("Display name").getAttribute("aria-invalid")).toBeNull();
    expect(screen.getByLabelText("PIN").getAttribute("aria-invalid")).toBeNull();
    expect(screen.getByRole("alert").textContent).toBe("4 fields are invalid");
    // Nothing was created: no password to show.
    expect(screen.queryByTestId("secret")).toBeNull();
  });

  it("sends the user with extension and voicemail in one body and shows the SIP password once", async () => {
    const { create, onCreated } = setup({ data: CREATED });
    fillUser();
    addExtensionAndVoicemail();
    fireEvent.submit(screen.getByRole("button", { name: "Create" }).closest("form")!);

    expect(await screen.findByTestId("secret")).toHaveProperty("textContent", "s3cret-sip-password-xyz");
    expect(create.mock.calls[0]?.[0]).toEqual({
      email: "luis@acme.example.com",
      display_name: "Luis",
      role: "tenant_user",
      password: "a-long-password-1",
      // Empty optional inputs take their defaults: the user's name, the extension's number.
      extension: { number: "2001", display_name: "Luis" },
      voicemail: { mailbox: "2001", pin: "4831", emails: ["luis@acme.example.com", "boss@acme.example.com"] },
    });
    expect(onCreated).toHaveBeenCalledWith(CREATED);
    // The form starts blank again, its optional parts closed.
    await waitFor(() => expect((screen.getByLabelText("E-mail") as HTMLInputElement).value).toBe(""));
    expect(screen.queryByLabelText("Extension number")).toBeNull();
  });

  it("offers only the roles the caller may give, in the user's language", () => {
    setup({}, "es");
    const options = Array.from((screen.getByLabelText("Rol") as HTMLSelectElement).options).map((o) => [o.value, o.text]);
    expect(options).toEqual([
      ["tenant_admin", "Administrador"],
      ["tenant_user", "Usuario"],
    ]);
  });
});

describe("createUserBody", () => {
  const form = (entries: Record<string, string>) => {
    const f = new FormData();
    for (const [k, v] of Object.entries(entries)) f.set(k, v);
    return f;
  };

  it("leaves out the extension and the box unless asked, whatever the hidden inputs hold", () => {
    const body = createUserBody(
      form({ email: "a@b.example.com", display_name: "A", role: "tenant_admin", password: "x", "extension.number": "2001" }),
      false,
      false,
    );
    expect(body).toEqual({ email: "a@b.example.com", display_name: "A", role: "tenant_admin", password: "x" });
  });

  it("keeps an explicit mailbox and extension name, and a box without an extension has no default mailbox", () => {
    const withBoth = createUserBody(
      form({ display_name: "Ana", "extension.number": "2001", "extension.display_name": "Recepción", "voicemail.mailbox": "3001" }),
      true,
      true,
    );
    expect(withBoth.extension).toEqual({ number: "2001", display_name: "Recepción" });
    expect(withBoth.voicemail?.mailbox).toBe("3001");
    const boxOnly = createUserBody(form({ display_name: "Ana", "extension.number": "2001" }), false, true);
    expect(boxOnly.extension).toBeUndefined();
    expect(boxOnly.voicemail).toEqual({ mailbox: "", pin: "", emails: [] });
  });

  it("splits addresses on commas, semicolons and white space", () => {
    expect(splitEmails(" a@x.es,b@x.es ; c@x.es\nd@x.es ")).toEqual(["a@x.es", "b@x.es", "c@x.es", "d@x.es"]);
    expect(splitEmails("  ")).toEqual([]);
  });
});

describe("grantableRoles", () => {
  it("follows the API's rule", () => {
    expect(grantableRoles("tenant_user")).toEqual([]);
    expect(grantableRoles("tenant_admin")).toEqual(["tenant_admin", "tenant_user"]);
    expect(grantableRoles("partner_admin")).toEqual(["partner_admin", "tenant_admin", "tenant_user"]);
  });
});
