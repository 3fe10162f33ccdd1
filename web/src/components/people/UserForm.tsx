// Creating a user, and in the same call (one transaction on the API: all or nothing) the
// user's extension and voicemail box. The extension's SIP password is in the answer only,
// so it is shown here once. The browser does not validate (`noValidate`): the API is the one
// judge, and its field errors, nested ones (`extension.number`, `voicemail.emails[1]`)
// included, are shown at the input they are about.

import { useState } from "preact/hooks";
import type { Schemas } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { useT } from "../../i18n";
import { roleKey, usePeople } from "../../pages/people/strings";
import { Field } from "../Field";
import { Secret } from "../Secret";
import { SelectField } from "./ui";

type Role = Schemas["Role"];
type CreateUser = Schemas["CreateUser"];
type UserCreated = Schemas["UserCreated"];

/** The form's inputs, by the API field each one answers for. */
export const USER_INPUTS = [
  "email",
  "display_name",
  "role",
  "password",
  "extension",
  "extension.number",
  "extension.display_name",
  "voicemail",
  "voicemail.mailbox",
  "voicemail.pin",
  "voicemail.emails",
] as const;

/**
 * The roles a caller may give (the API's rule: a tenant admin up to tenant admin; partner
 * admins and platform staff any tenant role), most powerful first.
 */
export function grantableRoles(caller: Role): Role[] {
  switch (caller) {
    case "platform_admin":
    case "support":
    case "partner_admin":
      return ["partner_admin", "tenant_admin", "tenant_user"];
    case "tenant_admin":
      return ["tenant_admin", "tenant_user"];
    case "tenant_user":
      return [];
  }
}

const text = (form: FormData, name: string) => String(form.get(name) ?? "").trim();

/** Addresses typed with commas, semicolons, spaces or new lines between them. */
export function splitEmails(value: string): string[] {
  return value
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter(Boolean);
}

/**
 * The `CreateUser` body of the form. Empty optional inputs take the obvious default: the
 * extension's name is the user's, the mailbox is the extension's number.
 */
export function createUserBody(form: FormData, withExtension: boolean, withVoicemail: boolean): CreateUser {
  const body: CreateUser = {
    email: text(form, "email"),
    display_name: text(form, "display_name"),
    role: text(form, "role") as Role,
    password: String(form.get("password") ?? ""),
  };
  const number = text(form, "extension.number");
  if (withExtension) {
    body.extension = { number, display_name: text(form, "extension.display_name") || body.display_name };
  }
  if (withVoicemail) {
    body.voicemail = {
      mailbox: text(form, "voicemail.mailbox") || (withExtension ? number : ""),
      pin: text(form, "voicemail.pin"),
      emails: splitEmails(text(form, "voicemail.emails")),
    };
  }
  return body;
}

interface Answer {
  data?: UserCreated;
  error?: unknown;
}

interface Props {
  /** The roles the signed-in caller may give. */
  roles: readonly Role[];
  create: (body: CreateUser) => Promise<Answer>;
  onCreated: (user: UserCreated) => void;
}

export function CreateUserForm({ roles, create, onCreated }: Props) {
  const t = useT();
  const s = usePeople();
  const [withExtension, setWithExtension] = useState(false);
  const [withVoicemail, setWithVoicemail] = useState(false);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [created, setCreated] = useState<UserCreated | null>(null);
  const [busy, setBusy] = useState(false);
  // A new key after each success mounts a blank form (uncontrolled inputs, nothing to reset).
  const [generation, setGeneration] = useState(0);
  const err = (name: (typeof USER_INPUTS)[number]) => problem?.fields[name];

  const submit = async (e: Event) => {
    e.preventDefault();
    const body = createUserBody(new FormData(e.currentTarget as HTMLFormElement), withExtension, withVoicemail);
    setBusy(true);
    try {
      const { data, error } = await create(body);
      if (data) {
        setProblem(null);
        setCreated(data);
        setWithExtension(false);
        setWithVoicemail(false);
        setGeneration((g) => g + 1);
        onCreated(data);
      } else {
        setCreated(null);
        setProblem(showProblem(error, USER_INPUTS));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <form key={generation} class="inline" onSubmit={submit} aria-labelledby="new-user" noValidate>
        <h2 id="new-user">{s("newUser")}</h2>
        {problem && (
          <p role="alert" class="error">
            {problem.summary}
          </p>
        )}
        <Field name="email" type="email" label={t("email")} autoComplete="off" required error={err("email")} />
        <Field name="display_name" label={t("displayName")} required error={err("display_name")} />
        <SelectField name="role" label={t("role")} error={err("role")}>
          {/* The least powerful role is the default (a select has no working defaultValue). */}
          {roles.map((r) => (
            <option value={r} selected={r === "tenant_user"}>
              {s(roleKey(r))}
            </option>
          ))}
        </SelectField>
        <Field
          name="password"
          type="password"
          label={s("initialPassword")}
          autoComplete="new-password"
          required
          hint={s("passwordHint")}
          error={err("password")}
        />

        <fieldset class="pc-group" aria-describedby={err("extension") ? "f-extension-error" : undefined}>
          <legend>{s("extension")}</legend>
          <div class="field check">
            <input
              id="f-with-extension"
              type="checkbox"
              checked={withExtension}
              onChange={(e) => setWithExtension(e.currentTarget.checked)}
            />
            <label for="f-with-extension">{s("withExtension")}</label>
          </div>
          {err("extension") && (
            <p id="f-extension-error" class="field-error">
              {err("extension")}
            </p>
          )}
          {withExtension && (
            <>
              <Field name="extension.number" label={s("extensionNumber")} inputMode="numeric" required error={err("extension.number")} />
              <Field
                name="extension.display_name"
                label={s("extensionName")}
                hint={s("extensionNameHint")}
                error={err("extension.display_name")}
              />
            </>
          )}
        </fieldset>

        <fieldset class="pc-group" aria-describedby={err("voicemail") ? "f-voicemail-error" : undefined}>
          <legend>{t("voicemail")}</legend>
          <div class="field check">
            <input
              id="f-with-voicemail"
              type="checkbox"
              checked={withVoicemail}
              onChange={(e) => setWithVoicemail(e.currentTarget.checked)}
            />
            <label for="f-with-voicemail">{s("withVoicemail")}</label>
          </div>
          {err("voicemail") && (
            <p id="f-voicemail-error" class="field-error">
              {err("voicemail")}
            </p>
          )}
          {withVoicemail && (
            <>
              <Field
                name="voicemail.mailbox"
                label={s("mailbox")}
                inputMode="numeric"
                hint={withExtension ? s("mailboxHint") : undefined}
                required={!withExtension}
                error={err("voicemail.mailbox")}
              />
              <Field
                name="voicemail.pin"
                type="password"
                label={s("pin")}
                inputMode="numeric"
                autoComplete="off"
                required
                hint={s("pinHint")}
                error={err("voicemail.pin")}
              />
              <Field
                name="voicemail.emails"
                label={s("voicemailEmails")}
                hint={s("voicemailEmailsHint")}
                error={err("voicemail.emails")}
              />
            </>
          )}
        </fieldset>
        <button type="submit" disabled={busy}>
          {t("create")}
        </button>
      </form>
      {created && (
        <div role="status">
          <p>
            {s("userCreated")}: <strong>{created.email}</strong>
          </p>
        </div>
      )}
      {created?.extension && (
        <Secret label={`${t("sipPassword")} ${created.extension.sip_username}`} value={created.extension.sip_password} />
      )}
    </>
  );
}
