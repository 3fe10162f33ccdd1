// One voicemail box's messages (`/voicemail/:boxId`): who called and when, listened to in
// the browser, marked read or unread, deleted after a confirmation.

import { useState } from "preact/hooks";
import { api, type Schemas } from "../../api/client";
import { showProblem } from "../../api/problem";
import { Show, useLoad } from "../../components/load";
import { useAudioPlayer } from "../../components/people/audio";
import { ConfirmDelete } from "../../components/people/ConfirmDelete";
import { usePaged } from "../../components/people/paged";
import { MoreButton, SelectField, TableWrap } from "../../components/people/ui";
import { useT } from "../../i18n";
import { useMe } from "../../state";
import { useFormat, usePeople } from "./strings";

type Box = Schemas["VoicemailBoxView"];
type Message = Schemas["VoicemailMessageView"];

export function VoicemailBox({ boxId }: { boxId: string }) {
  const tenant = useMe().tenant_id ?? "";
  const [box] = useLoad(
    () => api.GET("/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}", { params: { path: { tenant_id: tenant, box_id: boxId } } }),
    [tenant, boxId],
  );
  return <Show value={box}>{(b) => <Messages tenant={tenant} box={b} />}</Show>;
}

/** "Ana García (+34911234567)", or whichever part the switch knew. */
export function callerLabel(m: Pick<Message, "caller_id_name" | "caller_id_number">, unknown: string): string {
  const name = m.caller_id_name?.trim();
  const number = m.caller_id_number?.trim();
  if (name && number) return `${name} (${number})`;
  return name || number || unknown;
}

function Messages({ tenant, box }: { tenant: string; box: Box }) {
  const s = usePeople();
  const base = { tenant_id: tenant, box_id: box.id };
  const source: MessageSource = {
    load: (cursor, unreadOnly) =>
      api.GET("/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}/messages", {
        params: { path: base, query: { limit: 50, cursor, read: unreadOnly ? false : undefined } },
      }),
    mark: (m, read) =>
      api.PATCH("/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}/messages/{message_id}", {
        params: { path: { ...base, message_id: m.id } },
        body: { read },
      }),
    remove: (m) =>
      api.DELETE("/v1/tenants/{tenant_id}/voicemail-boxes/{box_id}/messages/{message_id}", {
        params: { path: { ...base, message_id: m.id } },
      }),
    audioPath: (m) => `/v1/tenants/${tenant}/voicemail-boxes/${box.id}/messages/${m.id}/audio`,
  };
  return (
    <section>
      <p>
        <a href="/voicemail">← {s("backToVoicemail")}</a>
      </p>
      <h1>
        {s("messagesOf")} {box.mailbox}
      </h1>
      <MessageList source={source} deps={[tenant, box.id]} />
    </section>
  );
}

/** Where a list of messages comes from and how they are changed: a box's (tenant admins)
 * or the signed-in user's own (`/v1/me/voicemail-messages`). */
export interface MessageSource {
  load: (
    cursor: string | undefined,
    unreadOnly: boolean,
  ) => Promise<{ data?: { items: Message[]; next_cursor?: string | null }; error?: unknown; response: Response }>;
  mark: (m: Message, read: boolean) => Promise<{ data?: Message; error?: unknown }>;
  remove: (m: Message) => Promise<{ error?: unknown; response: Response }>;
  audioPath: (m: Message) => string;
}

