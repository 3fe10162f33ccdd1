// Saving a file the API answers to an authenticated request (a CSV export): fetched with
// `authFetch` (a plain link could not carry the bearer token), then handed to the browser
// through a temporary blob: link with a `download` name.

import { showProblem } from "../../api/problem";
import { authFetch } from "../../api/session";

export async function downloadFile(path: string, fileName: string, accept: string): Promise<void> {
  const res = await authFetch(new Request(path, { headers: { accept } }));
  if (!res.ok) {
    const problem: unknown = await res.json().catch(() => ({ status: res.status, title: res.statusText }));
    throw new Error(showProblem(problem).summary);
  }
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    // The browser reads the blob after this task: revoke it a little later, not now.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
