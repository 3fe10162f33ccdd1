//! The job lifecycle an operator can trust (issue 10, part 1): statuses, leases held and
//! renewed by one named worker, backoff with jitter, progress, cancel and retry through the
//! API, concurrent workers taking each job once, and shutdown giving an unfinished job back.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::common::*;
use centralita_domain::{
    DomainResult,
    entities::job,
    ids::TenantId,
    services::jobs::{self, Job, JobContext, Registry},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How many times each tag ran (tests share a process under `cargo test`).
static COUNT: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);

fn count(tag: &str) -> u32 {
    COUNT
        .lock()
        .unwrap()
        .as_ref()
        .and_then(|m| m.get(tag).copied())
        .unwrap_or(0)
}

/// Counts its runs, reports progress, and can be told to fail or to hang.
#[derive(Debug, Serialize, Deserialize)]
struct Work {
    tag: String,
    tenant: Option<Uuid>,
    fail: bool,
    hang: bool,
}

impl Work {
    fn new(tag: &str) -> Self {
        Self {
            tag: tag.to_owned(),
            tenant: None,
            fail: false,
            hang: false,
        }
    }
}

impl Job for Work {
    const KIND: &'static str = "test.work";
    const MAX_ATTEMPTS: i32 = 3;

    fn tenant(&self) -> Option<TenantId> {
        self.tenant.map(TenantId)
    }

    async fn run(&self, ctx: &JobContext<'_>) -> DomainResult<()> {
        *COUNT
            .lock()
            .unwrap()
            .get_or_insert_with(HashMap::new)
            .entry(self.tag.clone())
            .or_default() += 1;
        ctx.progress(5, Some(10), "half way").await?;
        if self.hang {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        if self.fail {
            return Err(centralita_domain::DomainError::new(
                centralita_domain::ErrorCode::Unavailable,
                "the carrier said no",
            ));
        }
        ctx.progress(10, Some(10), "done").await
    }
}

fn registry() -> Registry {
    Registry::new().register::<Work>()
}

async fn enqueue(app: &TestApp, work: &Work) -> Uuid {
    jobs::enqueue(&app.core.db, work, None).await.unwrap().id
}

#[tokio::test]
async fn a_job_goes_queued_running_succeeded_with_its_progress() {
    let app = app_without_worker().await;
    let id = enqueue(&app, &Work::new("ok")).await;
    let queued = job_row(&app.core, id).await;
    assert_eq!(queued.status, "queued");
    assert!(queued.started_at.is_none() && queued.lease_owner.is_none());

    assert!(
        centralita_worker::run_one(&app.core, &registry())
            .await
            .unwrap()
    );
    let done = job_row(&app.core, id).await;
    assert_eq!(done.status, "succeeded");
    assert_eq!(done.attempts, 1);
    assert!(done.started_at.is_some() && done.finished_at.is_some());
    assert!(done.locked_until.is_none());

    let v = expect_json(app.get(&format!("/v1/jobs/{id}"), &app.admin).await, 200).await;
    assert_eq!(v["status"], "succeeded");
    assert_eq!(v["kind"], "test.work");
    assert_eq!(
        v["progress"],
        json!({"done": 10, "total": 10, "message": "done"})
    );
}

#[tokio::test]
async fn failures_back_off_with_jitter_then_the_job_is_dead() {
    let app = app_without_worker().await;
    let mut work = Work::new("fails");
    work.fail = true;
    let id = enqueue(&app, &work).await;
    let before = chrono::Utc::now();
    assert!(
        centralita_worker::run_one(&app.core, &registry())
            .await
            .unwrap()
    );
    let failed = job_row(&app.core, id).await;
    assert_eq!(failed.status, "failed");
    assert!(
        failed
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("the carrier said no")
    );
    // Attempt 1 failed: the next is 2 s later, times a factor in [0.5, 1).
    let wait = failed.run_at - before;
    assert!(
        wait >= chrono::Duration::milliseconds(900) && wait <= chrono::Duration::seconds(3),
        "{wait}"
    );
    // Not due yet: nothing to claim.
    assert!(
        !centralita_worker::run_one(&app.core, &registry())
            .await
            .unwrap()
    );

    // The backoff is jittered: many draws are not all equal, and stay within bounds.
    let draws: Vec<i64> = (0..50)
        .map(|_| jobs::backoff(4).num_milliseconds())
        .collect();
    assert!(
        draws.iter().all(|ms| (8_000..16_000).contains(ms)),
        "{draws:?}"
    );
    assert!(draws.iter().any(|d| *d != draws[0]), "no jitter: {draws:?}");
    assert!(
        jobs::backoff(30).num_milliseconds() < 3_600_000,
        "capped at an hour"
    );

    // Make it due twice more: the third failure is final.
    for _ in 0..2 {
        job::Entity::update_many()
            .col_expr(job::Column::RunAt, chrono::Utc::now().into())
            .filter(job::Column::Id.eq(id))
            .exec(&app.core.db)
            .await
            .unwrap();
        assert!(
            centralita_worker::run_one(&app.core, &registry())
                .await
                .unwrap()
        );
    }
    let dead = job_row(&app.core, id).await;
    assert_eq!(dead.status, "dead");
    assert_eq!(dead.attempts, 3);
    assert!(dead.finished_at.is_some());
    assert_eq!(count("fails"), 3);
}

#[tokio::test]
async fn only_the_lease_holder_writes_and_an_expired_lease_is_taken_over() {
    let app = app_without_worker().await;
    let id = enqueue(&app, &Work::new("lease")).await;
    let db = &app.core.db;
    let claimed = jobs::claim(db, "worker-a", jobs::DEFAULT_LEASE_SECS)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, id);
    assert_eq!(
        job_row(&app.core, id).await.lease_owner.as_deref(),
        Some("worker-a")
    );
    // Nobody else gets it while the lease runs, nor may write it.
    assert!(
        jobs::claim(db, "worker-b", jobs::DEFAULT_LEASE_SECS)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !jobs::renew(db, id, "worker-b", jobs::DEFAULT_LEASE_SECS)
            .await
            .unwrap()
    );
    assert!(!jobs::complete(db, id, "worker-b").await.unwrap());
    assert!(
        jobs::renew(db, id, "worker-a", jobs::DEFAULT_LEASE_SECS)
            .await
            .unwrap()
    );
    assert_eq!(job_row(&app.core, id).await.status, "running");

