// One call-flow object's page (a ring group, an IVR menu, a queue, a conference): a link back
// to its kind's list, its title, what the kind shows (its form…), and deleting it after a
// confirmation, which goes back to the list or shows why the API refused.

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { showProblem } from "../../api/problem";
import { Confirm } from "../Confirm";
import { useStrings } from "../../i18n";
import { FLOW } from "./strings";

export function ObjectPage(props: {
  /** The kind's list, e.g. `/queues`. */
  base: string;
  title: string;
  deleteQuestion: string;
  /** Deletes the object (with its version in If-Match). */
  remove: () => Promise<{ error?: unknown; response: Response }>;
  children: ComponentChildren;
}) {
  const { base, title, deleteQuestion, remove, children } = props;
  const f = useStrings(FLOW);
  const { route } = useLocation();
  const [problem, setProblem] = useState<string | null>(null);

  const confirmed = async () => {
    const { error, response } = await remove();
    if (response.ok) route(base);
    else setProblem(showProblem(error).summary);
  };

  return (
    <section>
      <p>
        <a href={base}>{f("back")}</a>
      </p>
      <h1>{title}</h1>
      {children}
      <div class="cf-danger-zone">
        {problem && (
          <p role="alert" class="error">
            {problem}
          </p>
        )}
        <Confirm action={f("delete")} name={title} question={deleteQuestion} confirm={f("yesDelete")} onConfirm={confirmed} />
      </div>
    </section>
  );
}
