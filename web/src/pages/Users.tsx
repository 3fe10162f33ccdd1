// The tenant's users: the list with the create form (`/users`) and one user's edit page
// (`/users/:id`).

import { api } from "../api/client";
import { Show } from "../components/load";
import { usePaged } from "../components/people/paged";
import { useSubPath } from "../components/subpath";
import { MoreButton, TableWrap } from "../components/people/ui";
import { CreateUserForm, grantableRoles } from "../components/people/UserForm";
import { useT } from "../i18n";
import { useMe } from "../state";
import { NotFound } from "./NotFound";
import { UserEdit } from "./people/UserEdit";
import { roleKey, useFormat, usePeople } from "./people/strings";

export function Users() {
  const [id, ...rest] = useSubPath();
  if (!id) return <UserList />;
  return rest.length ? <NotFound /> : <UserEdit key={id} id={id} />;
}

function UserList() {
  const t = useT();
  const s = usePeople();
  const f = useFormat();
  const me = useMe();
  const tenant = me.tenant_id ?? "";
  const paged = usePaged(
    (cursor) =>
      api.GET("/v1/tenants/{tenant_id}/users", {
        params: { path: { tenant_id: tenant }, query: { limit: 100, cursor } },
      }),
    [tenant],
  );
  if (!tenant) return <NotFound />;

  return (
    <section>
      <h1>{t("users")}</h1>
      <CreateUserForm
        roles={grantableRoles(me.role)}
        create={(body) => api.POST("/v1/tenants/{tenant_id}/users", { params: { path: { tenant_id: tenant } }, body })}
        onCreated={paged.reload}
      />
      <Show value={paged.list}>
        {(users) =>
          users.length === 0 ? (
            <p>{t("noItems")}</p>
          ) : (
            <TableWrap label={s("usersTable")}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("email")}</th>
                    <th scope="col">{t("name")}</th>
                    <th scope="col">{t("role")}</th>
                    <th scope="col">{t("status")}</th>
                    <th scope="col">{s("lastLogin")}</th>
                  </tr>
                </thead>
                <tbody>
                  {users.map((u) => (
                    <tr key={u.id} data-user={u.email}>
                      <td>
                        <a href={`/users/${u.id}`}>{u.email}</a>
                      </td>
                      <td>{u.display_name}</td>
                      <td>{s(roleKey(u.role))}</td>
                      <td>{u.status === "active" ? t("active") : s("statusDisabled")}</td>
                      <td>{u.last_login_at ? f.dateTime(u.last_login_at) : s("never")}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </Show>
      <MoreButton paged={paged} />
    </section>
  );
}
