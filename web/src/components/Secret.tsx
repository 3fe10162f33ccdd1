// A secret the API shows once (a SIP password, an API key): displayed with a copy button and
// the warning that it will not be shown again. It lives only in the component's state.

import { useState } from "preact/hooks";
import { useT } from "../i18n";

export function Secret({ label, value }: { label: string; value: string }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(value);
    setCopied(true);
  };
  return (
    <div class="secret" role="status">
      <p>
        <strong>{label}</strong>: <code data-testid="secret">{value}</code>{" "}
        <button type="button" onClick={() => void copy()}>
          {copied ? t("copied") : t("copy")}
        </button>
      </p>
      <p class="hint">{t("sipPasswordOnce")}</p>
    </div>
  );
}
