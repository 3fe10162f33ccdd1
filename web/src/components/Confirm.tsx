// A destructive action asked twice, in the page rather than a browser dialog: the first
// button opens a question with "yes" and "cancel"; focus moves to the answer and back.

import { useEffect, useId, useRef, useState } from "preact/hooks";
import { useT } from "../i18n";

interface Props {
  /** The first button's text; `name` follows it for screen readers. */
  action: string;
  /** What is acted on, e.g. "200 · Sales". */
  name: string;
  question: string;
  confirm: string;
  onConfirm: () => Promise<void>;
}

export function Confirm({ action, name, question, confirm, onConfirm }: Props) {
  const t = useT();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  const questionId = useId();

  useEffect(() => {
    if (asking) yes.current?.focus();
    else if (wasAsking.current) opener.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  const go = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      setAsking(false);
    }
  };

  if (!asking)
    return (
      <button type="button" class="danger" ref={opener} onClick={() => setAsking(true)}>
        {action} <span class="sr-only">{name}</span>
      </button>
    );
  return (
    <div class="cf-confirm" role="group" aria-labelledby={questionId}>
      <p id={questionId}>{question}</p>
      <button type="button" class="danger" ref={yes} disabled={busy} onClick={() => void go()}>
        {confirm}
      </button>{" "}
      <button type="button" class="secondary" disabled={busy} onClick={() => setAsking(false)}>
        {t("cancel")}
      </button>
    </div>
  );
}
