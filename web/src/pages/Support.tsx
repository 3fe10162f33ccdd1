// Support staff (and platform admins) find any tenant by name, slug, SIP domain, DID or
// extension number (`GET /v1/tenants?q=`), and open it: every page then shows that tenant,
// read-only until they state why they act (see `ActingBanner`).

import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, type Schemas } from "../api/client";
import { showProblem, type ShownProblem } from "../api/problem";
import { Field } from "../components/Field";
import { useStrings, type Strings } from "../i18n";
import { NotFound } from "./NotFound";
import { isStaff, useActing, useMe } from "../state";

type Tenant = Schemas["TenantView"];

const S: Strings<"title" | "query" | "queryHint" | "search" | "open" | "none" | "name" | "slug" | "status"> = {
  en: {
    title: "Find a customer",
    query: "Name, slug, SIP domain, phone number or extension",
    queryHint: "At least 2 characters. Extension numbers match exactly.",
    search: "Search",
    open: "Open",
    none: "No tenant matches.",
    name: "Name",
    slug: "Slug",
    status: "Status",
  },
  es: {
    title: "Buscar un cliente",
    query: "Nombre, identificador, dominio SIP, número de teléfono o extensión",
    queryHint: "Al menos 2 caracteres. Las extensiones deben coincidir exactamente.",
    search: "Buscar",
    open: "Abrir",
    none: "Ningún cliente coincide.",
    name: "Nombre",
    slug: "Identificador",
    status: "Estado",
  },
};

export function Support() {
  const s = useStrings(S);
  const me = useMe();
  const { setActing } = useActing();
  const { route } = useLocation();
  const [results, setResults] = useState<Tenant[] | null>(null);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  if (!isStaff(me)) return <NotFound />;

  const search = async (e: Event) => {
    e.preventDefault();
    const q = String(new FormData(e.currentTarget as HTMLFormElement).get("q") ?? "");
    const { data, error } = await api.GET("/v1/tenants", { params: { query: { q, limit: 50 } } });
    if (data) {
      setProblem(null);
      setResults(data.items);
    } else {
      setResults(null);
      setProblem(showProblem(error, ["q"]));
    }
  };

  const open = (tenant: Tenant) => {
    setActing({ tenant, reason: null });
    route("/");
  };

  return (
    <section>
      <h1>{s("title")}</h1>
      <form class="inline" role="search" onSubmit={search}>
        {problem && (
          <p role="alert" class="error">
            {problem.summary}
          </p>
        )}
        <Field name="q" label={s("query")} hint={s("queryHint")} type="search" required error={problem?.fields.q} />
        <button type="submit">{s("search")}</button>
      </form>
      {results && results.length === 0 && <p role="status">{s("none")}</p>}
      {results && results.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{s("name")}</th>
              <th scope="col">{s("slug")}</th>
              <th scope="col">{s("status")}</th>
              <th scope="col">
                <span class="sr-only">{s("open")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {results.map((t) => (
              <tr>
                <td>{t.name}</td>
                <td>{t.slug}</td>
                <td>{t.status}</td>
                <td>
                  <button type="button" onClick={() => open(t)}>
                    {s("open")} <span class="sr-only">{t.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
