// One user (`/users/:id`): display name, role, active or disabled, and a new password. The
// PATCH carries the version the form was loaded at (If-Match), so a change someone made
// meanwhile is not overwritten, and only the fields that changed.

import { useState } from "preact/hooks";
import { api, ifMatch, type Schemas } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { Field } from "../../components/Field";
import { Show, useLoad } from "../../components/load";
import { SelectField } from "../../components/people/ui";
import { grantableRoles } from "../../components/people/UserForm";
import { useT } from "../../i18n";
import { useMe } from "../../state";
import { roleKey, usePeople } from "./strings";

type User = Schemas["UserView"];
type Role = Schemas["Role"];
type Status = Schemas["UserStatus"];

const INPUTS = ["display_name", "role", "status", "password"] as const;

export function UserEdit({ id }: { id: string }) {
  const me = useMe();
  const tenant = me.tenant_id ?? "";
  const [user] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/users/{user_id}", { params: { path: { tenant_id: tenant, user_id: id } } }),
    [tenant, id],
  );
  return <Show value={user}>{(u) => <Editor tenant={tenant} initial={u} callerRole={me.role} />}</Show>;
}

/** The PATCH body: only what differs from `user`, and the password only when one is typed. */
export function userChanges(user: User, form: { display_name: string; role: Role; status: Status; password: string }): Schemas["UpdateUser"] {
  const body: Schemas["UpdateUser"] = {};
  if (form.display_name.trim() !== user.display_name) body.display_name = form.display_name.trim();
  if (form.role !== user.role) body.role = form.role;
  if (form.status !== user.status) body.status = form.status;
  if (form.password) body.password = form.password;
  return body;
}

function Editor({ tenant, initial, callerRole }: { tenant: string; initial: User; callerRole: Role }) {
  const t = useT();
  const s = usePeople();
  const [user, setUser] = useState(initial);
  const [displayName, setDisplayName] = useState(initial.display_name);
  const [role, setRole] = useState<Role>(initial.role);
  const [status, setStatus] = useState<Status>(initial.status);
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  /** A setter that also clears "Saved": the form now differs from what was saved. */
  const edit =
    <V,>(set: (v: V) => void) =>
    (v: V) => {
      set(v);
      setSaved(false);
    };

  // The user's own role stays listed even when the caller may not give it, so the select
  // tells the truth (the API refuses changes to users above the caller).
  const roles = grantableRoles(callerRole);
  const roleChoices = roles.includes(user.role) ? roles : [user.role, ...roles];

  const save = async (e: Event) => {
    e.preventDefault();
    const body = userChanges(user, { display_name: displayName, role, status, password });
    if (Object.keys(body).length === 0) {
      setProblem(null);
      setSaved(true);
      return;
    }
    setBusy(true);
    try {
      const { data, error } = await api.PATCH("/v1/tenants/{tenant_id}/users/{user_id}", {
        params: { path: { tenant_id: tenant, user_id: user.id }, header: ifMatch(user.version) },
        body,
      });
      if (data) {
        setUser(data);
        setDisplayName(data.display_name);
        setPassword("");
        setProblem(null);
        setSaved(true);
      } else setProblem(showProblem(error, INPUTS));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <p>
        <a href="/users">← {s("backToUsers")}</a>
      </p>
      <h1>
        {user.display_name} <span class="hint">· {user.email}</span>
      </h1>
      <form class="inline" onSubmit={save} aria-labelledby="edit-user" noValidate>
        <h2 id="edit-user">{s("editUser")}</h2>
        {problem && (
          <p role="alert" class="error">
            {problem.summary}
          </p>
        )}
        <Field
          name="display_name"
          label={t("displayName")}
          value={displayName}
          onInput={(e) => edit(setDisplayName)(e.currentTarget.value)}
          required
          error={problem?.fields.display_name}
        />
        <SelectField
          name="role"
          label={t("role")}
          value={role}
          onChange={(e) => edit(setRole)(e.currentTarget.value as Role)}
          error={problem?.fields.role}
        >
          {roleChoices.map((r) => (
            <option value={r}>{s(roleKey(r))}</option>
          ))}
        </SelectField>
        <SelectField
          name="status"
          label={t("status")}
          value={status}
          onChange={(e) => edit(setStatus)(e.currentTarget.value as Status)}
          error={problem?.fields.status}
        >
          <option value="active">{t("active")}</option>
          <option value="disabled">{s("statusDisabled")}</option>
        </SelectField>
        <Field
          name="password"
          type="password"
          label={s("newPassword")}
          autoComplete="new-password"
          value={password}
          onInput={(e) => edit(setPassword)(e.currentTarget.value)}
          hint={s("newPasswordHint")}
          error={problem?.fields.password}
        />
        <button type="submit" disabled={busy}>
          {t("save")}
        </button>
        <span role="status">{saved ? ` ${t("saved")}` : ""}</span>
      </form>
    </section>
  );
}
