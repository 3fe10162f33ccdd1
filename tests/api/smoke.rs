use crate::common::*;
use serde_json::Value;

#[tokio::test]
async fn app_starts_and_serves_me() {
    let app = TestApp::spawn().await;
    println!("backend: {}", backend());
    let res = app.get("/v1/me", &app.admin).await;
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["role"], "platform_admin");
    assert_eq!(me["user"]["email"], ADMIN_EMAIL);
    assert!(me["user"].get("password_hash").is_none());
}

/// The backend under test is the one the environment asked for (so the PostgreSQL + Redis run
/// of CI really runs on them).
#[tokio::test]
async fn runs_on_the_requested_backend() {
    let app = TestApp::spawn().await;
    let backend = sea_orm::ConnectionTrait::get_database_backend(&app.core.db);
    if std::env::var("CENTRALITA_TEST_DATABASE_URL").is_ok() {
        assert_eq!(backend, sea_orm::DbBackend::Postgres);
    } else {
        assert_eq!(backend, sea_orm::DbBackend::Sqlite);
    }
    assert_eq!(
        app.core.redis.is_some(),
        std::env::var("CENTRALITA_TEST_REDIS_URL").is_ok()
    );
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}
