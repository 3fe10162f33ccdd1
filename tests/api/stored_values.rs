//! Stored values that no longer parse (a status, a kind, a role, a JSON column written by a
//! bug or by hand) answer 500 `internal` when read: never a default that would change what
//! the row means (an unreadable DID status read as `available` would make it claimable).
//!
//! Each test writes the bad value straight into the database through `app.core.db`, then
//! reads the row through the API.

use crate::common::*;
use centralita_domain::entities::{
    dial_number, did, extension, outbound_route, tenant, time_condition, trunk, user, voicemail_box,
};
use sea_orm::{
    ColumnTrait, EntityTrait, Iterable, QueryFilter, sea_query::Expr, sea_query::SimpleExpr,
};
use serde_json::{Value, json};
use uuid::Uuid;

/// Writes `value` into `column` of the row `id` of `E`, as a bug would.
async fn corrupt<E, C>(app: &TestApp, id: &str, column: C, value: impl Into<SimpleExpr>)
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let id = Uuid::parse_str(id).unwrap();
    let pk = E::PrimaryKey::iter()
        .next()
        .map(sea_orm::PrimaryKeyToColumn::into_column)
        .unwrap();
    let done = E::update_many()
        .col_expr(column, value.into())
        .filter(pk.eq(id))
        .exec(&app.core.db)
        .await
        .unwrap();
    assert_eq!(done.rows_affected, 1, "corrupted one row");
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_unreadable_did_status_is_an_error_not_a_claimable_number() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Bad Status Co").await;
    let carrier = expect_json(
        app.post(
            "/v1/trunks",
            &app.admin,
            json!({"name": "Carrier", "host": "sip.carrier.example.com"}),
        )
        .await,
        201,
    )
    .await;
    let number = "+34911000111";
    let created = expect_json(
        app.post(
            "/v1/dids",
            &app.admin,
            json!({"number": number, "carrier_trunk_id": carrier["id"], "currency": "EUR",
                "status": "reserved"}),
        )
        .await,
        201,
    )
    .await;
    let id = id_of(&created);
    corrupt::<did::Entity, _>(&app, &id, did::Column::Status, Expr::value("on_hold")).await;

    let res = app.get(&format!("/v1/dids/{id}"), &app.admin).await;
    assert_problem(res, 500, "internal").await;
    let res = app.get("/v1/dids", &app.admin).await;
    assert_problem(res, 500, "internal").await;
    // The claim does not take the number.
    let res = app
        .post(
            &format!("/v1/tenants/{t}/dids"),
            &admin,
            json!({"number": number}),
        )
        .await;
    assert_ne!(res.status(), 201);
    let row = did::Entity::find_by_id(Uuid::parse_str(&id).unwrap())
        .one(&app.core.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.status.as_str(), row.tenant_id), ("on_hold", None));

    // A DID whose stored number type is unknown is not shown as `unknown` either.
    corrupt::<did::Entity, _>(&app, &id, did::Column::Status, Expr::value("reserved")).await;
    expect_json(app.get(&format!("/v1/dids/{id}"), &app.admin).await, 200).await;
    corrupt::<did::Entity, _>(&app, &id, did::Column::NumberType, Expr::value("psychic")).await;
    let res = app.get(&format!("/v1/dids/{id}"), &app.admin).await;
    assert_problem(res, 500, "internal").await;
}

#[tokio::test]
async fn an_unreadable_trunk_transport_is_not_read_as_udp() {
    let app = TestApp::spawn().await;
    let created = expect_json(
        app.post(
            "/v1/trunks",
            &app.admin,
            json!({"name": "TLS carrier", "host": "sip.carrier.example.com", "transport": "tls"}),
        )
        .await,
        201,
    )
    .await;
    let id = id_of(&created);
    corrupt::<trunk::Entity, _>(&app, &id, trunk::Column::Transport, Expr::value("TLS")).await;
    let res = app.get(&format!("/v1/trunks/{id}"), &app.admin).await;
    assert_problem(res, 500, "internal").await;
}

