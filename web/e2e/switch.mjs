// What switch nodes report, for end-to-end tests that need calls and voicemail without a
// switch: a node registered through the API, and its uploads done the way a node does them.

import assert from "node:assert/strict";
import { api, base } from "./harness.mjs";

/** A switch node's token (only the platform admin registers nodes). */
export async function nodeToken(admin) {
  const node = await api("POST", "/v1/switch-nodes", admin, {
    name: `edge-e2e-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
    kind: "kamailio",
    addresses: ["127.0.0.1"],
  });
  assert.ok(node.token, "the node's token is in the create answer");
  return node.token;
}

/** The tenant's SIP domain (`tenantWithAdmin` gives it one), which names it in what
 * switches report. */
export async function domainOf(admin, tenantId) {
  const domains = await api("GET", `/v1/tenants/${tenantId}/domains`, admin);
  return domains.items[0].name;
}

/** One second of a 440 Hz tone: 8 kHz 16-bit mono PCM behind the 44-byte WAV header. */
export function wav(samples = 8000) {
  const data = samples * 2;
  const b = Buffer.alloc(44 + data);
  b.write("RIFF", 0);
  b.writeUInt32LE(36 + data, 4);
  b.write("WAVEfmt ", 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write("data", 36);
  b.writeUInt32LE(data, 40);
  for (let i = 0; i < samples; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), 44 + i * 2);
  return b;
}

/** Hands over a voicemail message as a node does: multipart, `metadata` JSON and `audio`. */
export async function postVoicemail(node, metadata) {
  const form = new FormData();
  form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }));
  form.append("audio", new Blob([wav()], { type: "audio/wav" }), "message.wav");
  const res = await fetch(base + "/v1/switch/voicemail", { method: "POST", headers: { authorization: `Bearer ${node}` }, body: form });
  const text = await res.text();
  assert.equal(res.status, 201, `voicemail upload: ${res.status} ${text}`);
  return JSON.parse(text);
}
