//! Call routing: `POST /v1/switch/route` turns (SIP domain, caller, dialled number) into a
//! plan the switch executes.
//!
//! Resolution follows destinations (forwarding, follow-me, fallbacks …) recursively, but
//! never more than [`MAX_DEPTH`] hops: a loop of forwards ends in a `hangup` naming the
//! loop, it never hangs the request. Every hop is written to `trace`, which switches log.

use std::{future::Future, pin::Pin};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    core::Core,
    entities::{dial_number, extension, tenant, voicemail_box},
    error::{DomainError, DomainResult},
    services::{
        destinations::Destination,
        extensions::{FollowMeStep, ForwardRule, Forwarding},
        switch::tenant_of_domain,
    },
};

/// Longest chain of destinations followed before giving up.
pub const MAX_DEPTH: usize = 8;

/// Most destinations resolved for one call. Each ring has three outcomes, so depth alone
/// would allow 3^depth lookups; the budget keeps one request's work small whatever the
/// configuration.
pub const MAX_STEPS: usize = 64;

/// Seconds an extension rings before its no-answer treatment, when nothing says otherwise.
pub const DEFAULT_RING_SECONDS: u32 = 25;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallSource {
    /// From a phone registered to the domain (the default).
    #[default]
    Internal,
    /// Arriving from a carrier trunk: the dialled number is a DID.
    Trunk,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteRequest {
    /// SIP domain of the call: the tenant.
    pub domain: String,
    /// Who calls: the SIP user (internal) or the caller's number (from a trunk).
    pub caller: String,
    /// What was dialled.
    pub destination: String,
    #[serde(default)]
    pub source: CallSource,
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

/// How legs ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RingStrategy {
    /// All at once (each after its delay).
    Simultaneous,
    /// One after another, each for its ring time.
    Sequential,
}

/// What the switch should do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Plan {
    /// Ring the legs; each outcome has its own plan.
    Ring {
        legs: Vec<Leg>,
        strategy: RingStrategy,
        #[schema(value_type = Object)]
        on_no_answer: Box<Plan>,
        #[schema(value_type = Object)]
        on_busy: Box<Plan>,
        #[schema(value_type = Object)]
        on_unreachable: Box<Plan>,
    },
    /// Take a voicemail message.
    Voicemail {
        box_id: Uuid,
        mailbox: String,
        language: String,
    },
    /// Call out through the tenant's outbound routes.
    Outbound { number: String },
    /// End the call with `reason` (`busy`, `hangup`, `loop` …).
    Hangup { reason: String },
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoutePlan {
    pub tenant_id: Uuid,
    pub plan: Plan,
    /// Each resolution step, in order.
    pub trace: Vec<String>,
}

fn hangup(reason: &str) -> Plan {
    Plan::Hangup {
        reason: reason.to_owned(),
    }
}

type BoxFut<'a> = Pin<Box<dyn Future<Output = DomainResult<Plan>> + Send + 'a>>;

struct Resolver<'a> {
    core: &'a Core,
    tenant: &'a tenant::Model,
    domain: &'a str,
    trace: Vec<String>,
    steps: usize,
}