#[tokio::test]
async fn unreadable_roles_and_statuses_are_errors() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Bad Role Co").await;
    let (u, _) = app.create_user(&admin, &t, "tenant_user").await;
    let path = format!("/v1/tenants/{t}/users/{u}");

    corrupt::<user::Entity, _>(&app, &u, user::Column::Role, Expr::value("emperor")).await;
    assert_problem(app.get(&path, &admin).await, 500, "internal").await;
    // Nor may a tenant admin manage the user as if it were a plain tenant user.
    let res = app
        .patch(&path, &admin, json!({"display_name": "Renamed"}))
        .await;
    assert_problem(res, 500, "internal").await;
    let res = app.delete(&path, &admin).await;
    assert_problem(res, 500, "internal").await;

    corrupt::<user::Entity, _>(&app, &u, user::Column::Role, Expr::value("tenant_user")).await;
    corrupt::<user::Entity, _>(&app, &u, user::Column::Status, Expr::value("asleep")).await;
    assert_problem(app.get(&path, &admin).await, 500, "internal").await;

    corrupt::<tenant::Entity, _>(&app, &t, tenant::Column::Status, Expr::value("frozen")).await;
    let res = app.get(&format!("/v1/tenants/{t}"), &app.admin).await;
    assert_problem(res, 500, "internal").await;
}

#[tokio::test]
async fn undecodable_json_columns_are_errors_not_empty_defaults() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Bad Json Co").await;

    let ext = create_extension(
        &app,
        &admin,
        &t,
        json!({"number": "201", "display_name": "Reception"}),
    )
    .await;
    let ext_id = id_of(&ext);
    corrupt::<extension::Entity, _>(
        &app,
        &ext_id,
        extension::Column::Forwarding,
        Expr::value(json!({"always": "voicemail"})),
    )
    .await;
    let res = app
        .get(&format!("{}/{ext_id}", extensions_path(&t)), &admin)
        .await;
    assert_problem(res, 500, "internal").await;
    let res = app.get(&extensions_path(&t), &admin).await;
    assert_problem(res, 500, "internal").await;

    let vbox = create_box(&app, &admin, &t, "301").await;
    let box_id = id_of(&vbox);
    corrupt::<voicemail_box::Entity, _>(
        &app,
        &box_id,
        voicemail_box::Column::Emails,
        Expr::value(json!("not-a-list")),
    )
    .await;
    let res = app
        .get(&format!("{}/{box_id}", boxes_path(&t)), &admin)
        .await;
    assert_problem(res, 500, "internal").await;

    let cond = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/time-conditions"),
            &admin,
            json!({"name": "Hours",
                "schedule": {"time_zone": "UTC", "rules": [{"weekdays": ["mon-fri"]}]},
                "matched_destination": {"type": "hangup"},
                "unmatched_destination": {"type": "hangup"}}),
        )
        .await,
        201,
    )
    .await;
    let cond_id = id_of(&cond);
    corrupt::<time_condition::Entity, _>(
        &app,
        &cond_id,
        time_condition::Column::MatchedDestination,
        Expr::value(json!({"type": "teleport"})),
    )
    .await;
    let res = app
        .get(
            &format!("/v1/tenants/{t}/time-conditions/{cond_id}"),
            &admin,
        )
        .await;
    assert_problem(res, 500, "internal").await;

    let trunk = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/trunks"),
            &admin,
            json!({"name": "Own", "host": "sip.example.com"}),
        )
        .await,
        201,
    )
    .await;
    let route = expect_json(
        app.post(
            &format!("/v1/tenants/{t}/outbound-routes"),
            &admin,
            json!({"name": "All", "patterns": ["X."], "trunk_ids": [trunk["id"]]}),
        )
        .await,
        201,
    )
    .await;
    let route_id = id_of(&route);
    corrupt::<outbound_route::Entity, _>(
        &app,
        &route_id,
        outbound_route::Column::TrunkIds,
        Expr::value(json!(["not-a-uuid"])),
    )
    .await;
    let res = app
        .get(
            &format!("/v1/tenants/{t}/outbound-routes/{route_id}"),
            &admin,
        )
        .await;
    assert_problem(res, 500, "internal").await;
    let res = app
        .post(
            &format!("/v1/tenants/{t}/outbound-routes/test"),
            &admin,
            json!({"number": "5551234"}),
        )
        .await;
    assert_problem(res, 500, "internal").await;
}

