//! Validated types, built by parsing: once a `Hostname` exists it is a valid SIP domain.
//!
//! Each parser returns a [`FieldError`] naming the field, so a service can collect every
//! problem of a request and answer them together before it writes anything.

use crate::error::FieldError;

/// A SIP domain name: lower-case ASCII, LDH labels, at least two labels.
///
/// Internationalised names are **normalised** to their IDNA ASCII form (`bücher.example` is
/// stored and matched as `xn--bcher-kva.example`), since that is what SIP requests carry in
/// their Request-URI and what Kamailio compares. A trailing dot is dropped; IP addresses are
/// refused (a tenant's realm must be a name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hostname(String);

impl Hostname {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let err = |msg: &str| FieldError::new(field, "invalid_hostname", msg);
        let trimmed = raw.trim().trim_end_matches('.');
        if trimmed.is_empty() {
            return Err(err("must not be empty"));
        }
        let ascii = idna::domain_to_ascii(trimmed)
            .map_err(|_| err("is not a valid internationalised domain name"))?;
        if ascii.len() > 253 {
            return Err(err("must be at most 253 characters"));
        }
        let labels: Vec<&str> = ascii.split('.').collect();
        if labels.len() < 2 {
            return Err(err("must have at least two labels, like pbx.example.com"));
        }
        for label in &labels {
            let valid = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                return Err(err(
                    "each label must be 1-63 letters, digits or inner hyphens",
                ));
            }
        }
        if labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(err("must be a name, not an IP address"));
        }
        Ok(Self(ascii))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A tenant slug: 2-63 of `a-z`, `0-9`, `-`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let ok = (2..=63).contains(&raw.len())
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "invalid_slug",
                "must be 2-63 characters of a-z, 0-9 and inner hyphens",
            ))
        }
    }

    /// Derives a slug from a display name: `"Acme Plumbing, Inc."` → `acme-plumbing-inc`,
    /// `"Café Ñandú"` → `cafe-nandu` (transliterated to ASCII first). A name that yields too
    /// little (`"k"`) gets a random suffix (`k-3f9a1c`), one that yields nothing (`"!!"`) a
    /// generated slug (`tenant-3f9a1c`): a name never fails for want of a slug.
    pub fn from_name(name: &str) -> Self {
        let mut out = String::new();
        for c in deunicode::deunicode(name)
            .chars()
            .flat_map(char::to_lowercase)
        {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let cut: String = out.trim_end_matches('-').chars().take(56).collect();
        let cut = cut.trim_end_matches('-');
        if let Ok(slug) = Self::parse("slug", cut) {
            return slug;
        }
        let stem = if cut.is_empty() { "tenant" } else { cut };
        let suffix: u32 = rand::random::<u32>() & 0x00ff_ffff;
        Self(format!("{stem}-{suffix:06x}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An e-mail address, lower-cased. Deliberately simple (one `@`, a non-empty local part, a
/// valid host name): the only real check of an address is mail arriving at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let err = || FieldError::new(field, "invalid_email", "must be an e-mail address");
        let lowered = raw.trim().to_lowercase();
        let (local, host) = lowered.split_once('@').ok_or_else(err)?;
        if local.is_empty()
            || local.len() > 64
            || lowered.len() > 254
            || local.chars().any(|c| c.is_whitespace() || c == '@')
        {
            return Err(err());
        }
        let host = Hostname::parse(field, host).map_err(|_| err())?;
        Ok(Self(format!("{local}@{}", host.as_str())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A login password: 12 to 128 characters.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let len = raw.chars().count();
        if len < 12 {
            return Err(FieldError::new(
                field,
                "password_too_short",
                "must be at least 12 characters",
            ));
        }
        if len > 128 {
            return Err(FieldError::new(
                field,
                "password_too_long",
                "must be at most 128 characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A number dialled inside a tenant (extension, ring group, IVR, queue, conference,
/// mailbox): 2-15 ASCII digits, not starting with 0 (0 is the operator and the usual
/// outside-line prefix; plain digits keep it dialable from every phone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialNumber(String);

impl DialNumber {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let ok = (2..=15).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_digit())
            && !raw.starts_with('0');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "invalid_number",
                "must be 2-15 digits, not starting with 0",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A human-readable name: 1-200 characters after trimming, no control characters.
pub fn display_text(field: &str, raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 {
        return Err(FieldError::new(
            field,
            "invalid_length",
            "must be 1-200 characters",
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "invalid_characters",
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Fields of request bodies that hold several lines of text (a spoken greeting): they may
/// contain line feeds, and no other control character. Paths as in field errors.
pub const MULTI_LINE_FIELDS: [&str; 1] = ["greeting.text"];

/// Every string of a request body that holds a control character — C0 (NUL included), DEL
/// or C1 — as a field error naming it; line feeds only in [`MULTI_LINE_FIELDS`]. The API runs
/// it on every JSON body before the body is read into its type, so no text field anywhere
/// stores, logs or forwards (to a switch, an e-mail header, a CSV) a control character.
pub fn control_characters(body: &serde_json::Value) -> Vec<FieldError> {
    let mut found = Vec::new();
    walk_strings(body, String::new(), &mut found);
    found
}

fn walk_strings(value: &serde_json::Value, path: String, found: &mut Vec<FieldError>) {
    use serde_json::Value;
    match value {
        Value::String(text) => {
            let line_feeds = MULTI_LINE_FIELDS.contains(&path.as_str());
            if text
                .chars()
                .any(|c| c.is_control() && !(line_feeds && c == '\n'))
            {
                found.push(FieldError::new(
                    path,
                    "invalid_characters",
                    "must not contain control characters",
                ));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_strings(item, format!("{path}[{i}]"), found);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk_strings(item, path, found);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Checks a whole-number setting against an inclusive range.
/// A host to reach: an IP address (as written back by the standard library) or a
/// [`Hostname`]; otherwise an `invalid_host` error on `field`.
pub fn host_or_address(errors: &mut Errors, field: &str, raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    if let Ok(ip) = trimmed.parse::<std::net::IpAddr>() {
        return Some(ip.to_string());
    }
    errors
        .check(Hostname::parse(field, trimmed).map_err(|e| {
            FieldError::new(
                field,
                "invalid_host",
                format!("must be a hostname or an IP address: {}", e.message),
            )
        }))
        .map(Hostname::into_inner)
}

pub fn check_range(errors: &mut Errors, field: &str, v: i32, min: i32, max: i32) {
    if !(min..=max).contains(&v) {
        errors.push(FieldError::new(
            field,
            "out_of_range",
            format!("must be {min}-{max}"),
        ));
    }
}

/// Collects field errors so a request's problems are reported together.
#[derive(Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    /// Keeps the value, or records the error and gives `None`.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Takes over `other`'s problems, their fields prefixed (`extension.` + `number`): for
    /// objects nested in a request.
    pub fn nest(&mut self, prefix: &str, other: Errors) {
        for mut e in other.0 {
            e.field = format!("{prefix}{}", e.field);
            self.0.push(e);
        }
    }

    /// How many problems were collected.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The collected problems.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }

    /// `Err` with every collected problem, if there was any.
    pub fn finish(self) -> crate::error::DomainResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::error::DomainError::invalid(self.0))
        }
    }
}

/// For `PATCH` bodies (JSON merge-patch semantics): absent → `None`, `null` → `Some(None)`
/// (clear the field), a value → `Some(Some(v))`. Use with
/// `#[serde(default, deserialize_with = "double_option")]`.
pub(crate) fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(de).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_are_lowercased_and_idna_normalised() {
        assert_eq!(
            Hostname::parse("name", "PBX.Example.COM.").map(|h| h.into_inner()),
            Ok("pbx.example.com".to_owned())
        );
        assert_eq!(
            Hostname::parse("name", "bücher.example").map(|h| h.into_inner()),
            Ok("xn--bcher-kva.example".to_owned())
        );
    }

    #[test]
    fn bad_hostnames_are_refused() {
        for bad in [
            "",
            "localhost",
            "-a.example.com",
            "a_b.example.com",
            "10.0.0.1",
            "a..b",
            "sp ace.example",
        ] {
            assert!(Hostname::parse("name", bad).is_err(), "{bad}");
        }
        let long = format!("{}.com", "a".repeat(64));
        assert!(Hostname::parse("name", &long).is_err());
    }

    #[test]
    fn slugs_derive_from_names() {
        assert_eq!(
            Slug::from_name("Acme Plumbing, Inc.").into_inner(),
            "acme-plumbing-inc"
        );
        assert_eq!(Slug::from_name("Éé").into_inner(), "ee");
        let short = Slug::from_name("k").into_inner();
        assert!(short.starts_with("k-") && short.len() == 8, "{short}");
        let none = Slug::from_name("!!").into_inner();
        assert!(
            Slug::parse("slug", &none).is_ok() && none.starts_with("tenant-"),
            "{none}"
        );
        assert!(Slug::parse("slug", "Bad_Slug").is_err());
    }

    #[test]
    fn control_characters_are_found_anywhere_in_a_body() {
        let body = serde_json::json!({
            "email": "x\u{0}@example.com",
            "name": "ok",
            "greeting": {"text": "line one\nline two"},
            "options": [{"label": "del\u{7f}"}, {"label": "c1\u{85}"}],
            "caller_id_name": "two\nlines",
        });
        let mut fields: Vec<String> = control_characters(&body)
            .into_iter()
            .map(|e| e.field)
            .collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "caller_id_name",
                "email",
                "options[0].label",
                "options[1].label"
            ]
        );
        let tab = serde_json::json!({"greeting": {"text": "a\tb"}});
        assert_eq!(
            control_characters(&tab).len(),
            1,
            "only line feeds are multi-line"
        );
    }

    #[test]
    fn emails_are_lowercased() {
        assert_eq!(
            Email::parse("email", " Ana@Example.COM ").map(|e| e.into_inner()),
            Ok("ana@example.com".to_owned())
        );
        assert!(Email::parse("email", "no-at-sign").is_err());
        assert!(Email::parse("email", "a@b").is_err());
    }
}
