"""Schemathesis hooks (SCHEMATHESIS_HOOKS=st_hooks): greetings are uploaded as raw audio, sent
as bytes like application/octet-stream (the server answers 422 for bytes that are not audio)."""

import schemathesis

schemathesis.serializer.alias(["audio/wav", "audio/mpeg", "audio/ogg"], "application/octet-stream")