/** Messages listened to in the browser, marked read or unread, deleted after a confirmation. */
export function MessageList({ source, deps, empty }: { source: MessageSource; deps: unknown[]; empty?: string }) {
  const t = useT();
  const s = usePeople();
  const f = useFormat();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState("");
  const player = useAudioPlayer();
  const paged = usePaged((cursor) => source.load(cursor, unreadOnly), [...deps, unreadOnly]);

  const setRead = async (m: Message, read: boolean) => {
    setNotice("");
    const { data, error } = await source.mark(m, read);
    if (data) {
      setProblem(null);
      paged.update((items) => items.map((x) => (x.id === data.id ? data : x)));
    } else setProblem(showProblem(error).summary);
  };

  const remove = async (m: Message) => {
    setNotice("");
    const { error, response } = await source.remove(m);
    // 404: it was deleted already (another tab, the e-mail job); either way it is gone.
    if (response.ok || response.status === 404) {
      setProblem(null);
      if (player.playing?.id === m.id || player.loading === m.id) player.close();
      paged.update((items) => items.filter((x) => x.id !== m.id));
      setNotice(s("deleted"));
    } else setProblem(showProblem(error).summary);
  };

  const audioPath = source.audioPath;
  const playingMessage = paged.list.state === "ok" ? paged.list.data.find((m) => m.id === player.playing?.id) : undefined;

  return (
    <>
      <div class="pc-toolbar">
        <SelectField
          name="read"
          label={s("show")}
          value={unreadOnly ? "unread" : "all"}
          onChange={(e) => setUnreadOnly(e.currentTarget.value === "unread")}
        >
          <option value="all">{s("all")}</option>
          <option value="unread">{s("unreadOnly")}</option>
        </SelectField>
      </div>
      {(problem || player.error) && (
        <p role="alert" class="error">
          {problem ?? player.error}
        </p>
      )}
      <p role="status">
        {notice}
      </p>
      {player.playing && playingMessage && (
        <div class="pc-player" role="region" aria-label={`${s("audioOf")} ${callerLabel(playingMessage, s("unknownCaller"))}`}>
          <p>
            {s("audioOf")} <strong>{callerLabel(playingMessage, s("unknownCaller"))}</strong> · {f.dateTime(playingMessage.received_at)}
          </p>
          {/* Autoplay follows the user's click on "Play"; the controls stay for pausing and seeking. */}
          <audio key={player.playing.url} controls autoPlay src={player.playing.url} aria-label={s("audioOf")} />
          <p>
            <button type="button" class="secondary" onClick={player.close}>
              {s("closeAudio")}
            </button>
          </p>
        </div>
      )}
      <Show value={paged.list}>
        {(messages) =>
          messages.length === 0 ? (
            <p>{empty ?? s("noMessages")}</p>
          ) : (
            <TableWrap label={s("messagesTable")}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("caller")}</th>
                    <th scope="col">{s("received")}</th>
                    <th scope="col">{t("duration")}</th>
                    <th scope="col">{t("status")}</th>
                    <th scope="col">
                      <span class="sr-only">{t("edit")}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {messages.map((m) => {
                    const who = callerLabel(m, s("unknownCaller"));
                    const what = `${s("audioOf").toLowerCase()} ${who}, ${f.dateTime(m.received_at)}`;
                    return (
                      <tr key={m.id} data-message={m.id} class={m.read ? undefined : "pc-unread"}>
                        <td>{who}</td>
                        <td>{f.dateTime(m.received_at)}</td>
                        <td>{f.duration(m.duration_secs)}</td>
                        <td>{m.read ? s("read") : <strong>{s("unread")}</strong>}</td>
                        <td>
                          <div class="pc-actions">
                            <button
                              type="button"
                              onClick={() => void player.play(m.id, audioPath(m))}
                              disabled={player.loading === m.id}
                              aria-busy={player.loading === m.id}
                            >
                              {player.loading === m.id ? s("loadingAudio") : s("play")} <span class="sr-only">{what}</span>
                            </button>{" "}
                            <button type="button" class="secondary" onClick={() => void setRead(m, !m.read)}>
                              {m.read ? s("markUnread") : s("markRead")} <span class="sr-only">{what}</span>
                            </button>{" "}
                            <ConfirmDelete what={what} question={s("confirmDelete")} onConfirm={() => remove(m)} />
                          </div>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableWrap>
          )
        }
      </Show>
      <MoreButton paged={paged} />
    </>
  );
}
