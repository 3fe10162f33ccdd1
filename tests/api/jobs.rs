//! Jobs through their trait: a typed job round-trips through the `jobs` table, a row the
//! registry cannot run fails as a job (never a panic), and with Redis an enqueued job wakes
//! an idle worker instead of waiting for its poll.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::common::*;
use centralita_domain::{
    DomainResult,
    services::jobs::{self, Job, JobContext, JobStatus, Registry},
};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// What the test jobs saw, by tag (tests may share a process under `cargo test`).
static RAN: Mutex<Vec<(String, u32)>> = Mutex::new(Vec::new());

fn ran(tag: &str) -> Option<u32> {
    let ran = RAN.lock().unwrap();
    ran.iter().find(|(t, _)| t == tag).map(|(_, n)| *n)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Echo {
    tag: String,
    n: u32,
}

impl Job for Echo {
    const KIND: &'static str = "test.echo";

    async fn run(&self, _ctx: &JobContext<'_>) -> DomainResult<()> {
        RAN.lock().unwrap().push((self.tag.clone(), self.n));
        Ok(())
    }
}

/// Same kind as [`Echo`], another payload shape: an `Echo` row does not decode as this.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EchoV2 {
    tag: String,
    count: u64,
}

impl Job for EchoV2 {
    const KIND: &'static str = "test.echo";

    async fn run(&self, _ctx: &JobContext<'_>) -> DomainResult<()> {
        panic!("an undecodable payload must never reach run");
    }
}

/// A job allowed one attempt, so its first failure is final.
#[derive(Debug, Serialize, Deserialize)]
struct Once {}

impl Job for Once {
    const KIND: &'static str = "test.once";
    const MAX_ATTEMPTS: i32 = 1;

    async fn run(&self, _ctx: &JobContext<'_>) -> DomainResult<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_typed_job_round_trips() {
    let app = app_without_worker().await;
    let tag = Uuid::now_v7().to_string();
    let echo = Echo {
        tag: tag.clone(),
        n: 42,
    };
    let queued = jobs::enqueue(&app.core.db, &echo, None).await.unwrap();
    let stored = job_row(&app.core, queued.id).await;
    assert_eq!(stored.kind, "test.echo");
    assert_eq!(stored.payload, json!({"tag": tag, "n": 42}));
    assert_eq!(stored.max_attempts, 10);

    let registry = Registry::new().register::<Echo>();
    assert!(
        centralita_worker::run_one(&app.core, &registry)
            .await
            .unwrap()
    );
    assert_eq!(ran(&tag), Some(42));
    assert_eq!(
        job_row(&app.core, queued.id).await.status,
        JobStatus::Succeeded.as_str()
    );
    assert!(
        !centralita_worker::run_one(&app.core, &registry)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn an_unknown_kind_fails_the_job_without_panicking() {
    let app = app_without_worker().await;
    let queued = jobs::enqueue(&app.core.db, &Once {}, None).await.unwrap();
    // A worker that does not know the kind (an older release during a rolling deploy).
    let registry = Registry::new().register::<Echo>();
    assert!(
        centralita_worker::run_one(&app.core, &registry)
            .await
            .unwrap()
    );
    let failed = job_row(&app.core, queued.id).await;
    assert_eq!(
        failed.status,
        JobStatus::Dead.as_str(),
        "one attempt allowed"
    );
    assert_eq!(failed.attempts, 1);
    let error = failed.last_error.unwrap_or_default();
    assert!(error.contains("\"test.once\" is registered"), "{error}");
}

#[tokio::test]
async fn an_undecodable_payload_fails_the_job_and_is_retried() {
    let app = app_without_worker().await;
    let tag = Uuid::now_v7().to_string();
    let echo = Echo {
        tag: tag.clone(),
        n: 1,
    };
    let queued = jobs::enqueue(&app.core.db, &echo, None).await.unwrap();
    let registry = Registry::new().register::<EchoV2>();
    assert!(
        centralita_worker::run_one(&app.core, &registry)
            .await
            .unwrap()
    );
    let failed = job_row(&app.core, queued.id).await;
    assert_eq!(
        failed.status,
        JobStatus::Failed.as_str(),
        "retried with backoff"
    );
    assert_eq!(failed.attempts, 1);
    assert!(failed.run_at > failed.created_at);
    let error = failed.last_error.unwrap_or_default();
    assert!(error.contains("does not decode"), "{error}");
    assert_eq!(ran(&tag), None);
}

/// With Redis, `Queued::wake` after commit wakes a worker waiting on a poll interval far
/// longer than the test waits: the job runs because of the wake-up, not the poll.
#[tokio::test]
async fn an_enqueued_job_wakes_an_idle_worker() {
    if std::env::var("CENTRALITA_TEST_REDIS_URL").is_err() {
        println!("skipped: CENTRALITA_TEST_REDIS_URL is not set");
        return;
    }
    let app = app_without_worker().await;
    let stop = CancellationToken::new();
    let poll = Duration::from_secs(600);
    let worker = tokio::spawn(centralita_worker::run_with(
        app.core.clone(),
        std::sync::Arc::new(Registry::new().register::<Echo>()),
        poll,
        stop.clone(),
    ));
    // Let the worker find nothing to do and go idle; had it not, the job would simply run
    // at its first claim and the test would prove less, never fail.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let tag = Uuid::now_v7().to_string();
    let txn = app.core.db.begin().await.unwrap();
    let queued = jobs::enqueue(
        &txn,
        &Echo {
            tag: tag.clone(),
            n: 7,
        },
        None,
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    queued.wake(&app.core).await;

    let deadline = Instant::now() + Duration::from_secs(60);
    while ran(&tag).is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(ran(&tag), Some(7), "the worker was not woken");
    assert_eq!(
        job_row(&app.core, queued.id).await.status,
        JobStatus::Succeeded.as_str()
    );
    stop.cancel();
    worker.await.unwrap();
}
