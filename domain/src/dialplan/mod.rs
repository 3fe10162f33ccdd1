//! The call-routing rules of a tenant's PBX, as pure logic: no database, no HTTP, no clock.
//!
//! - [`pattern`]: outbound-route dial patterns (`NXXNXXXXXX`, `9|011.`, `[2-9]11`…) with the
//!   FreePBX/Asterisk syntax operators already know, and the choice of the first matching
//!   outbound route together with the number to send to its trunk;
//! - [`timecond`]: time conditions (weekdays, times of day, dates and holidays in an IANA time
//!   zone), evaluated at a UTC instant and correct across daylight-saving changes.
//!
//! They live apart from the services because route resolution at call time
//! (`POST /v1/switch/route`) runs them from an in-process cache on every call: they must be
//! fast, deterministic and testable without a database, and the API validates the same text
//! forms with the same parsers before it stores them, so what is stored always parses.

pub mod pattern;
pub mod timecond;
