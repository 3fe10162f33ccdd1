import { useState } from "preact/hooks";
import { showProblem } from "../api/problem";
import { signIn } from "../api/session";
import { Field } from "../components/Field";
import { useT } from "../i18n";

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      const problem = await signIn(String(form.get("email") ?? ""), String(form.get("password") ?? ""));
      if (problem) setError(showProblem(problem).summary);
      else onSignedIn();
    } catch {
      setError(t("networkDown"));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">{t("appName")}</h1>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <Field name="email" label={t("email")} type="email" autoComplete="username" required />
        <Field name="password" label={t("password")} type="password" autoComplete="current-password" required />
        <button type="submit" disabled={busy}>
          {busy ? t("signingIn") : t("signIn")}
        </button>
      </form>
    </main>
  );
}
