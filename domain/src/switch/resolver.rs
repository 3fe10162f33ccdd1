//! Call routing: `POST /v1/switch/route` turns (SIP domain, caller, dialled number) into a
//! [`Plan`] the switch executes.
//!
//! Resolution follows destinations (forwarding, follow-me, fallbacks …) recursively, but
//! never more than [`MAX_DEPTH`] hops: a loop of forwards ends in a `hangup` naming the
//! loop, it never hangs the request. Every hop is written to `trace`, which switches log.

use std::{future::Future, pin::Pin};

use bytes::Bytes;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{
    cache::CacheKey,
    directory::tenant_of_domain,
    plan::{
        CallSource, IvrOptionPlan, Leg, Plan, Prompt, QueueAgentLeg, RingStrategy, RoutePlan,
        RouteRequest, TrunkLeg,
    },
};

use crate::{
    core::Core,
    entities::{
        conference, dial_number, did, extension, ivr_menu, queue, ring_group, time_condition,
        voicemail_box,
    },
    error::{DomainError, DomainResult},
    ids::TenantId,
    numbering::E164,
    scope::{SystemScope, TenantRows},
    services::{
        billing::pricing,
        destinations::Destination,
        extensions::{FollowMeStep, ForwardRule, Forwarding},
        from_json, from_json_opt,
        ivr_menus::{self, Greeting, IvrMenuView},
        outbound_routes,
        queues::QueueAgent,
        ring_groups::{MemberTarget, RingGroupMember},
        time_conditions,
    },
};

/// Longest chain of destinations followed before giving up.
pub const MAX_DEPTH: usize = 8;

/// Most destinations resolved for one call. Each ring has three outcomes and an IVR menu up
/// to fourteen, so depth alone would allow a huge tree; the budget keeps one request's work
/// small whatever the configuration. A plan holds one IVR menu (submenus are references),
/// so a full menu of twelve extensions, each with its three outcomes, fits.
pub const MAX_STEPS: usize = 96;

/// Seconds an extension rings before its no-answer treatment, when nothing says otherwise.
pub const DEFAULT_RING_SECONDS: u32 = 25;

fn hangup(reason: &str) -> Plan {
    Plan::Hangup {
        reason: reason.to_owned(),
    }
}

type BoxFut<'a> = Pin<Box<dyn Future<Output = DomainResult<Plan>> + Send + 'a>>;

