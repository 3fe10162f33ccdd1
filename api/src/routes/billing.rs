//! `/v1/tenants/{tenant_id}/billing-account`, `…/transactions` and `…/balance`.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use centralita_domain::{
    Core,
    authz::{Permission, PlatformPermission},
    services::billing::{
        self, BillingAccountView, UpdateBillingAccount,
        cdrs::{self, CdrListQuery, CdrPage, RerateQueued, RerateRequest},
        invoices::{self, InvoiceListQuery, InvoicePage, InvoiceView, RecordPayment},
        ledger::{
            self, BalanceView, CreateTransaction, TransactionListQuery, TransactionPage,
            TransactionView,
        },
        policy::{self, SpendPolicy, SpendPolicyView},
        pricing::{self, ExplainQuery, RateExplanation},
        reports::{self, MarginQuery, MarginReport},
    },
};
use uuid::Uuid;

use crate::{
    extract::{Auth, Body, IdempotencyHeader, IfMatch, Scope},
    problem::{ApiResult, CommonErrors, WriteErrors},
    respond,
};

/// The tenant's billing terms (the defaults until someone sets them: prepaid, no credit, no
/// tax, day 1, the parent's currency or USD). The tenant's admins, its partner and staff.
#[utoipa::path(
    operation_id = "get_billing_account",
    tag = "billing",
    params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "The account", body = BillingAccountView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/billing-account")]
