// "What happens at …": asks the API which branch a saved time condition takes at a wall-clock
// time in the schedule's zone, and says where the call goes and why.

import { useState } from "preact/hooks";
import { api, type Schemas } from "../../api/client";
import { showProblem } from "../../api/problem";
import { useStrings, type Strings } from "../../i18n";
import { DestinationText, type Labels } from "../DestinationText";
import { browserTimeZone, nowInZone, zonedToInstant } from "./model";
import { SCHEDULE_STRINGS, describeRule } from "./strings";

type Condition = Schemas["TimeConditionView"];
type Evaluation = Schemas["EvaluationView"];

const S: Strings<
  "title" | "hint" | "at" | "check" | "matched" | "unmatched" | "goesTo" | "byRule" | "byException" | "noRule" | "localTime" | "badTime"
> = {
  en: {
    title: "What happens at …",
    hint: "Checks the saved schedule: save your changes first.",
    at: "Date and time in {zone}",
    check: "Check",
    matched: "Matched (open)",
    unmatched: "Not matched (closed)",
    goesTo: "Calls go to",
    byRule: "Because of the rule",
    byException: "Because of the exception",
    noRule: "No rule matches at this time.",
    localTime: "On the schedule's clock",
    badTime: "Enter a date and a time.",
  },
  es: {
    title: "Qué pasa el …",
    hint: "Comprueba el horario guardado: guarde antes sus cambios.",
    at: "Fecha y hora en {zone}",
    check: "Comprobar",
    matched: "Coincide (abierto)",
    unmatched: "No coincide (cerrado)",
    goesTo: "Las llamadas van a",
    byRule: "Por la regla",
    byException: "Por la excepción",
    noRule: "Ninguna regla coincide a esa hora.",
    localTime: "En el reloj del horario",
    badTime: "Indique una fecha y una hora.",
  },
};

function initialTime(zone: string): string {
  try {
    return nowInZone(zone);
  } catch {
    // A zone this browser does not know: its own clock is the best guess.
    return nowInZone(browserTimeZone());
  }
}

export function WhatHappensAt({ tenant, condition, cache }: { tenant: string; condition: Condition; cache: Labels }) {
  const s = useStrings(S);
  const rs = useStrings(SCHEDULE_STRINGS);
  const zone = condition.schedule.time_zone;
  const [local, setLocal] = useState(() => initialTime(zone));
  const [result, setResult] = useState<Evaluation | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const check = async (e: Event) => {
    e.preventDefault();
    let at: string | null = null;
    try {
      at = zonedToInstant(local, zone);
    } catch {
      at = null;
    }
    if (!at) {
      setResult(null);
      return setProblem(s("badTime"));
    }
    setBusy(true);
    const { data, error } = await api.GET("/v1/tenants/{tenant_id}/time-conditions/{condition_id}/evaluate", {
      params: { path: { tenant_id: tenant, condition_id: condition.id }, query: { at } },
    });
    setBusy(false);
    setResult(data ?? null);
    setProblem(data ? null : showProblem(error).summary);
  };

  const rule = result?.rule != null ? condition.schedule.rules[result.rule] : undefined;
  const exception = result?.exception != null ? condition.schedule.exceptions?.[result.exception] : undefined;

  return (
    <form class="inline sb-evaluate" onSubmit={check} aria-labelledby="tc-eval">
      <h2 id="tc-eval">{s("title")}</h2>
      <p class="hint" id="tc-eval-hint">
        {s("hint")}
      </p>
      <div class="field">
        <label for="f-evaluate-at">{s("at").replace("{zone}", zone)}</label>
        <input
          id="f-evaluate-at"
          type="datetime-local"
          step={60}
          value={local}
          aria-describedby="tc-eval-hint"
          onInput={(e) => setLocal(e.currentTarget.value)}
        />
      </div>
      <button type="submit" disabled={busy}>
        {s("check")}
      </button>
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      <div role="status" class="sb-verdict">
        {result && (
          <>
            <p>
              <strong data-testid="verdict" class={result.matched ? "sb-open" : "sb-closed"}>
                {result.matched ? s("matched") : s("unmatched")}
              </strong>
              {" · "}
              {s("goesTo")}: <DestinationText tenant={tenant} value={result.destination} labels={cache} />
            </p>
            <p class="hint">
              {rule && `${s("byRule")}: ${describeRule(rule, rs)}`}
              {exception && `${s("byException")}: ${describeRule(exception, rs)}`}
              {!rule && !exception && s("noRule")}
              {" · "}
              {s("localTime")}: <time dateTime={result.at}>{result.local_time}</time>
            </p>
          </>
        )}
      </div>
    </form>
  );
}
