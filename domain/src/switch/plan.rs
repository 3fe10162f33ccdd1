//! The plan a switch executes for one call: what `POST /v1/switch/route` takes
//! ([`RouteRequest`]) and answers ([`RoutePlan`]). Pure data; [`super::resolver`] builds it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallSource {
    /// From a phone registered to the domain (the default).
    #[default]
    Internal,
    /// Arriving from a carrier trunk: the dialled number is a DID.
    Trunk,
    /// A number chosen inside an IVR menu: a `goto_ivr`'s number, or the digits a caller
    /// dialled at a `direct_dial` menu. Only the tenant's internal numbers are reached;
    /// anything else hangs up (`not_internal`), never an outside line: the caller may be
    /// anyone who dialled in.
    Ivr,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteRequest {
    /// SIP domain of the call: the tenant. Required, except for a call from a carrier
    /// trunk (`source: trunk`): an edge receiving it knows only the dialled DID, so the
    /// tenant holding that DID answers, through its first SIP domain.
    #[serde(default)]
    pub domain: Option<String>,
    /// Who calls: the SIP user (internal) or the caller's number (from a trunk).
    pub caller: String,
    /// What was dialled.
    pub destination: String,
    #[serde(default)]
    pub source: CallSource,
    /// Resolve as if the call happened at this instant (RFC 3339), for time conditions;
    /// now when absent. For tests and "what happens at 3 am on Sunday" checks.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// One leg of a ring: a phone (all registrations of a SIP user) or an outside number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Leg {
    Extension {
        extension_id: Uuid,
        number: String,
        /// `user@domain` to look up in the location service.
        sip_uri: String,
        /// Seconds to wait before this leg starts ringing.
        delay_seconds: u32,
        ring_seconds: u32,
        max_concurrent_calls: i32,
    },
    External {
        number: String,
        delay_seconds: u32,
        ring_seconds: u32,
    },
}

/// How legs ring: the one strategy type, shared with the ring groups that store it.
pub use crate::services::ring_groups::RingStrategy;

/// What the switch should do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Plan {
    /// Ring the legs; each outcome has its own plan.
    Ring {
        legs: Vec<Leg>,
        strategy: RingStrategy,
        #[schema(no_recursion)]
        on_no_answer: Box<Plan>,
        #[schema(no_recursion)]
        on_busy: Box<Plan>,
        #[schema(no_recursion)]
        on_unreachable: Box<Plan>,
    },
    /// Take a voicemail message.
    Voicemail {
        box_id: Uuid,
        mailbox: String,
        language: String,
    },
    /// Call out: the matching outbound route, the number to send and the trunks to try in
    /// order.
    Outbound {
        /// The number as dialled (or as the destination gave it).
        number: String,
        route_id: Uuid,
        /// What the trunks receive (after prefix, strip and prepend).
        send: String,
        trunks: Vec<TrunkLeg>,
        /// Caller ID to present (the route's override), if any.
        caller_id: Option<String>,
    },
    /// Queue the caller for the agents.
    Queue {
        queue_id: Uuid,
        number: String,
        /// `ring_all`, `longest_idle`, `round_robin` or `fewest_calls`.
        strategy: String,
        agents: Vec<QueueAgentLeg>,
        max_wait_seconds: i32,
        wrap_up_seconds: i32,
        music_on_hold: String,
        #[schema(no_recursion)]
        on_timeout: Box<Plan>,
    },
    /// Put the caller into a conference room.
    Conference {
        conference_id: Uuid,
        number: String,
        /// The switch asks for the PIN and checks it with Centralita.
        pin_required: bool,
        max_members: i32,
    },
    /// Play an IVR menu: the greeting, then wait `timeout_seconds` for one key. The plan of
    /// the pressed key's option follows; no key or an unknown key replays the menu up to
    /// `invalid_retries` times, then `on_timeout` or `on_invalid` takes the call.
    Ivr {
        ivr_menu_id: Uuid,
        number: String,
        name: String,
        greeting: Prompt,
        timeout_seconds: i32,
        invalid_retries: i32,
        /// The caller may dial an internal number instead: the switch routes the digits it
        /// collected with source `ivr` (internal numbers only, never an outside line).
        direct_dial: bool,
        options: Vec<IvrOptionPlan>,
        #[schema(no_recursion)]
        on_timeout: Box<Plan>,
        #[schema(no_recursion)]
        on_invalid: Box<Plan>,
    },
    /// Continue with another IVR menu (a submenu, "back to the main menu", a wrong key that
    /// replays this menu): route `number` with source `ivr` for its plan. A plan holds one
    /// menu, so its size does not grow with the menu tree.
    GotoIvr { ivr_menu_id: Uuid, number: String },
    /// End the call with `reason` (`busy`, `hangup`, `loop` …).
    Hangup { reason: String },
}

/// One key of an IVR menu and what pressing it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IvrOptionPlan {
    pub digit: String,
    #[schema(no_recursion)]
    pub plan: Plan,
}

/// What a menu plays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Prompt {
    /// Speak `text` with text-to-speech.
    Text { text: String, language: String },
    /// Play the recording fetched from `url` (a switch-node route naming the digest, so a
    /// changed greeting is a new URL); cache it by `sha256`.
    Recording {
        url: String,
        content_type: String,
        sha256: String,
    },
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoutePlan {
    pub tenant_id: Uuid,
    /// The SIP domain the call was resolved in: the request's, or for a call from a trunk
    /// without one, the DID holder's. The edge reports the call's CDR under it.
    pub domain: String,
    pub plan: Plan,
    /// Each resolution step, in order.
    pub trace: Vec<String>,
}

/// A trunk to try, in failover order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TrunkLeg {
    pub trunk_id: Uuid,
    pub host: String,
    pub port: i32,
    pub transport: String,
    pub max_channels: Option<i32>,
}

/// A queue agent: a phone and its tier (1 rings first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QueueAgentLeg {
    pub extension_id: Uuid,
    pub number: String,
    pub sip_uri: String,
    pub tier: i32,
}
