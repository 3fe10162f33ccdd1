// A delete button with a confirmation step in place: the first press asks, the second
// (on "Yes, delete") deletes. Focus moves to the question's buttons and back, so it works
// from the keyboard; Escape cancels.

import { useEffect, useRef, useState } from "preact/hooks";
import { useT } from "../../i18n";
import { usePeople } from "../../pages/people/strings";

interface Props {
  /** What is deleted, for screen readers ("message from Ana García"). */
  what: string;
  question: string;
  onConfirm: () => Promise<void> | void;
}

export function ConfirmDelete({ what, question, onConfirm }: Props) {
  const t = useT();
  const s = usePeople();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  const start = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);

  useEffect(() => {
    if (asking) yes.current?.focus();
    else if (wasAsking.current) start.current?.focus();
    wasAsking.current = asking;
  }, [asking]);

  if (!asking) {
    return (
      <button ref={start} type="button" class="pc-danger" onClick={() => setAsking(true)}>
        {s("delete")} <span class="sr-only">{what}</span>
      </button>
    );
  }
  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
    }
  };
  return (
    <span
      class="pc-confirm"
      role="group"
      aria-label={`${s("delete")} ${what}`}
      onKeyDown={(e) => {
        if (e.key === "Escape") setAsking(false);
      }}
    >
      <span>{question}</span>{" "}
      <button ref={yes} type="button" class="pc-danger" disabled={busy} onClick={() => void confirm()}>
        {s("confirmDeleteYes")} <span class="sr-only">{what}</span>
      </button>{" "}
      <button type="button" class="secondary" onClick={() => setAsking(false)}>
        {t("cancel")}
      </button>
    </span>
  );
}