impl<'a> Resolver<'a> {
    /// Resolves a destination `depth` hops in.
    fn destination(&mut self, dest: Destination, depth: usize) -> BoxFut<'_> {
        Box::pin(async move {
            if depth >= MAX_DEPTH {
                self.trace.push(format!(
                    "stop: more than {MAX_DEPTH} hops (a forwarding loop?)"
                ));
                return Ok(hangup("loop"));
            }
            self.steps += 1;
            if self.steps > MAX_STEPS {
                self.trace
                    .push(format!("stop: more than {MAX_STEPS} destinations"));
                return Ok(hangup("too_complex"));
            }
            match dest {
                Destination::Extension { id } => self.extension(id, depth).await,
                Destination::VoicemailBox { id } => self.voicemail(id).await,
                Destination::ExternalNumber { number } => {
                    self.trace.push(format!("external number {number}"));
                    Ok(Plan::Outbound { number })
                }
                Destination::Hangup => {
                    self.trace.push("hangup".into());
                    Ok(hangup("hangup"))
                }
                other => {
                    let (kind, id) = other.target().unwrap_or(("unknown", Uuid::nil()));
                    self.trace.push(format!("{kind} {id}: not routable yet"));
                    Ok(hangup("unsupported_destination"))
                }
            }
        })
    }

    async fn voicemail(&mut self, id: Uuid) -> DomainResult<Plan> {
        let b = voicemail_box::Entity::find_by_id(id)
            .filter(voicemail_box::Column::TenantId.eq(self.tenant.id))
            .one(&self.core.db)
            .await?;
        match b {
            Some(b) if b.enabled => {
                self.trace.push(format!("voicemail box {}", b.mailbox));
                Ok(Plan::Voicemail {
                    box_id: b.id,
                    mailbox: b.mailbox,
                    language: b.language,
                })
            }
            _ => {
                self.trace
                    .push(format!("voicemail box {id} missing or disabled"));
                Ok(hangup("voicemail_unavailable"))
            }
        }
    }

    /// The treatment of one outcome: the enabled forwarding rule, else the extension's
    /// voicemail, else hang up with `reason`.
    async fn fallback(
        &mut self,
        rule: Option<ForwardRule>,
        voicemail: Option<Uuid>,
        reason: &str,
        depth: usize,
    ) -> DomainResult<Plan> {
        match (rule, voicemail) {
            (Some(r), _) if r.enabled => {
                self.trace.push(format!("{reason}: forward"));
                self.destination(r.destination, depth + 1).await
            }
            (_, Some(b)) => self.voicemail(b).await,
            _ => Ok(hangup(reason)),
        }
    }

    async fn extension(&mut self, id: Uuid, depth: usize) -> DomainResult<Plan> {
        let Some(ext) = extension::Entity::find_by_id(id)
            .filter(extension::Column::TenantId.eq(self.tenant.id))
            .one(&self.core.db)
            .await?
        else {
            self.trace.push(format!("extension {id} does not exist"));
            return Ok(hangup("unknown_extension"));
        };
        self.trace.push(format!("extension {}", ext.number));
        let fwd: Forwarding = serde_json::from_value(ext.forwarding.clone()).unwrap_or_default();
        if !ext.enabled {
            self.trace.push("disabled".into());
            return self
                .fallback(fwd.unreachable, ext.voicemail_box_id, "unreachable", depth)
                .await;
        }
        if let Some(always) = fwd.always.clone().filter(|r| r.enabled) {
            self.trace.push("forward always".into());
            return self.destination(always.destination, depth + 1).await;
        }
        if ext.dnd {
            self.trace.push("do not disturb".into());
            return self
                .fallback(fwd.busy, ext.voicemail_box_id, "busy", depth)
                .await;
        }
        let follow_me: Vec<FollowMeStep> =
            serde_json::from_value(ext.follow_me.clone()).unwrap_or_default();
        let mut legs = vec![self.extension_leg(&ext, 0, DEFAULT_RING_SECONDS)];
        for step in &follow_me {
            match &step.destination {
                Destination::Extension { id } if *id != ext.id => {
                    if let Some(e) = extension::Entity::find_by_id(*id)
                        .filter(extension::Column::TenantId.eq(self.tenant.id))
                        .one(&self.core.db)
                        .await?
                        .filter(|e| e.enabled && !e.dnd)
                    {
                        legs.push(self.extension_leg(&e, 0, step.ring_seconds));
                    }
                }
                Destination::ExternalNumber { number } => legs.push(Leg::External {
                    number: number.clone(),
                    delay_seconds: 0,
                    ring_seconds: step.ring_seconds,
                }),
                other => self
                    .trace
                    .push(format!("follow-me step {other:?} skipped: not a phone")),
            }
        }
        let strategy = if legs.len() > 1 {
            self.trace
                .push(format!("follow-me: {} steps", legs.len() - 1));
            RingStrategy::Sequential
        } else {
            RingStrategy::Simultaneous
        };
        let on_no_answer = self
            .fallback(fwd.no_answer, ext.voicemail_box_id, "no_answer", depth)
            .await?;
        let on_busy = self
            .fallback(fwd.busy, ext.voicemail_box_id, "busy", depth)
            .await?;
        let on_unreachable = self
            .fallback(fwd.unreachable, ext.voicemail_box_id, "unreachable", depth)
            .await?;
        Ok(Plan::Ring {
            legs,
            strategy,
            on_no_answer: Box::new(on_no_answer),
            on_busy: Box::new(on_busy),
            on_unreachable: Box::new(on_unreachable),
        })
    }

    fn extension_leg(&self, e: &extension::Model, delay: u32, ring: u32) -> Leg {
        Leg::Extension {
            extension_id: e.id,
            number: e.number.clone(),
            sip_uri: format!("{}@{}", e.sip_username, self.domain),
            delay_seconds: delay,
            ring_seconds: ring,
            max_concurrent_calls: e.max_concurrent_calls,
        }
    }

    /// What a number dialled inside the tenant reaches, if anything.
    async fn internal_number(&mut self, number: &str) -> DomainResult<Option<Destination>> {
        let owner = dial_number::Entity::find()
            .filter(dial_number::Column::TenantId.eq(self.tenant.id))
            .filter(dial_number::Column::Number.eq(number))
            .one(&self.core.db)
            .await?;
        Ok(owner.map(|o| match o.owner_type.as_str() {
            "extension" => Destination::Extension { id: o.owner_id },
            "ring_group" => Destination::RingGroup { id: o.owner_id },
            "ivr_menu" => Destination::IvrMenu { id: o.owner_id },
            "queue" => Destination::Queue { id: o.owner_id },
            _ => Destination::Conference { id: o.owner_id },
        }))
    }
}

/// Resolves a call for a switch.
pub async fn route(core: &Core, req: RouteRequest) -> DomainResult<RoutePlan> {
    let (tenant, domain) = tenant_of_domain(core, &req.domain).await?;
    let mut r = Resolver {
        core,
        tenant: &tenant,
        domain: &domain.name,
        trace: Vec::new(),
        steps: 0,
    };
    let dialled = req.destination.trim().to_owned();
    if dialled.is_empty() || dialled.len() > 64 {
        return Err(DomainError::field(
            "destination",
            "invalid_number",
            "must be 1-64 characters",
        ));
    }
    let plan = match req.source {
        CallSource::Internal => match r.internal_number(&dialled).await? {
            Some(dest) => {
                r.trace.push(format!("internal number {dialled}"));
                r.destination(dest, 0).await?
            }
            None => {
                r.trace.push(format!("{dialled} is not internal: outbound"));
                Plan::Outbound { number: dialled }
            }
        },
        CallSource::Trunk => {
            r.trace
                .push(format!("inbound {dialled}: no DID routing yet"));
            hangup("unknown_did")
        }
    };
    Ok(RoutePlan {
        tenant_id: tenant.id,
        plan,
        trace: r.trace,
    })
}
