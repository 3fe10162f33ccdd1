//! TenantScope against a real (SQLite, in-memory) database with the real migrations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use centralita_domain::{
    authz::{Actor, Principal, PrincipalKind, Relation, Role},
    entities::{domain, tenant},
    ids::TenantId,
    scope::TenantScope,
};
use centralita_migrations::{Migrator, MigratorTrait};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, Database, DatabaseConnection, EntityTrait};
use uuid::Uuid;

async fn db() -> DatabaseConnection {
    let db = Database::connect("sqlite::memory:").await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    db
}

async fn tenant(db: &DatabaseConnection, parent: Option<&tenant::Model>) -> tenant::Model {
    let id = Uuid::now_v7();
    let path = match parent {
        Some(p) => format!("{}{id}/", p.path),
        None => format!("/{id}/"),
    };
    tenant::ActiveModel {
        id: Set(id),
        parent_id: Set(parent.map(|p| p.id)),
        path: Set(path),
        name: Set("t".into()),
        slug: Set(id.simple().to_string()),
        status: Set("active".into()),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        version: Set(1),
    }
    .insert(db)
    .await
    .unwrap()
}

fn actor(role: Role, t: Option<&tenant::Model>) -> Actor {
    Actor {
        principal: Principal {
            kind: PrincipalKind::User,
            id: Uuid::now_v7(),
            role,
            tenant_id: t.map(|t| TenantId(t.id)),
            tenant_path: t.map(|t| t.path.clone()),
        },
        request_id: None,
        reason: None,
    }
}

#[tokio::test]
async fn visibility_follows_the_tree() {
    let db = db().await;
    let partner = tenant(&db, None).await;
    let child = tenant(&db, Some(&partner)).await;
    let grandchild = tenant(&db, Some(&child)).await;
    let other = tenant(&db, None).await;

    let p = actor(Role::PartnerAdmin, Some(&partner));
    for (t, rel) in [
        (&partner, Relation::Own),
        (&child, Relation::Descendant),
        (&grandchild, Relation::Descendant),
    ] {
        let s = TenantScope::resolve(&db, p.clone(), t.id).await.unwrap();
        assert_eq!(s.relation(), rel);
    }
    assert_eq!(
        TenantScope::resolve(&db, p.clone(), other.id)
            .await
            .unwrap_err()
            .code
            .status(),
        404
    );

    // No upward or sideways visibility for a customer, even a partner admin of a child.
    let c = actor(Role::PartnerAdmin, Some(&child));
    assert_eq!(
        TenantScope::resolve(&db, c, partner.id)
            .await
            .unwrap_err()
            .code
            .status(),
        404
    );
    let ta = actor(Role::TenantAdmin, Some(&child));
    assert_eq!(
        TenantScope::resolve(&db, ta, grandchild.id)
            .await
            .unwrap_err()
            .code
            .status(),
        404
    );

    // Staff see everything; unknown ids are the same 404 as invisible ones.
    let staff = actor(Role::Support, None);
    assert_eq!(
        TenantScope::resolve(&db, staff.clone(), other.id)
            .await
            .unwrap()
            .relation(),
        Relation::Platform
    );
    assert_eq!(
        TenantScope::resolve(&db, staff, Uuid::now_v7())
            .await
            .unwrap_err()
            .code
            .status(),
        404
    );
}

#[tokio::test]
async fn scoped_queries_only_see_the_scope_tenant() {
    let db = db().await;
    let a = tenant(&db, None).await;
    let b = tenant(&db, None).await;
    let mut ids = Vec::new();
    for t in [&a, &b] {
        let id = Uuid::now_v7();
        domain::ActiveModel {
            id: Set(id),
            tenant_id: Set(t.id),
            name: Set(format!("{}.example.com", t.slug)),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
            version: Set(1),
        }
        .insert(&db)
        .await
        .unwrap();
        ids.push(id);
    }
    let scope = TenantScope::resolve(&db, actor(Role::TenantAdmin, Some(&a)), a.id)
        .await
        .unwrap();
    let rows = scope.select::<domain::Entity>().all(&db).await.unwrap();
    assert_eq!(rows.iter().map(|d| d.id).collect::<Vec<_>>(), vec![ids[0]]);
    assert!(
        scope
            .find::<domain::Entity, _>(&db, ids[0], "domain")
            .await
            .is_ok()
    );
    assert_eq!(
        scope
            .find::<domain::Entity, _>(&db, ids[1], "domain")
            .await
            .unwrap_err()
            .code
            .status(),
        404
    );
    assert_eq!(domain::Entity::find().all(&db).await.unwrap().len(), 2);
}