    // worker-a dies: its lease runs out, worker-b takes the job, and worker-a's late
    // answer is not recorded.
    job::Entity::update_many()
        .col_expr(
            job::Column::LockedUntil,
            Some(chrono::Utc::now() - chrono::Duration::seconds(1)).into(),
        )
        .filter(job::Column::Id.eq(id))
        .exec(db)
        .await
        .unwrap();
    let taken = jobs::claim(db, "worker-b", jobs::DEFAULT_LEASE_SECS)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((taken.id, taken.attempts), (id, 2));
    assert!(!jobs::complete(db, id, "worker-a").await.unwrap());
    assert!(jobs::complete(db, id, "worker-b").await.unwrap());
    assert_eq!(job_row(&app.core, id).await.status, "succeeded");
}

#[tokio::test]
async fn concurrent_workers_run_each_job_once() {
    let app = app_without_worker().await;
    let prefix = Uuid::now_v7().to_string();
    for i in 0..24 {
        enqueue(&app, &Work::new(&format!("{prefix}-{i}"))).await;
    }
    let registry = Arc::new(registry());
    let loops: Vec<_> = (0..4)
        .map(|_| {
            let core = app.core.clone();
            let registry = registry.clone();
            tokio::spawn(async move {
                while centralita_worker::run_one(&core, &registry).await.unwrap() {}
            })
        })
        .collect();
    for l in loops {
        l.await.unwrap();
    }
    for i in 0..24 {
        assert_eq!(count(&format!("{prefix}-{i}")), 1, "job {i}");
    }
}

