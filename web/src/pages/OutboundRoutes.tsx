// Outbound routes: which trunks a dialled number leaves by. The pattern tester answers, for
// a number as a phone would dial it, the route and pattern that match and the number sent,
// so an admin checks a change before a caller finds out. The routes are listed a page at a
// time ("More").

import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { showProblem, type ShownProblem } from "../api/problem";
import { Confirm } from "../components/Confirm";
import { Field } from "../components/Field";
import { Show, useLoad } from "../components/load";
import { usePaged } from "../components/people/paged";
import { MoreButton } from "../components/people/ui";
import { refreshItem, removeItem } from "../components/refreshItem";
import { useStrings, type Strings } from "../i18n";
import { useMe } from "../state";
import { NotFound } from "./NotFound";

type TestResult = Schemas["RouteTestResult"];
const INPUTS = ["name", "patterns", "strip", "prepend", "trunk_ids"] as const;
const PAGE = 50;

const S: Strings<
  | "title" | "tester" | "dialled" | "caller" | "test" | "matched" | "noMatch" | "sent" | "pattern" | "route" | "trunks"
  | "newRoute" | "name" | "patterns" | "patternsHint" | "strip" | "prepend" | "create" | "none" | "noTrunks" | "platformTrunk"
  | "delete" | "deleteQuestion" | "position"
> = {
  en: {
    title: "Outbound routes",
    tester: "Try a number",
    dialled: "Number as dialled",
    caller: "Caller (optional)",
    test: "Test",
    matched: "Goes out by route",
    noMatch: "No enabled route matches: the call would be refused.",
    sent: "Number sent",
    pattern: "Pattern",
    route: "Route",
    trunks: "Trunks (in failover order)",
    newRoute: "New route",
    name: "Name",
    patterns: "Dial patterns, one per line",
    patternsHint: "For example 9|NXXNXXXXXX, +1NXXNXXXXXX or 011.",
    strip: "Digits to strip",
    prepend: "Prefix to add",
    create: "Create",
    none: "No routes yet: outside calls are refused.",
    noTrunks: "The tenant has no trunks of its own.",
    platformTrunk: "platform carrier",
    delete: "Delete",
    deleteQuestion: "Delete this route? Numbers it matched go by the next route that matches, or are refused.",
    position: "Order",
  },
  es: {
    title: "Rutas salientes",
    tester: "Probar un número",
    dialled: "Número tal como se marca",
    caller: "Llamante (opcional)",
    test: "Probar",
    matched: "Sale por la ruta",
    noMatch: "Ninguna ruta activa coincide: la llamada se rechazaría.",
    sent: "Número enviado",
    pattern: "Patrón",
    route: "Ruta",
    trunks: "Troncales (en orden de respaldo)",
    newRoute: "Nueva ruta",
    name: "Nombre",
    patterns: "Patrones de marcación, uno por línea",
    patternsHint: "Por ejemplo 9|NXXNXXXXXX, +1NXXNXXXXXX o 011.",
    strip: "Dígitos a quitar",
    prepend: "Prefijo a añadir",
    create: "Crear",
    none: "Todavía no hay rutas: las llamadas externas se rechazan.",
    noTrunks: "El cliente no tiene troncales propias.",
    platformTrunk: "operador de la plataforma",
    delete: "Eliminar",
    deleteQuestion: "¿Eliminar esta ruta? Los números que encajaban saldrán por la siguiente ruta que encaje, o se rechazarán.",
    position: "Orden",
  },
};

