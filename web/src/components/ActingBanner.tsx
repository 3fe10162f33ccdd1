// The banner staff see while inside a tenant: whose data this is, whether they may change
// it (support staff only after stating a reason, which every change then carries to the
// audit log), and the way out.

import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { useStrings, type Strings } from "../i18n";
import { useActing, useMe } from "../state";

const S: Strings<"viewing" | "readOnly" | "acting" | "reason" | "give" | "leave" | "required"> = {
  en: {
    viewing: "Inside",
    readOnly: "Read-only: state why you act before changing anything.",
    acting: "Acting because:",
    reason: "Reason (ticket, customer request…)",
    give: "Act with this reason",
    leave: "Leave tenant",
    required: "A reason is required.",
  },
  es: {
    viewing: "Dentro de",
    readOnly: "Solo lectura: indique el motivo antes de cambiar nada.",
    acting: "Actuando por:",
    reason: "Motivo (incidencia, petición del cliente…)",
    give: "Actuar con este motivo",
    leave: "Salir del cliente",
    required: "Hace falta un motivo.",
  },
};

export function ActingBanner() {
  const s = useStrings(S);
  const me = useMe();
  const { acting, setActing } = useActing();
  const { route } = useLocation();
  const [error, setError] = useState<string | null>(null);
  if (!acting) return null;
  // Platform admins may change tenants without a reason; support staff may not.
  const needsReason = me.role === "support" && acting.reason === null;

  const give = (e: Event) => {
    e.preventDefault();
    const reason = String(new FormData(e.currentTarget as HTMLFormElement).get("reason") ?? "").trim();
    if (!reason) {
      setError(s("required"));
      return;
    }
    setError(null);
    setActing({ ...acting, reason });
  };
  const leave = () => {
    setActing(null);
    route("/support");
  };

  return (
    <aside class="acting" aria-label={`${s("viewing")} ${acting.tenant.name}`}>
      <p>
        <strong>
          {s("viewing")} {acting.tenant.name}
        </strong>{" "}
        {needsReason && <span>{s("readOnly")}</span>}
        {acting.reason && (
          <span>
            {s("acting")} <q data-testid="acting-reason">{acting.reason}</q>
          </span>
        )}
      </p>
      {needsReason && (
        <form onSubmit={give} class="reason">
          <label for="acting-reason">{s("reason")}</label>
          <input id="acting-reason" name="reason" aria-invalid={error ? "true" : undefined} aria-describedby={error ? "acting-reason-error" : undefined} />
          <button type="submit">{s("give")}</button>
          {error && (
            <small id="acting-reason-error" class="field-error">
              {error}
            </small>
          )}
        </form>
      )}
      <button type="button" class="secondary" onClick={leave}>
        {s("leave")}
      </button>
    </aside>
  );
}
