import { act, cleanup, fireEvent, render, screen } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useAudioPlayer } from "./audio";

/** A page with two messages to play, as the voicemail page uses the hook. */
function Player() {
  const p = useAudioPlayer();
  return (
    <div>
      <button onClick={() => void p.play("m1", "http://localhost/audio/m1")}>one</button>
      <button onClick={() => void p.play("m2", "http://localhost/audio/m2")}>two</button>
      <button onClick={p.close}>close</button>
      {p.playing && <audio data-testid="audio" data-id={p.playing.id} src={p.playing.url} />}
      {p.error && <p role="alert">{p.error}</p>}
    </div>
  );
}

let created: string[];
let revoked: string[];
let requests: Request[];

beforeEach(() => {
  created = [];
  revoked = [];
  requests = [];
  let n = 0;
  // jsdom has no blob: URLs; these stand in and record what was made and revoked.
  URL.createObjectURL = vi.fn(() => {
    const url = `blob:test/${++n}`;
    created.push(url);
    return url;
  });
  URL.revokeObjectURL = vi.fn((url: string) => void revoked.push(url));
  vi.stubGlobal(
    "fetch",
    vi.fn(async (req: Request) => {
      requests.push(req);
      if (req.url.endsWith("/missing")) {
        return new Response(JSON.stringify({ status: 404, title: "Not Found", detail: "voicemail message not found" }), {
          status: 404,
          headers: { "content-type": "application/problem+json" },
        });
      }
      return new Response(new Uint8Array([82, 73, 70, 70]), { headers: { "content-type": "audio/wav" } });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const click = async (name: string) => {
  await act(async () => {
    fireEvent.click(screen.getByText(name));
    await new Promise((r) => setTimeout(r, 0));
  });
};

describe("useAudioPlayer", () => {
  it("plays from a blob: URL and revokes each URL once it is no longer shown", async () => {
    const { unmount } = render(<Player />);
    await click("one");
    const audio = await screen.findByTestId("audio");
    expect(audio.getAttribute("src")).toBe("blob:test/1");
    expect(requests[0]?.url).toMatch(/\/audio\/m1$/);
    expect(revoked).toEqual([]);

    await click("two");
    expect(screen.getByTestId("audio").getAttribute("src")).toBe("blob:test/2");
    expect(revoked).toEqual(["blob:test/1"]);

    await click("close");
    expect(screen.queryByTestId("audio")).toBeNull();
    expect(revoked).toEqual(["blob:test/1", "blob:test/2"]);

    await click("one");
    unmount();
    expect(revoked).toEqual(["blob:test/1", "blob:test/2", "blob:test/3"]);
    expect(created).toHaveLength(3);
  });

  it("shows the API's problem and plays nothing when the audio cannot be had", async () => {
    function Missing() {
      const p = useAudioPlayer();
      return (
        <div>
          <button onClick={() => void p.play("gone", "http://localhost/audio/missing")}>gone</button>
          {p.playing && <audio data-testid="audio" src={p.playing.url} />}
          {p.error && <p role="alert">{p.error}</p>}
        </div>
      );
    }
    render(<Missing />);
    await click("gone");
    expect((await screen.findByRole("alert")).textContent).toBe("voicemail message not found");
    expect(screen.queryByTestId("audio")).toBeNull();
    expect(created).toEqual([]);
  });
});
