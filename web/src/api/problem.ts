// Turning problem+json answers into what a form shows: each field error next to the input
// it names, and the rest as one message at the top.

export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

export interface ShownProblem {
  /** The message for the form as a whole (always set). */
  summary: string;
  /** Messages by input name; nested API fields (`forwarding.always.destination`) map to the
   * closest input the form declares. */
  fields: Record<string, string>;
  status: number;
  code: string;
}

function isProblem(x: unknown): x is { title?: string; detail?: string; status?: number; code?: string; errors?: FieldProblem[] } {
  return typeof x === "object" && x !== null;
}

/**
 * Maps a problem document onto a form whose inputs are named `inputs`. A field error whose
 * path has no input of its own goes to the nearest ancestor that has one; with none, it
 * joins the summary, so no error is ever hidden.
 */
export function showProblem(problem: unknown, inputs: readonly string[] = []): ShownProblem {
  const p = isProblem(problem) ? problem : {};
  const fields: Record<string, string> = {};
  const loose: string[] = [];
  for (const e of p.errors ?? []) {
    const path = e.field.replace(/\[(\d+)\]/g, ".$1").split(".");
    let target: string | undefined;
    for (let n = path.length; n > 0 && !target; n--) {
      const candidate = path.slice(0, n).join(".");
      if (inputs.includes(candidate)) target = candidate;
    }
    if (target) fields[target] = fields[target] ? `${fields[target]} ${e.message}` : e.message;
    else loose.push(e.message);
  }
  const head = p.detail || p.title || "Something went wrong";
  return {
    summary: loose.length ? `${head}: ${loose.join(" ")}` : head,
    fields,
    status: p.status ?? 0,
    code: p.code ?? "unknown",
  };
}
