// A partner sets a customer's billing terms (`PATCH /v1/tenants/{child}/billing-account`):
// prepaid or postpaid, currency, credit limit, tax rate, billing day, and which of the
// partner's rate decks the customer's calls are sold at.

import { useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { api, ifMatch, type Schemas } from "../../api/client";
import { showProblem, type ShownProblem } from "../../api/problem";
import { Field } from "../../components/Field";
import { Show, useLoad } from "../../components/load";
import { money } from "../../money";
import { useStrings, type Strings } from "../../i18n";
import { isPartner, useMe } from "../../state";
import { NotFound } from "../NotFound";

type Account = Schemas["BillingAccountView"];
type Kind = Schemas["AccountKind"];
const INPUTS = ["kind", "currency", "credit_limit", "tax_rate", "billing_day", "sell_deck_id"] as const;

const S: Strings<
  "title" | "balance" | "kind" | "prepaid" | "postpaid" | "currency" | "creditLimit" | "taxRate" | "billingDay" | "deck" | "noDeck" | "save" | "saved"
> = {
  en: {
    title: "Billing terms of",
    balance: "Balance",
    kind: "Account",
    prepaid: "Prepaid",
    postpaid: "Postpaid",
    currency: "Currency (ISO 4217)",
    creditLimit: "Credit limit",
    taxRate: "Tax rate (%)",
    billingDay: "Billing day (1-28)",
    deck: "Sells at rate deck",
    noDeck: "— none: outside calls are refused —",
    save: "Save",
    saved: "Saved",
  },
  es: {
    title: "Condiciones de facturación de",
    balance: "Saldo",
    kind: "Cuenta",
    prepaid: "Prepago",
    postpaid: "Pospago",
    currency: "Moneda (ISO 4217)",
    creditLimit: "Límite de crédito",
    taxRate: "Impuesto (%)",
    billingDay: "Día de facturación (1-28)",
    deck: "Vende con la tarifa",
    noDeck: "— ninguna: se rechazan las llamadas externas —",
    save: "Guardar",
    saved: "Guardado",
  },
};

export function ChildBilling() {
  const me = useMe();
  const { params } = useRoute();
  const child = params.id ?? "";
  const path = { params: { path: { tenant_id: child } } };
  const [tenant] = useLoad(() => api.GET("/v1/tenants/{tenant_id}", path), [child]);
  const [account, reload] = useLoad(() => api.GET("/v1/tenants/{tenant_id}/billing-account", path), [child]);
  const [balance] = useLoad(() => api.GET("/v1/tenants/{tenant_id}/balance", path), [child]);
  const [decks] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/rate-decks", { params: { path: { tenant_id: me.tenant_id ?? "" }, query: { limit: 200 } } }),
    [me.tenant_id],
  );
  if (!isPartner(me) || !me.tenant_id) return <NotFound />;
  return (
    <Show value={tenant}>
      {(t) => (
        <Show value={account}>
          {(a) => (
            <Terms
              child={child}
              name={t.name}
              account={a}
              balance={balance.state === "ok" ? money(balance.data.balance, balance.data.currency) : "…"}
              decks={decks.state === "ok" ? decks.data.items : []}
              onSaved={reload}
            />
          )}
        </Show>
      )}
    </Show>
  );
}

/** The form stays mounted across saves (its fields hold what was saved, the next save sends
 * the reloaded version in If-Match), so the "Saved" status stays visible. */
function Terms(props: {
  child: string;
  name: string;
  account: Account;
  balance: string;
  decks: Schemas["RateDeckView"][];
  onSaved: () => void;
}) {
  const { child, name, account, balance, decks, onSaved } = props;
  const s = useStrings(S);
  const [kind, setKind] = useState<Kind>(account.kind);
  const [deck, setDeck] = useState(account.sell_deck_id ?? "");
  const [problem, setProblem] = useState<ShownProblem | null>(null);
  const [saved, setSaved] = useState(false);

  const save = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const { data, error } = await api.PATCH("/v1/tenants/{tenant_id}/billing-account", {
      params: { path: { tenant_id: child }, header: ifMatch(account.version) },
      body: {
        kind,
        currency: String(form.get("currency") ?? "").toUpperCase(),
        credit_limit: String(form.get("credit_limit") ?? ""),
        tax_rate: String(form.get("tax_rate") ?? ""),
        billing_day: Number(form.get("billing_day")),
        sell_deck_id: deck || null,
      },
    });
    if (data) {
      setProblem(null);
      setSaved(true);
      onSaved();
    } else {
      setSaved(false);
      setProblem(showProblem(error, INPUTS));
    }
  };

  return (
    <section>
      <h1>
        {s("title")} {name}
      </h1>
      <p>
        {s("balance")}: <strong data-testid="child-balance">{balance}</strong>
      </p>
      <form class="inline" onSubmit={save} aria-label={`${s("title")} ${name}`}>
        {problem && (
          <p role="alert" class="error">
            {problem.summary}
          </p>
        )}
        <div class="field">
          <label for="f-kind">{s("kind")}</label>
          <select id="f-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
            <option value="prepaid">{s("prepaid")}</option>
            <option value="postpaid">{s("postpaid")}</option>
          </select>
        </div>
        <Field name="currency" label={s("currency")} defaultValue={account.currency} maxLength={3} error={problem?.fields.currency} />
        <Field name="credit_limit" label={s("creditLimit")} inputMode="decimal" defaultValue={account.credit_limit} error={problem?.fields.credit_limit} />
        <Field name="tax_rate" label={s("taxRate")} inputMode="decimal" defaultValue={account.tax_rate} error={problem?.fields.tax_rate} />
        <Field name="billing_day" label={s("billingDay")} type="number" min={1} max={28} defaultValue={String(account.billing_day)} error={problem?.fields.billing_day} />
        <div class="field">
          <label for="f-sell_deck_id">{s("deck")}</label>
          <select
            id="f-sell_deck_id"
            value={deck}
            onChange={(e) => setDeck(e.currentTarget.value)}
            aria-invalid={problem?.fields.sell_deck_id ? "true" : undefined}
            aria-describedby={problem?.fields.sell_deck_id ? "f-sell_deck_id-error" : undefined}
          >
            <option value="">{s("noDeck")}</option>
            {decks.map((d) => (
              <option value={d.id}>
                {d.name} ({d.currency})
              </option>
            ))}
          </select>
          {problem?.fields.sell_deck_id && (
            <small id="f-sell_deck_id-error" class="field-error">
              {problem.fields.sell_deck_id}
            </small>
          )}
        </div>
        <button type="submit">{s("save")}</button>
        {saved && <span role="status"> {s("saved")}</span>}
      </form>
    </section>
  );
}