export function OutboundRoutes() {
  const s = useStrings(S);
  const me = useMe();
  const tenant = me.tenant_id ?? "";
  const path = { params: { path: { tenant_id: tenant } } };
  const paged = usePaged(
    (cursor) => api.GET("/v1/tenants/{tenant_id}/outbound-routes", { params: { path: { tenant_id: tenant }, query: { limit: PAGE, cursor } } }),
    [tenant],
  );
  const [trunks] = useLoad(() => api.GET("/v1/tenants/{tenant_id}/trunks", path), [tenant]);
  const [result, setResult] = useState<TestResult | null>(null);
  const [testProblem, setTestProblem] = useState<ShownProblem | null>(null);
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  if (!me.tenant_id) return <NotFound />;

  const trunkName = (id: string) =>
    (trunks.state === "ok" && trunks.data.items.find((t) => t.id === id)?.name) || s("platformTrunk");

  const test = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const caller = String(form.get("caller") ?? "").trim();
    const { data, error } = await api.POST("/v1/tenants/{tenant_id}/outbound-routes/test", {
      ...path,
      body: { number: String(form.get("number") ?? ""), caller: caller || null },
    });
    if (data) {
      setTestProblem(null);
      setResult(data);
    } else {
      setResult(null);
      setTestProblem(showProblem(error, ["number", "caller"]));
    }
  };

  const create = async (e: Event) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const form = new FormData(formEl);
    const strip = String(form.get("strip") ?? "").trim();
    const { data, error } = await api.POST("/v1/tenants/{tenant_id}/outbound-routes", {
      ...path,
      body: {
        name: String(form.get("name") ?? ""),
        patterns: String(form.get("patterns") ?? "")
          .split(/\r?\n/)
          .map((p) => p.trim())
          .filter(Boolean),
        strip: strip ? Number(strip) : null,
        prepend: String(form.get("prepend") ?? "") || null,
        trunk_ids: form.getAll("trunk_ids").map(String),
      },
    });
    if (data) {
      setProblem(null);
      formEl.reset();
      paged.reload();
    } else setProblem(showProblem(error, INPUTS));
  };

  // Out of the list in place (the pages loaded stay); a refusal reads the route again.
  const remove = async (id: string) => {
    const params = { params: { path: { tenant_id: tenant, route_id: id } } };
    const { error, response } = await api.DELETE("/v1/tenants/{tenant_id}/outbound-routes/{route_id}", params);
    if (response.ok) paged.update((items) => removeItem(items, id));
    else {
      setProblem(showProblem(error));
      await refreshItem(paged.update, id, () => api.GET("/v1/tenants/{tenant_id}/outbound-routes/{route_id}", params));
    }
  };

  return (
    <section>
      <h1>{s("title")}</h1>
      <form class="inline" onSubmit={test} aria-labelledby="tester">
        <h2 id="tester">{s("tester")}</h2>
        {testProblem && (
          <p role="alert" class="error">
            {testProblem.summary}
          </p>
        )}
        <Field name="number" label={s("dialled")} inputMode="tel" required error={testProblem?.fields.number} />
        <Field name="caller" label={s("caller")} inputMode="tel" error={testProblem?.fields.caller} />
        <button type="submit">{s("test")}</button>
        {result && (
          <div role="status" class="test-result" data-testid="route-test">
            {result.matched ? (
              <dl>
                <dt>{s("matched")}</dt>
                <dd>{result.route_name}</dd>
                <dt>{s("pattern")}</dt>
                <dd>
                  <code>{result.pattern}</code>
                </dd>
                <dt>{s("sent")}</dt>
                <dd>
                  <code>{result.number}</code>
                </dd>
                <dt>{s("trunks")}</dt>
                <dd>{result.trunk_ids.map(trunkName).join(" → ")}</dd>
              </dl>
            ) : (
              <p>{s("noMatch")}</p>
            )}
          </div>
        )}
      </form>
      <Show value={paged.list}>
        {(items) =>
          items.length === 0 ? (
            <p>{s("none")}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">{s("position")}</th>
                  <th scope="col">{s("name")}</th>
                  <th scope="col">{s("pattern")}</th>
                  <th scope="col">{s("trunks")}</th>
                  <th scope="col">
                    <span class="sr-only">{s("delete")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <tr key={r.id}>
                    <td>{r.position}</td>
                    <td>{r.name}</td>
                    <td>
                      <code>{r.patterns.join(", ")}</code>
                    </td>
                    <td>{r.trunk_ids.map(trunkName).join(" → ")}</td>
                    <td>
                      <Confirm
                        action={s("delete")}
                        name={r.name}
                        question={s("deleteQuestion")}
                        confirm={s("delete")}
                        onConfirm={() => remove(r.id)}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
      <MoreButton paged={paged} />
      <form class="inline" onSubmit={create} aria-labelledby="new-route">
        <h2 id="new-route">{s("newRoute")}</h2>
        {problem && (
          <p role="alert" class="error">
            {problem.summary}
          </p>
        )}
        <Field name="name" label={s("name")} required error={problem?.fields.name} />
        <div class="field">
          <label for="f-patterns">{s("patterns")}</label>
          <textarea
            id="f-patterns"
            name="patterns"
            rows={3}
            required
            aria-describedby={problem?.fields.patterns ? "f-patterns-hint f-patterns-error" : "f-patterns-hint"}
            aria-invalid={problem?.fields.patterns ? "true" : undefined}
          />
          <small id="f-patterns-hint" class="hint">
            {s("patternsHint")}
          </small>
          {problem?.fields.patterns && (
            <small id="f-patterns-error" class="field-error">
              {problem.fields.patterns}
            </small>
          )}
        </div>
        <Field name="strip" label={s("strip")} type="number" min={0} max={32} error={problem?.fields.strip} />
        <Field name="prepend" label={s("prepend")} error={problem?.fields.prepend} />
        <fieldset class="group" aria-describedby={problem?.fields.trunk_ids ? "f-trunks-error" : undefined}>
          <legend>{s("trunks")}</legend>
          <Show value={trunks}>
            {(page) =>
              page.items.length === 0 ? (
                <p>{s("noTrunks")}</p>
              ) : (
                <>
                  {page.items.map((t) => (
                    <div class="field check">
                      <input id={`trunk-${t.id}`} type="checkbox" name="trunk_ids" value={t.id} />
                      <label for={`trunk-${t.id}`}>
                        {t.name} ({t.host})
                      </label>
                    </div>
                  ))}
                </>
              )
            }
          </Show>
          {problem?.fields.trunk_ids && (
            <small id="f-trunks-error" class="field-error">
              {problem.fields.trunk_ids}
            </small>
          )}
        </fieldset>
        <button type="submit">{s("create")}</button>
      </form>
    </section>
  );
}
