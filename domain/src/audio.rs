//! Recognising uploaded audio by its bytes, not by what the client claims: IVR greetings and
//! voicemail messages are stored and later played to callers or mailed to customers, so a
//! file that only says it is audio is refused.

/// An accepted audio format, by declared media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioFormat {
    /// The canonical media type stored with the file.
    pub content_type: &'static str,
    /// The stored file's extension.
    pub ext: &'static str,
    /// Whether the bytes start like this format.
    pub looks_right: bool,
}

/// The format of a declared media type (WAV, MP3 or Ogg; `None` for anything else) and
/// whether the bytes start like it.
pub fn sniff(content_type: &str, bytes: &[u8]) -> Option<AudioFormat> {
    let wav = bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE";
    // MP3: an ID3v2 tag, or an MPEG audio frame header (11 sync bits).
    let mp3 = bytes.starts_with(b"ID3")
        || (bytes.len() > 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0);
    let ogg = bytes.starts_with(b"OggS");
    let (content_type, ext, looks_right) = match content_type {
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => ("audio/wav", "wav", wav),
        "audio/mpeg" | "audio/mp3" => ("audio/mpeg", "mp3", mp3),
        "audio/ogg" | "audio/opus" => ("audio/ogg", "ogg", ogg),
        _ => return None,
    };
    Some(AudioFormat {
        content_type,
        ext,
        looks_right,
    })
}

/// What the `fmt ` chunk of a WAV file says, once the file has been walked chunk by chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavInfo {
    /// 1 PCM, 3 IEEE float, 6 A-law, 7 µ-law, 0xFFFE extensible.
    pub format: u16,
    pub channels: u16,
    pub sample_rate: u32,
    pub bits_per_sample: u16,
    /// Length of the `data` chunk, in bytes.
    pub data_bytes: u32,
}

/// Parses a RIFF/WAVE file: every chunk inside the file, a `fmt ` chunk of a PCM-family
/// format (what switches record) with sane values, then a `data` chunk. `None` for anything
/// else, including a header with nothing behind it.
pub fn wav_info(bytes: &[u8]) -> Option<WavInfo> {
    let u16_at = |i: usize| Some(u16::from_le_bytes(bytes.get(i..i + 2)?.try_into().ok()?));
    let u32_at = |i: usize| Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    if bytes.get(..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut fmt: Option<WavInfo> = None;
    let mut at = 12usize;
    while at + 8 <= bytes.len() {
        let id = bytes.get(at..at + 4)?;
        let len = usize::try_from(u32_at(at + 4)?).ok()?;
        let body = at + 8;
        if id == b"fmt " {
            if len < 16 || body + 16 > bytes.len() {
                return None;
            }
            let info = WavInfo {
                format: u16_at(body)?,
                channels: u16_at(body + 2)?,
                sample_rate: u32_at(body + 4)?,
                bits_per_sample: u16_at(body + 14)?,
                data_bytes: 0,
            };
            let known = matches!(info.format, 1 | 3 | 6 | 7 | 0xFFFE);
            let sane = (1..=8).contains(&info.channels)
                && (4_000..=192_000).contains(&info.sample_rate)
                && matches!(info.bits_per_sample, 8 | 16 | 24 | 32);
            if !known || !sane {
                return None;
            }
            fmt = Some(info);
        } else if id == b"data" {
            // Recorders that stream may leave the length short or oversized; the bytes that
            // are there count, and there must be some.
            let data = bytes.len().saturating_sub(body).min(len);
            let info = fmt?;
            if data == 0 {
                return None;
            }
            return Some(WavInfo {
                data_bytes: u32::try_from(data).ok()?,
                ..info
            });
        }
        // Chunks are padded to an even length.
        at = body.checked_add(len)?.checked_add(len % 2)?;
    }
    None
}

/// Audio files for unit tests.
#[cfg(test)]
pub(crate) mod tests_support {
    /// A WAV file of `samples` 16-bit mono samples at 8 kHz.
    pub(crate) fn wav(samples: usize) -> Vec<u8> {
        let data = samples * 2;
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&u32::try_from(36 + data).unwrap_or(0).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&8000u32.to_le_bytes());
        v.extend_from_slice(&16000u32.to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&16u16.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&u32::try_from(data).unwrap_or(0).to_le_bytes());
        v.resize(v.len() + data, 0);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::wav;
    use super::*;

    #[test]
    fn a_pcm_wav_is_read() {
        let info = wav_info(&wav(800)).expect("wav");
        assert_eq!(
            (
                info.format,
                info.channels,
                info.sample_rate,
                info.bits_per_sample
            ),
            (1, 1, 8000, 16)
        );
        assert_eq!(info.data_bytes, 1600);
    }

    #[test]
    fn headers_without_audio_and_other_bytes_are_not_wav() {
        let full = wav(10);
        assert!(wav_info(&full[..44]).is_none(), "no samples");
        assert!(wav_info(&full[..30]).is_none(), "truncated fmt");
        assert!(wav_info(b"RIFF\x24\x00\x00\x00WAVEfmt ").is_none());
        assert!(wav_info(b"not audio at all, just text").is_none());
        let mut odd = full.clone();
        odd[20] = 0x55; // an unknown format code
        assert!(wav_info(&odd).is_none());
        let mut huge = full;
        huge[16..20].copy_from_slice(&u32::MAX.to_le_bytes()); // fmt length past the end
        assert!(wav_info(&huge).is_none());
    }

    #[test]
    fn declared_types_map_to_canonical_ones() {
        let f = sniff("audio/x-wav", &wav(1)).expect("known");
        assert_eq!(
            (f.content_type, f.ext, f.looks_right),
            ("audio/wav", "wav", true)
        );
        assert!(!sniff("audio/mpeg", &wav(1)).expect("known").looks_right);
        assert!(sniff("text/plain", b"x").is_none());
    }
}