struct Resolver<'a> {
    core: &'a Core,
    /// The tenant the call is for: every row is read through it.
    scope: &'a SystemScope,
    domain: &'a str,
    trace: Vec<String>,
    steps: usize,
    /// False once the answer depends on the clock or the caller.
    cacheable: bool,
    caller: String,
    /// The instant time conditions are evaluated at.
    now: chrono::DateTime<chrono::Utc>,
    /// The IVR menu whose plan is being built, if any: menus met inside it are references.
    inside_ivr: Option<Uuid>,
    /// Whether the branch being resolved is reached without any key press (a menu's
    /// timeout), where coming back to the menu would replay it forever.
    no_input: bool,
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
                    self.outbound(number).await
                }
                Destination::Hangup => {
                    self.trace.push("hangup".into());
                    Ok(hangup("hangup"))
                }
                Destination::RingGroup { id } => self.ring_group(id, depth).await,
                Destination::Queue { id } => self.queue(id, depth).await,
                Destination::Conference { id } => self.conference(id).await,
                Destination::TimeCondition { id } => self.time_condition(id, depth).await,
                Destination::IvrMenu { id } => self.ivr_menu(id, depth).await,
            }
        })
    }

    async fn voicemail(&mut self, id: Uuid) -> DomainResult<Plan> {
        let b = self
            .scope
            .select_by_id::<voicemail_box::Entity>(id)
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
        let Some(ext) = self
            .scope
            .select_by_id::<extension::Entity>(id)
            .one(&self.core.db)
            .await?
        else {
            self.trace.push(format!("extension {id} does not exist"));
            return Ok(hangup("unknown_extension"));
        };
        self.trace.push(format!("extension {}", ext.number));
        let fwd: Forwarding = from_json(&ext.forwarding)?;
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
        let follow_me: Vec<FollowMeStep> = from_json(&ext.follow_me)?;
        let mut legs = vec![self.extension_leg(&ext, 0, DEFAULT_RING_SECONDS)];
        for step in &follow_me {
            match &step.destination {
                Destination::Extension { id } if *id != ext.id => {
                    if let Some(e) = self.available_extension(*id).await? {
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

    /// An enabled extension of the tenant, or `None` (missing, disabled, DND: skipped in
    /// groups and queues).
    async fn available_extension(&self, id: Uuid) -> DomainResult<Option<extension::Model>> {
        Ok(self
            .scope
            .select_by_id::<extension::Entity>(id)
            .one(&self.core.db)
            .await?
            .filter(|e| e.enabled && !e.dnd))
    }

    async fn ring_group(&mut self, id: Uuid, depth: usize) -> DomainResult<Plan> {
        let Some(g) = self
            .scope
            .select_by_id::<ring_group::Entity>(id)
            .one(&self.core.db)
            .await?
        else {
            return Ok(hangup("unknown_ring_group"));
        };
        self.trace
            .push(format!("ring group {} ({})", g.number, g.strategy));
        let members: Vec<RingGroupMember> = from_json(&g.members)?;
        let mut legs = Vec::new();
        for m in members {
            let delay = u32::try_from(m.delay_seconds).unwrap_or(0);
            let ring = u32::try_from(m.timeout_seconds).unwrap_or(DEFAULT_RING_SECONDS);
            match m.target {
                MemberTarget::Extension { id } => {
                    if let Some(e) = self.available_extension(id).await? {
                        legs.push(self.extension_leg(&e, delay, ring));
                    }
                }
                MemberTarget::ExternalNumber { number } => legs.push(Leg::External {
                    number,
                    delay_seconds: delay,
                    ring_seconds: ring,
                }),
            }
        }
        let fallback: Destination = from_json(&g.fallback)?;
        let on_fail = self.destination(fallback, depth + 1).await?;
        if legs.is_empty() {
            self.trace.push("no member available".into());
            return Ok(on_fail);
        }
        // An unknown stored strategy is a logged internal error, not a default.
        let strategy = RingStrategy::parse(&g.strategy)?;
        Ok(Plan::Ring {
            legs,
            strategy,
            on_no_answer: Box::new(on_fail.clone()),
            on_busy: Box::new(on_fail.clone()),
            on_unreachable: Box::new(on_fail),
        })
    }

    async fn queue(&mut self, id: Uuid, depth: usize) -> DomainResult<Plan> {
        let Some(q) = self
            .scope
            .select_by_id::<queue::Entity>(id)
            .one(&self.core.db)
            .await?
        else {
            return Ok(hangup("unknown_queue"));
        };
        self.trace.push(format!("queue {}", q.number));
        let agents: Vec<QueueAgent> = from_json(&q.agents)?;
        let mut legs = Vec::new();
        for a in agents {
            if let Some(e) = self.available_extension(a.extension_id).await? {
                legs.push(QueueAgentLeg {
                    extension_id: e.id,
                    number: e.number.clone(),
                    sip_uri: format!("{}@{}", e.sip_username, self.domain),
                    tier: a.tier,
                });
            }
        }
        legs.sort_by_key(|l| l.tier);
        let timeout: Destination = from_json(&q.timeout_destination)?;
        let on_timeout = self.destination(timeout, depth + 1).await?;
        Ok(Plan::Queue {
            queue_id: q.id,
            number: q.number,
            strategy: q.strategy,
            agents: legs,
            max_wait_seconds: q.max_wait_seconds,
            wrap_up_seconds: q.wrap_up_seconds,
            music_on_hold: q.music_on_hold,
            on_timeout: Box::new(on_timeout),
        })
    }

    /// Evaluates the schedule now and follows the branch; the answer depends on the clock,
    /// so it is not cached.
    async fn time_condition(&mut self, id: Uuid, depth: usize) -> DomainResult<Plan> {
        self.cacheable = false;
        let Some(m) = self
            .scope
            .select_by_id::<time_condition::Entity>(id)
            .one(&self.core.db)
            .await?
        else {
            return Ok(hangup("unknown_time_condition"));
        };
        let view = time_conditions::TimeConditionView::new(&m)?;
        let Ok(cond) = time_conditions::parse_schedule("schedule", &view.schedule) else {
            self.trace
                .push(format!("time condition {}: unreadable schedule", view.name));
            return Ok(hangup("invalid_time_condition"));
        };
        let e = cond.explain(self.now);
        self.trace.push(format!(
            "time condition {} at {}: {}",
            view.name,
            e.local_time.to_rfc3339(),
            if e.matched { "matched" } else { "unmatched" }
        ));
        let next = if e.matched {
            view.matched_destination
        } else {
            view.unmatched_destination
        };
        self.destination(next, depth + 1).await
    }

    /// Builds the plan of a menu: every key's plan, and what no key or a wrong key does.
    /// Menus met inside it become `goto_ivr` references, resolved when the caller gets
    /// there; one that only a silent caller would reach, and that leads back here, would
    /// replay forever and ends in `hangup` (`loop`).
    async fn ivr_menu(&mut self, id: Uuid, depth: usize) -> DomainResult<Plan> {
        let Some(m) = self
            .scope
            .select_by_id::<ivr_menu::Entity>(id)
            .one(&self.core.db)
            .await?
        else {
            return Ok(hangup("unknown_ivr_menu"));
        };
        if let Some(current) = self.inside_ivr {
            if self.no_input
                && ivr_menus::timeout_returns(&self.core.db, self.scope, id, current).await?
            {
                self.trace.push(format!(
                    "IVR menu {}: with no key pressed the call would come back forever",
                    m.number
                ));
                return Ok(hangup("loop"));
            }
            self.trace.push(format!("goto IVR menu {}", m.number));
            return Ok(Plan::GotoIvr {
                ivr_menu_id: id,
                number: m.number,
            });
        }
        let menu = IvrMenuView::new(&m)?;
        self.trace.push(format!(
            "IVR menu {} ({} options)",
            menu.number,
            menu.options.len()
        ));
        self.inside_ivr = Some(id);
        let mut options = Vec::with_capacity(menu.options.len());
        for o in menu.options {
            self.trace.push(format!("key {}", o.digit));
            let plan = self.destination(o.destination, depth + 1).await?;
            options.push(IvrOptionPlan {
                digit: o.digit,
                plan,
            });
        }
        self.trace.push("no key".into());
        self.no_input = true;
        let on_timeout = self
            .destination(menu.timeout_destination, depth + 1)
            .await?;
        self.no_input = false;
        self.trace.push("invalid key".into());
        let on_invalid = self
            .destination(menu.invalid_destination, depth + 1)
            .await?;
        self.inside_ivr = None;
        let greeting = match menu.greeting {
            Greeting::Text { text, language } => Prompt::Text { text, language },
            Greeting::Recording {
                content_type,
                sha256,
                ..
            } => Prompt::Recording {
                url: format!("/v1/switch/ivr-menus/{id}/greeting/{sha256}"),
                content_type,
                sha256,
            },
        };
        Ok(Plan::Ivr {
            ivr_menu_id: id,
            number: menu.number,
            name: menu.name,
            greeting,
            timeout_seconds: menu.timeout_seconds,
            invalid_retries: menu.invalid_retries,
            direct_dial: menu.direct_dial,
            options,
            on_timeout: Box::new(on_timeout),
            on_invalid: Box::new(on_invalid),
        })
    }

    async fn conference(&mut self, id: Uuid) -> DomainResult<Plan> {
        let Some(c) = self
            .scope
            .select_by_id::<conference::Entity>(id)
            .one(&self.core.db)
            .await?
        else {
            return Ok(hangup("unknown_conference"));
        };
        self.trace.push(format!("conference {}", c.number));
        Ok(Plan::Conference {
            conference_id: c.id,
            number: c.number,
            pin_required: c.pin_hash.is_some(),
            max_members: c.max_members,
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

    /// A call arriving from a trunk: the DID's destination, when the tenant holds the number.
    async fn inbound(&mut self, dialled: &str) -> DomainResult<Plan> {
        let Ok(number) = E164::parse("destination", dialled) else {
            self.trace
                .push(format!("inbound {dialled}: not an E.164 number"));
            return Ok(hangup("unknown_did"));
        };
        let held = self
            .scope
            .select::<did::Entity>()
            .filter(did::Column::Number.eq(number.as_str()))
            .one(&self.core.db)
            .await?;
        let Some(d) = held else {
            self.trace.push(format!(
                "inbound {}: not a DID of this tenant",
                number.as_str()
            ));
            return Ok(hangup("unknown_did"));
        };
        self.trace.push(format!("DID {}", d.number));
        match from_json_opt::<Destination>(d.destination.as_ref())? {
            Some(dest) => self.destination(dest, 0).await,
            None => {
                self.trace.push("the DID has no destination".into());
                Ok(hangup("no_destination"))
            }
        }
    }

    /// The outbound route a number takes; `hangup` (`no_route`) when none matches.
    async fn outbound(&mut self, number: String) -> DomainResult<Plan> {
        let (choice, caller_dependent) =
            outbound_routes::choose_for_switch(self.scope, &self.core.db, &number, &self.caller)
                .await?;
        if caller_dependent {
            self.cacheable = false;
        }
        let Some(choice) = choice else {
            self.trace
                .push(format!("no outbound route matches {number}"));
            return Ok(hangup("no_route"));
        };
        let (Some(route_id), Some(send)) = (choice.route_id, choice.number) else {
            return Ok(hangup("no_route"));
        };
        self.trace.push(format!(
            "outbound route {} ({})",
            choice.route_name.unwrap_or_default(),
            choice.pattern.unwrap_or_default()
        ));
        // Least-cost order: by each carrier's buy rate for the number, priced trunks first
        // (see `services::billing::pricing`).
        let tenant = self.scope.tenant_id().0;
        let candidates = pricing::route_trunks(&self.core.db, tenant, &choice.trunk_ids).await?;
        let digits = send.strip_prefix('+').unwrap_or(&send);
        let sell = pricing::sell_rate(self.core, &self.core.db, tenant, digits, self.now)
            .await?
            .ok();
        let ordered = pricing::order_trunks(
            self.core,
            &self.core.db,
            candidates,
            digits,
            sell.as_ref(),
            self.now,
        )
        .await?;
        let mut trunks = Vec::new();
        for (t, entry) in ordered {
            if !entry.used {
                self.trace
                    .push(format!("trunk {} left out: {}", t.name, entry.reason));
                continue;
            }
            trunks.push(TrunkLeg {
                trunk_id: t.id,
                host: t.host,
                port: t.port,
                transport: t.transport,
                max_channels: t.max_channels,
            });
        }
        if trunks.is_empty() {
            self.trace.push("no enabled trunk on the route".into());
            return Ok(hangup("no_trunk"));
        }
        Ok(Plan::Outbound {
            number,
            route_id,
            send,
            trunks,
            caller_id: choice.caller_id,
        })
    }

    /// What a number dialled inside the tenant reaches, if anything.
    async fn internal_number(&mut self, number: &str) -> DomainResult<Option<Destination>> {
        let owner = self
            .scope
            .select::<dial_number::Entity>()
            .filter(dial_number::Column::Number.eq(number))
            .one(&self.core.db)
            .await?;
        let Some(o) = owner else {
            return Ok(None);
        };
        // A number owned by something calls cannot reach is a bug in whatever stored it:
        // logged, and the call fails, rather than sent somewhere else.
        Destination::to(o.owner_type, o.owner_id)
            .map(Some)
            .ok_or_else(|| {
                DomainError::internal(format!(
                    "dial number {number} is owned by a {:?}, which calls cannot reach",
                    o.owner_type
                ))
            })
    }
}

/// Resolves a call for a switch: the JSON of its [`RoutePlan`], from the cache when
/// nothing it was computed from has changed since. The answer is cached serialized, so a
/// hit costs a lookup and no serialization.
pub async fn route(core: &Core, req: RouteRequest) -> DomainResult<Bytes> {
    let Some(domain_name) = req.domain.clone() else {
        // From a carrier, without a domain: the DID's holder answers. Not cached: the
        // key would not name the tenant whose changes must invalidate it.
        if req.source != CallSource::Trunk {
            return Err(DomainError::field(
                "domain",
                "required",
                "the SIP domain is required, except for calls from a trunk",
            ));
        }
        let (scope, domain) = tenant_of_did(core, &req.destination).await?;
        let (plan, _) = resolve(core, &scope, &domain.name, req).await?;
        return Ok(Bytes::from(
            serde_json::to_vec(&plan).map_err(DomainError::internal)?,
        ));
    };
    let key = format!(
        "{}|{:?}|{}",
        domain_name.trim().trim_end_matches('.').to_lowercase(),
        req.source,
        req.destination.trim()
    );
    if req.at.is_none()
        && let Some(hit) = core.switch_cache.route(&key)
    {
        return Ok(hit);
    }
    let (scope, domain) = tenant_of_domain(core, &domain_name).await?;
    let stamp = core.switch_cache.stamp(CacheKey::Tenant(scope.tenant_id()));
    let (plan, cacheable) = resolve(core, &scope, &domain.name, req).await?;
    let answer = Bytes::from(serde_json::to_vec(&plan).map_err(DomainError::internal)?);
    if cacheable {
        core.switch_cache.put_route(key, stamp, answer.clone());
    }
    Ok(answer)
}

/// The active tenant holding the DID `number` (E.164) and its first SIP domain, or 404:
/// what a call arriving from a carrier belongs to.
async fn tenant_of_did(
    core: &Core,
    number: &str,
) -> DomainResult<(SystemScope, crate::entities::domain::Model)> {
    let not_found = || DomainError::not_found("DID");
    let number = E164::parse("destination", number.trim()).map_err(|_| not_found())?;
    let held = did::Entity::find()
        .filter(did::Column::Number.eq(number.as_str()))
        .one(&core.db)
        .await?
        .and_then(|d| d.tenant_id)
        .ok_or_else(not_found)?;
    let scope = SystemScope::active_by_id(&core.db, TenantId(held))
        .await?
        .ok_or_else(not_found)?;
    let domain = scope
        .select::<crate::entities::domain::Entity>()
        .order_by_asc(crate::entities::domain::Column::CreatedAt)
        .one(&core.db)
        .await?
        .ok_or_else(|| DomainError::not_found("SIP domain"))?;
    Ok((scope, domain))
}

/// Resolves a call, telling whether the answer may be cached (it may not when it depends
/// on the time of day or on the caller).
async fn resolve(
    core: &Core,
    scope: &SystemScope,
    domain: &str,
    req: RouteRequest,
) -> DomainResult<(RoutePlan, bool)> {
    let mut r = Resolver {
        core,
        scope,
        domain,
        trace: Vec::new(),
        steps: 0,
        cacheable: true,
        caller: req.caller.trim().to_owned(),
        now: req.at.unwrap_or_else(chrono::Utc::now),
        inside_ivr: None,
        no_input: false,
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
                r.outbound(dialled).await?
            }
        },
        CallSource::Trunk => r.inbound(&dialled).await?,
        CallSource::Ivr => match r.internal_number(&dialled).await? {
            Some(dest) => {
                r.trace
                    .push(format!("from an IVR menu: internal number {dialled}"));
                r.destination(dest, 0).await?
            }
            None => {
                r.trace.push(format!(
                    "from an IVR menu: {dialled} is not internal, and IVR callers get no outside line"
                ));
                hangup("not_internal")
            }
        },
    };
    let cacheable = r.cacheable;
    Ok((
        RoutePlan {
            tenant_id: scope.tenant_id().0,
            domain: domain.to_owned(),
            plan,
            trace: r.trace,
        },
        cacheable,
    ))
}
