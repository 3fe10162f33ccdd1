// The signed-in user's own voicemail (`/me/voicemail`): the messages of every box their
// phones use, from `/v1/me/voicemail-messages`, with the same list tenant admins see.

import { api } from "../api/client";
import { useT } from "../i18n";
import { MessageList, type MessageSource } from "./people/VoicemailBox";
import { usePeople } from "./people/strings";

const SOURCE: MessageSource = {
  load: (cursor, unreadOnly) =>
    api.GET("/v1/me/voicemail-messages", { params: { query: { limit: 50, cursor, read: unreadOnly ? false : undefined } } }),
  mark: (m, read) => api.PATCH("/v1/me/voicemail-messages/{message_id}", { params: { path: { message_id: m.id } }, body: { read } }),
  remove: (m) => api.DELETE("/v1/me/voicemail-messages/{message_id}", { params: { path: { message_id: m.id } } }),
  audioPath: (m) => `/v1/me/voicemail-messages/${m.id}/audio`,
};

export function MyVoicemail() {
  const t = useT();
  const s = usePeople();
  return (
    <section>
      <h1>{t("myVoicemail")}</h1>
      <MessageList source={SOURCE} deps={[]} empty={s("noOwnMessages")} />
    </section>
  );
}