#[tokio::test]
async fn a_cancelled_running_job_is_dropped_and_its_outcome_not_recorded() {
    let app = app_without_worker().await;
    let id = enqueue(&app, &Work::new("to-cancel")).await;
    let claimed = jobs::claim(&app.core.db, "worker-a", jobs::DEFAULT_LEASE_SECS)
        .await
        .unwrap()
        .unwrap();
    let v = expect_json(
        app.post(&format!("/v1/jobs/{id}/cancel"), &app.admin, json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(v["status"], "cancelled");
    // The worker learns it at its next renewal, and whatever it ends with is ignored.
    assert!(
        !jobs::renew(&app.core.db, id, "worker-a", jobs::DEFAULT_LEASE_SECS)
            .await
            .unwrap()
    );
    assert!(
        !jobs::fail(&app.core.db, &claimed, "worker-a", "boom")
            .await
            .unwrap()
    );
    assert_eq!(job_row(&app.core, id).await.status, "cancelled");
    assert!(
        jobs::claim(&app.core.db, "worker-b", jobs::DEFAULT_LEASE_SECS)
            .await
            .unwrap()
            .is_none()
    );
    // Cancelling a finished job is a conflict, and changes nothing.
    let res = app
        .post(&format!("/v1/jobs/{id}/cancel"), &app.admin, json!({}))
        .await;
    assert_problem(res, 409, "conflict").await;
    let actions = audit_actions(&app, &id.to_string()).await;
    assert_eq!(actions, vec!["job.cancel"]);
}

#[tokio::test]
async fn a_dead_job_is_retried_by_an_operator_and_runs_again() {
    let app = app_without_worker().await;
    let mut work = Work::new("revive");
    work.fail = true;
    let id = enqueue(&app, &work).await;
    job::Entity::update_many()
        .col_expr(job::Column::Status, "dead".into())
        .col_expr(job::Column::Attempts, 3.into())
        .filter(job::Column::Id.eq(id))
        .exec(&app.core.db)
        .await
        .unwrap();
    // Support reads but does not retry; tenant admins do neither.
    let (_, support) = support_token(&app).await;
    expect_json(app.get(&format!("/v1/jobs/{id}"), &support).await, 200).await;
    let res = app
        .post(&format!("/v1/jobs/{id}/retry"), &support, json!({}))
        .await;
    assert_problem(res, 403, "forbidden").await;
    let (_, tenant_admin) = app.tenant_with_admin("Not Staff Co").await;
    assert_problem(app.get("/v1/jobs", &tenant_admin).await, 403, "forbidden").await;
    assert_eq!(job_row(&app.core, id).await.status, "dead");

    let v = expect_json(
        app.post(&format!("/v1/jobs/{id}/retry"), &app.admin, json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(
        (v["status"].as_str(), v["attempts"].as_i64()),
        (Some("queued"), Some(0))
    );
    assert!(
        centralita_worker::run_one(&app.core, &registry())
            .await
            .unwrap()
    );
    assert_eq!(job_row(&app.core, id).await.status, "failed");
    // A queued or running job is not retried.
    let other = enqueue(&app, &Work::new("queued")).await;
    let res = app
        .post(&format!("/v1/jobs/{other}/retry"), &app.admin, json!({}))
        .await;
    assert_problem(res, 409, "conflict").await;
    let res = app
        .post(
            &format!("/v1/jobs/{}/retry", Uuid::now_v7()),
            &app.admin,
            json!({}),
        )
        .await;
    assert_problem(res, 404, "not_found").await;
}

#[tokio::test]
async fn tenants_see_their_own_jobs_without_the_operators_error_text() {
    let app = app_without_worker().await;
    let (t, admin) = app.tenant_with_admin("Jobs Co").await;
    let (other, other_admin) = app.tenant_with_admin("Other Jobs Co").await;
    let mut mine = Work::new("mine");
    mine.tenant = Some(t.parse().unwrap());
    mine.fail = true;
    let mine = enqueue(&app, &mine).await;
    let mut theirs = Work::new("theirs");
    theirs.tenant = Some(other.parse().unwrap());
    enqueue(&app, &theirs).await;
    enqueue(&app, &Work::new("platform")).await;
    while centralita_worker::run_one(&app.core, &registry())
        .await
        .unwrap()
    {}

    let items = list_all(&app, &format!("/v1/tenants/{t}/jobs"), &admin).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["id"], mine.to_string());
    assert_eq!(items[0]["status"], "failed");
    assert_eq!(items[0]["last_error"], Value::Null);
    let staff = expect_json(app.get(&format!("/v1/jobs/{mine}"), &app.admin).await, 200).await;
    assert!(
        staff["last_error"]
            .as_str()
            .unwrap()
            .contains("the carrier said no")
    );
    // Filters.
    let by_tenant = list_all(&app, &format!("/v1/jobs?tenant_id={t}"), &app.admin).await;
    assert_eq!(by_tenant.len(), 1);
    let failed = list_all(
        &app,
        &format!("/v1/tenants/{t}/jobs?status=succeeded"),
        &admin,
    )
    .await;
    assert!(failed.is_empty());
    // Another tenant's jobs are a 404 like the rest of it.
    let res = app
        .get(&format!("/v1/tenants/{t}/jobs"), &other_admin)
        .await;
    assert_problem(res, 404, "not_found").await;
    // Tenant users do not read jobs.
    let (_, user) = app.create_user(&admin, &t, "tenant_user").await;
    let res = app.get(&format!("/v1/tenants/{t}/jobs"), &user).await;
    assert_problem(res, 403, "forbidden").await;
}

#[tokio::test]
async fn shutdown_gives_an_unfinished_job_back() {
    let app = app_without_worker().await;
    let mut work = Work::new("hangs");
    work.hang = true;
    let id = enqueue(&app, &work).await;
    let stop = CancellationToken::new();
    let registry = registry();
    let runner = {
        let core = app.core.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            centralita_worker::run_one_until(
                &core,
                &registry,
                "worker-stopping",
                &stop,
                Duration::from_millis(200),
            )
            .await
            .unwrap()
        })
    };
    // Wait until it runs, then ask the worker to stop.
    for _ in 0..200 {
        if job_row(&app.core, id).await.status == "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.cancel();
    assert!(runner.await.unwrap(), "it had a job");
    let back = job_row(&app.core, id).await;
    assert_eq!(back.status, "queued");
    assert_eq!(back.attempts, 0, "the interrupted attempt does not count");
    assert!(back.lease_owner.is_none() && back.locked_until.is_none());
    assert_eq!(back.progress_done, 5, "progress so far stays readable");
}

#[tokio::test]
async fn metrics_show_jobs_by_kind_and_status_and_the_oldest_due_age() {
    let app = app_without_worker().await;
    let id = enqueue(&app, &Work::new("metered")).await;
    job::Entity::update_many()
        .col_expr(
            job::Column::RunAt,
            (chrono::Utc::now() - chrono::Duration::seconds(90)).into(),
        )
        .filter(job::Column::Id.eq(id))
        .exec(&app.core.db)
        .await
        .unwrap();
    let scrape = || scrape_metrics(&app);
    let body = scrape().await;
    assert!(
        body.contains(r#"jobs{kind="test.work",status="queued"} 1"#),
        "{body}"
    );
    let age: f64 = body
        .lines()
        .find_map(|l| l.strip_prefix("jobs_oldest_due_age_seconds "))
        .unwrap()
        .parse()
        .unwrap();
    assert!((89.0..600.0).contains(&age), "{age}");

    assert!(
        centralita_worker::run_one(&app.core, &registry())
            .await
            .unwrap()
    );
    let body = scrape().await;
    assert!(
        body.contains(r#"jobs{kind="test.work",status="succeeded"} 1"#),
        "{body}"
    );
    assert!(!body.contains(r#"status="queued""#), "{body}");
    assert!(body.contains("jobs_oldest_due_age_seconds 0"), "{body}");
}
