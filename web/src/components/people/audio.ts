// Playing a protected recording in the browser. An <audio src> cannot send the bearer token
// (and a token must never go in a URL), so the audio is fetched with `authFetch` and played
// from a `blob:` URL (the CSP allows `media-src blob:`). Each URL is revoked as soon as it is
// no longer shown: another message played, the player closed, the page left.

import { useEffect, useRef, useState } from "preact/hooks";
import { authFetch } from "../../api/session";
import { showProblem } from "../../api/problem";

export interface Playing {
  /** Which recording (the caller's id for it). */
  id: string;
  url: string;
}

export interface AudioPlayer {
  playing: Playing | null;
  /** The id being fetched, if any. */
  loading: string | null;
  error: string | null;
  play: (id: string, path: string) => Promise<void>;
  close: () => void;
}

/** Fetches `path` with the session and answers a blob: URL for it, or throws the problem. */
export async function fetchBlobUrl(path: string): Promise<string> {
  const res = await authFetch(new Request(path));
  if (!res.ok) {
    const problem: unknown = await res.json().catch(() => ({ status: res.status, title: res.statusText }));
    throw new Error(showProblem(problem).summary);
  }
  return URL.createObjectURL(await res.blob());
}

export function useAudioPlayer(): AudioPlayer {
  const [playing, setPlaying] = useState<Playing | null>(null);
  const [loading, setLoading] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Only the last click counts: an earlier fetch that answers late is thrown away.
  const latest = useRef(0);

  // Revoke the previous URL whenever it is replaced, and the last one on unmount.
  const url = playing?.url;
  useEffect(
    () => () => {
      if (url) URL.revokeObjectURL(url);
    },
    [url],
  );

  const play = async (id: string, path: string) => {
    const mine = ++latest.current;
    setLoading(id);
    setError(null);
    try {
      const blobUrl = await fetchBlobUrl(path);
      if (mine !== latest.current) URL.revokeObjectURL(blobUrl);
      else setPlaying({ id, url: blobUrl });
    } catch (err) {
      if (mine === latest.current) setError(err instanceof Error ? err.message : String(err));
    } finally {
      if (mine === latest.current) setLoading(null);
    }
  };

  const close = () => {
    latest.current++;
    setLoading(null);
    setPlaying(null);
  };

  return { playing, loading, error, play, close };
}
