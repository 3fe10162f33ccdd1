//! Cursor pagination: `?limit=` (default 50, max 200) and an opaque `?cursor=`.
//!
//! Lists are ordered by UUIDv7 id (creation order); the cursor is the last id of the previous
//! page, base64url-encoded so clients treat it as opaque.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult, FieldError};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u64,
    pub after: Option<Uuid>,
}

impl PageRequest {
    pub fn parse(limit: Option<u64>, cursor: Option<&str>) -> DomainResult<Self> {
        let mut errors = Vec::new();
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(l) if (1..=MAX_LIMIT).contains(&l) => l,
            Some(_) => {
                errors.push(FieldError::new(
                    "limit",
                    "out_of_range",
                    format!("must be between 1 and {MAX_LIMIT}"),
                ));
                DEFAULT_LIMIT
            }
        };
        // An empty `cursor=` is how a client that always sends the parameter asks for the
        // first page.
        let after = match cursor.filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => match decode_cursor(c) {
                Some(id) => Some(id),
                None => {
                    errors.push(FieldError::new(
                        "cursor",
                        "invalid_cursor",
                        "is not a cursor returned by this API",
                    ));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(Self { limit, after })
        } else {
            let mut err = DomainError::invalid(errors);
            err.code = crate::error::ErrorCode::InvalidQuery;
            Err(err)
        }
    }

    /// Runs `select` ordered by `id_col`, fetching one extra row to know if more follow.
    pub async fn fetch<E, C>(
        &self,
        db: &C,
        select: Select<E>,
        id_col: E::Column,
        id_of: impl Fn(&E::Model) -> Uuid,
    ) -> DomainResult<(Vec<E::Model>, Option<String>)>
    where
        E: EntityTrait,
        C: ConnectionTrait,
    {
        self.fetch_in(ListOrder::Oldest, db, select, id_col, id_of)
            .await
    }

    /// [`Self::fetch`] in either order; a cursor continues in the order it was made in.
    pub async fn fetch_in<E, C>(
        &self,
        order: ListOrder,
        db: &C,
        select: Select<E>,
        id_col: E::Column,
        id_of: impl Fn(&E::Model) -> Uuid,
    ) -> DomainResult<(Vec<E::Model>, Option<String>)>
    where
        E: EntityTrait,
        C: ConnectionTrait,
    {
        let mut select = order.sort(select, id_col);
        if let Some(after) = self.after {
            select = select.filter(order.past(id_col, after));
        }
        let mut rows = select.limit(self.limit + 1).all(db).await?;
        let next = if rows.len() as u64 > self.limit {
            rows.truncate(self.limit as usize);
            rows.last().map(|m| encode_cursor(id_of(m)))
        } else {
            None
        };
        Ok((rows, next))
    }
}

/// Which end of a list comes first (ids are UUIDv7: creation order). Lists whose recent end
/// matters (call records) take it as `?order=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListOrder {
    /// The oldest first (the default).
    #[default]
    Oldest,
    /// The newest first.
    Newest,
}

impl ListOrder {
    /// `select` in this order of `id_col`.
    pub fn sort<E: EntityTrait>(self, select: Select<E>, id_col: E::Column) -> Select<E> {
        match self {
            Self::Oldest => select.order_by_asc(id_col),
            Self::Newest => select.order_by_desc(id_col),
        }
    }

    /// The rows that come after `id` in this order.
    pub fn past<C: ColumnTrait>(self, id_col: C, id: Uuid) -> sea_orm::sea_query::SimpleExpr {
        match self {
            Self::Oldest => id_col.gt(id),
            Self::Newest => id_col.lt(id),
        }
    }
}

pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(c: &str) -> Option<Uuid> {
    let bytes = URL_SAFE_NO_PAD.decode(c).ok()?;
    Uuid::from_slice(&bytes).ok()
}

/// Declares a `{items, next_cursor}` list schema for one item type.
#[macro_export]
macro_rules! page_type {
    ($name:ident, $item:ty) => {
        #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `?cursor=` to get the next page; `null` on the last page.
            pub next_cursor: Option<String>,
        }
    };
}