#[tokio::test]
async fn an_unknown_object_kind_in_the_number_space_is_an_error() {
    let app = TestApp::spawn().await;
    let (t, admin) = app.tenant_with_admin("Bad Kind Co").await;
    create_extension(
        &app,
        &admin,
        &t,
        json!({"number": "202", "display_name": "Desk"}),
    )
    .await;
    let row = dial_number::Entity::find()
        .filter(dial_number::Column::Number.eq("202"))
        .all(&app.core.db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.tenant_id.to_string() == t)
        .unwrap();
    corrupt::<dial_number::Entity, _>(
        &app,
        &row.id.to_string(),
        dial_number::Column::OwnerType,
        Expr::value("fax_machine"),
    )
    .await;
    // Taking the number reads its holder: an unknown kind is neither a 409 naming a made-up
    // holder nor a free number.
    let res = app
        .post(
            &format!("/v1/tenants/{t}/conferences"),
            &admin,
            json!({"name": "Room", "number": "202"}),
        )
        .await;
    assert_problem(res, 500, "internal").await;
}

#[tokio::test]
async fn an_unreadable_switch_node_status_is_not_read_as_active() {
    use centralita_domain::entities::switch_node;
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/v1/switch-nodes",
            &app.admin,
            json!({"name": "edge-odd", "kind": "kamailio", "addresses": ["127.0.0.1"]}),
        )
        .await;
    let created = expect_json(res, 201).await;
    let id = id_of(&created);
    let token = created["token"].as_str().unwrap().to_owned();
    let path = format!("/v1/switch-nodes/{id}");
    let ask = |token: String| {
        let app = &app;
        async move {
            app.req(
                reqwest::Method::GET,
                "/v1/switch/directory/nowhere.example.com/1000",
                &token,
            )
            .send()
            .await
            .unwrap()
        }
    };
    // A healthy node's token gets past authentication (the domain is unknown: 404, not
    // 401). Each token is asked once: node lookups are cached per token.
    let healthy = switch_node_token(&app).await;
    assert_problem(ask(healthy).await, 404, "not_found").await;

    corrupt::<switch_node::Entity, _>(
        &app,
        &id,
        switch_node::Column::Status,
        Expr::value("paused"),
    )
    .await;
    assert_problem(app.get(&path, &app.admin).await, 500, "internal").await;
    assert_problem(
        app.get("/v1/switch-nodes", &app.admin).await,
        500,
        "internal",
    )
    .await;
    // The token of a node whose status cannot be read is not honoured as an active node's.
    assert_problem(ask(token.clone()).await, 500, "internal").await;

    corrupt::<switch_node::Entity, _>(
        &app,
        &id,
        switch_node::Column::Status,
        Expr::value("active"),
    )
    .await;
    corrupt::<switch_node::Entity, _>(
        &app,
        &id,
        switch_node::Column::Addresses,
        Expr::value(json!({"not": "a list"})),
    )
    .await;
    assert_problem(app.get(&path, &app.admin).await, 500, "internal").await;
    corrupt::<switch_node::Entity, _>(
        &app,
        &id,
        switch_node::Column::Kind,
        Expr::value("asterisk"),
    )
    .await;
    assert_problem(app.get(&path, &app.admin).await, 500, "internal").await;
}