pub async fn get_account(Scope(scope): Scope, core: web::Data<Core>) -> ApiResult<HttpResponse> {
    let view = billing::get(&scope, &core).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Change the tenant's billing terms (JSON merge patch; `If-Match` honoured): only its parent
/// partner or platform staff. The currency is fixed once the account has transactions (409).
#[utoipa::path(
    operation_id = "update_billing_account",
    tag = "billing",
    params(("tenant_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateBillingAccount,
    responses((status = 200, description = "Updated", body = BillingAccountView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[patch("/v1/tenants/{tenant_id}/billing-account")]
pub async fn update_account(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<UpdateBillingAccount>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::BillingWrite)?;
    let view = billing::update(&scope, &core, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Post a top-up, an adjustment (signed, with its reason) or a refund (with its reason, at
/// most the balance): the parent partner or platform staff. `Idempotency-Key` is required
/// (422 without): a retry with the same key and body returns the first answer
/// (`Idempotent-Replayed: true`), the same key with another body is 422, and nothing is
/// posted twice.
#[utoipa::path(
    operation_id = "create_transaction",
    tag = "billing",
    params(("tenant_id" = Uuid, Path),
        ("Idempotency-Key" = String, Header, description = "Required: makes retries safe; kept at least 24 h")),
    request_body = CreateTransaction,
    responses((status = 201, description = "Posted", body = TransactionView, headers(("Location" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/transactions")]
pub async fn create_transaction(
    req: HttpRequest,
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<CreateTransaction>,
    idem: IdempotencyHeader,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::BillingWrite)?;
    let collection = format!("/v1/tenants/{}/transactions", scope.tenant_id());
    let key = idem.key(scope.actor().principal.owner_key(), &req, &body.canonical())?;
    let (core, scope, collection) = (&core, &scope, collection.as_str());
    respond::idempotent(core, key, collection, |key| async move {
        let view = ledger::create(scope, core, input, key.as_ref()).await?;
        Ok(respond::created(
            format!("{collection}?id={}", view.id),
            &view,
            None,
        ))
    })
    .await
}

/// The tenant's ledger transactions, oldest first (filter by kind and time).
#[utoipa::path(
    operation_id = "list_transactions",
    tag = "billing",
    params(("tenant_id" = Uuid, Path), TransactionListQuery),
    responses((status = 200, description = "A page of transactions", body = TransactionPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/transactions")]
pub async fn list_transactions(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<TransactionListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &ledger::list(&scope, &core, &query).await?,
        None,
    ))
}

/// The tenant's balance (the sum of its postings), what calls in progress hold, and what it
/// may still spend.
#[utoipa::path(
    operation_id = "get_balance",
    tag = "billing",
    params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "The balance", body = BalanceView), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/balance")]
pub async fn balance(Scope(scope): Scope, core: web::Data<Core>) -> ApiResult<HttpResponse> {
    Ok(respond::ok(&ledger::balance(&scope, &core).await?, None))
}

/// How a number is rated for the tenant: the matched prefix of its sell deck's active
/// version, the rate, the cost of a 60-second call with its arithmetic, and the trunks of the
/// matching outbound route in least-cost order, each with why it is used or left out. 409
/// when the tenant has no sell deck; 404 when its deck has no rate for the number.
#[utoipa::path(
    operation_id = "explain_rate",
    tag = "billing",
    params(("tenant_id" = Uuid, Path), ExplainQuery),
    responses((status = 200, description = "The explanation", body = RateExplanation), CommonErrors,
        (status = 409, description = "The tenant has no sell deck", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/rates/explain")]
pub async fn explain_rate(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<ExplainQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &pricing::explain(&scope, &core, &query).await?,
        None,
    ))
}

/// Whether the request asks for CSV.
fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|m| m.trim().starts_with("text/csv")))
}

fn cdr_csv(body: centralita_domain::csv_cells::CsvStream) -> HttpResponse {
    use futures_util::StreamExt;
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"cdrs.csv\""))
        .streaming(body.map(|chunk| chunk.map_err(crate::problem::ApiError)))
}

/// The caller's own call history: records whose caller, destination or extension is the
/// number of one of the phones assigned to them, newest last (cursor pages), with the same
/// filters as the tenant's list. Charges are the billing's and are left out. API keys and
/// platform staff have no phones, hence no history.
#[utoipa::path(
    operation_id = "list_own_cdrs",
    tag = "billing",
    params(CdrListQuery),
    responses((status = 200, description = "A page of the caller's records", body = CdrPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/me/cdrs")]
pub async fn list_own_cdrs(
    Auth(actor): Auth,
    core: web::Data<Core>,
    query: web::Query<CdrListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &cdrs::list_own(&core, &actor, &query).await?,
        None,
    ))
}

/// The tenant's call detail records, newest last (cursor pages), filtered by start time,
/// extension, direction and disposition. Each shows what the tenant was charged; a partner
/// looking at a customer's records also sees its own cost and margin, platform staff the
/// carrier's price and the platform's margin. `Accept: text/csv` answers the CSV export.
#[utoipa::path(
    operation_id = "list_cdrs",
    tag = "billing",
    params(("tenant_id" = Uuid, Path), CdrListQuery),
    responses((status = 200, description = "A page of records (or CSV)", body = CdrPage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/cdrs")]
pub async fn list_cdrs(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<CdrListQuery>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    if wants_csv(&req) {
        return Ok(cdr_csv(cdrs::export(&scope, &core, &query).await?));
    }
    Ok(respond::ok(&cdrs::list(&scope, &core, &query).await?, None))
}

/// The tenant's call detail records as CSV (the list's filters), streamed.
#[utoipa::path(
    operation_id = "export_cdrs",
    tag = "billing",
    params(("tenant_id" = Uuid, Path), CdrListQuery),
    responses((status = 200, description = "The CSV", content_type = "text/csv", body = String), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/cdrs/export")]
pub async fn export_cdrs(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<CdrListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(cdr_csv(cdrs::export(&scope, &core, &query).await?))
}

/// Re-rate the outbound calls of a period with the rate decks active now (platform admins):
/// a job that posts only the differences, so running it twice posts nothing more.
#[utoipa::path(
    operation_id = "rerate_cdrs",
    tag = "billing",
    request_body = RerateRequest,
    responses((status = 202, description = "The queued job", body = RerateQueued), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/cdrs/rerate")]
pub async fn rerate(
    Auth(actor): Auth,
    core: web::Data<Core>,
    body: Body<RerateRequest>,
) -> ApiResult<HttpResponse> {
    let queued = cdrs::request_rerate(
        &core,
        &actor,
        body.parse_for_platform(&actor, PlatformPermission::ManageRateDecks)?,
    )
    .await?;
    Ok(HttpResponse::Accepted().json(queued))
}

/// The tenant's spend policy (the defaults until set: no limits, toll-fraud ranges denied).
/// The tenant's admins, its partner and staff.
#[utoipa::path(
    operation_id = "get_spend_policy",
    tag = "billing",
    params(("tenant_id" = Uuid, Path)),
    responses((status = 200, description = "The policy", body = SpendPolicyView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/spend-policy")]
pub async fn get_spend_policy(
    Scope(scope): Scope,
    core: web::Data<Core>,
) -> ApiResult<HttpResponse> {
    let view = policy::get(&scope, &core).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Replace the tenant's spend policy (the parent partner or platform staff): maximum rate
/// and connection fee, daily cap, concurrent calls, allowed and denied prefixes and
/// countries, and the toll-fraud number types allowed anyway. Checked by every call
/// authorization. `If-Match` honoured.
#[utoipa::path(
    operation_id = "put_spend_policy",
    tag = "billing",
    params(("tenant_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = SpendPolicy,
    responses((status = 200, description = "The policy", body = SpendPolicyView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[put("/v1/tenants/{tenant_id}/spend-policy")]
pub async fn put_spend_policy(
    Scope(scope): Scope,
    core: web::Data<Core>,
    body: Body<SpendPolicy>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::BillingWrite)?;
    let view = policy::put(&scope, &core, input, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// The tenant's invoices (one per billing period with something to bill), without their
/// lines; filter by status.
#[utoipa::path(
    operation_id = "list_invoices",
    tag = "billing",
    params(("tenant_id" = Uuid, Path), InvoiceListQuery),
    responses((status = 200, description = "A page of invoices", body = InvoicePage), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/invoices")]
pub async fn list_invoices(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<InvoiceListQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &invoices::list(&scope, &core, &query).await?,
        None,
    ))
}

/// An invoice with its lines (calls by destination, DID fees, adjustments), tax and totals;
/// `Accept: text/html` answers its printable page.
#[utoipa::path(
    operation_id = "get_invoice",
    tag = "billing",
    params(("tenant_id" = Uuid, Path), ("invoice_id" = Uuid, Path)),
    responses((status = 200, description = "The invoice (JSON, or HTML for Accept: text/html)", body = InvoiceView, headers(("ETag" = String))), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/invoices/{invoice_id}")]
pub async fn get_invoice(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let wants_html = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|m| m.trim().starts_with("text/html")));
    if wants_html {
        let page = invoices::html(&scope, &core, path.1).await?;
        return Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(page));
    }
    let view = invoices::get(&scope, &core, path.1).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Issue a draft invoice (the parent partner or platform staff): it takes the next number
/// of its issuer's gap-free sequence and its tax is posted. `If-Match` honoured.
#[utoipa::path(
    operation_id = "issue_invoice",
    tag = "billing",
    params(("tenant_id" = Uuid, Path), ("invoice_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The issued invoice", body = InvoiceView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/invoices/{invoice_id}/issue")]
pub async fn issue_invoice(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let view = invoices::issue(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Void an invoice without payments: an issued one keeps its number and its tax is
/// reversed. `If-Match` honoured.
#[utoipa::path(
    operation_id = "void_invoice",
    tag = "billing",
    params(("tenant_id" = Uuid, Path), ("invoice_id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "The void invoice", body = InvoiceView, headers(("ETag" = String))), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/invoices/{invoice_id}/void")]
pub async fn void_invoice(
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let view = invoices::void(&scope, &core, path.1, if_match.0).await?;
    Ok(respond::ok(&view, Some(view.version)))
}

/// Record a payment of an issued invoice (the parent partner or platform staff): posted to
/// the ledger as a `payment`; the invoice is `paid` once payments cover its total.
/// `Idempotency-Key` is required: a retry records nothing twice.
#[utoipa::path(
    operation_id = "pay_invoice",
    tag = "billing",
    params(("tenant_id" = Uuid, Path), ("invoice_id" = Uuid, Path),
        ("Idempotency-Key" = String, Header, description = "Required: makes retries safe; kept at least 24 h")),
    request_body = RecordPayment,
    responses((status = 200, description = "The invoice with the payment", body = InvoiceView), CommonErrors, WriteErrors),
    security(("bearer" = []))
)]
#[post("/v1/tenants/{tenant_id}/invoices/{invoice_id}/payments")]
pub async fn pay_invoice(
    req: HttpRequest,
    Scope(scope): Scope,
    core: web::Data<Core>,
    path: web::Path<(Uuid, Uuid)>,
    body: Body<RecordPayment>,
    idem: IdempotencyHeader,
) -> ApiResult<HttpResponse> {
    let input = body.parse_for(&scope, Permission::BillingWrite)?;
    let collection = format!("/v1/tenants/{}/invoices/{}", scope.tenant_id(), path.1);
    let key = idem.key(scope.actor().principal.owner_key(), &req, &body.canonical())?;
    let (core, scope, collection) = (&core, &scope, collection.as_str());
    let id = path.1;
    respond::idempotent(core, key, collection, |key| async move {
        let view = invoices::pay(scope, core, id, input, key.as_ref()).await?;
        Ok(respond::ok(&view, None))
    })
    .await
}

/// The platform's revenue, cost and margin of calls (platform staff): revenue is what the
/// top of each call's reseller chain paid, cost what the carrier charges; grouped by day,
/// month, tenant, destination or carrier, per currency.
#[utoipa::path(
    operation_id = "platform_margin_report",
    tag = "billing",
    params(MarginQuery),
    responses((status = 200, description = "The report", body = MarginReport), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/reports/margin")]
pub async fn platform_margin(
    Auth(actor): Auth,
    core: web::Data<Core>,
    query: web::Query<MarginQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &reports::platform(&core, &actor, &query).await?,
        None,
    ))
}

/// A partner's revenue, cost and margin over its subtree: revenue is what the level just
/// below it paid for each call, cost what it paid itself; grouped by day, month, tenant or
/// destination, per currency. Nothing of the levels above it is shown.
#[utoipa::path(
    operation_id = "partner_margin_report",
    tag = "billing",
    params(("tenant_id" = Uuid, Path), MarginQuery),
    responses((status = 200, description = "The report", body = MarginReport), CommonErrors),
    security(("bearer" = []))
)]
#[get("/v1/tenants/{tenant_id}/reports/margin")]
pub async fn partner_margin(
    Scope(scope): Scope,
    core: web::Data<Core>,
    query: web::Query<MarginQuery>,
) -> ApiResult<HttpResponse> {
    Ok(respond::ok(
        &reports::partner(&scope, &core, &query).await?,
        None,
    ))
}
