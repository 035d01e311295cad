//! Assets (equipment at a site: inmate phones, kiosks, terminals …) and the reads of an asset's
//! history (its tickets and work orders). Each function is one statement inside the caller's
//! connection or transaction; the routes in [`crate::routes::assets`] coordinate.

use crate::models::enums::DbTicketStatus;
use crate::models::fixed_sql::{key_then_limit, literal_page};
use crate::models::organization::like_pattern;
use crate::schema::{assets, sites, tickets, work_orders};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

/// The field errors of the `assets` constraints: a duplicate tag or serial number in the
/// organization is a 409; a site of another organization (or none) is a 422 on `site_id`.
pub const ASSET_CONSTRAINTS: &[(&str, &str, &str)] = &[
    (
        "assets_organization_id_asset_tag_key",
        "asset_tag",
        "is already used by another asset of this organization",
    ),
    (
        "assets_organization_id_serial_number_key",
        "serial_number",
        "is already used by another asset of this organization",
    ),
    (
        "assets_organization_id_asset_tag_lower_key",
        "asset_tag",
        "is already used by another asset of this organization (case is ignored)",
    ),
    (
        "assets_organization_id_serial_number_lower_key",
        "serial_number",
        "is already used by another asset of this organization (case is ignored)",
    ),
    (
        "assets_site_fkey",
        "site_id",
        "no such site in the asset's organization",
    ),
    ("assets_kind_check", "kind", "not an accepted kind"),
    ("assets_status_check", "status", "not an accepted status"),
    (
        "assets_asset_tag_not_blank",
        "asset_tag",
        "must not be blank",
    ),
];

/// An `assets` row. `kind` and `status` hold the names of
/// [`crate::domain::work_order::AssetKind`] and [`crate::domain::work_order::AssetStatus`].
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assets, check_for_backend(diesel::pg::Pg))]
pub struct Asset {
    /// Id.
    pub id: i64,
    /// Owning organization (the site's).
    pub organization_id: i64,
    /// Where it is installed.
    pub site_id: i64,
    /// Kind name.
    pub kind: String,
    /// Tag, unique within the organization.
    pub asset_tag: String,
    /// Serial number, unique within the organization.
    pub serial_number: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Installation date (the site's calendar).
    pub installed_on: Option<NaiveDate>,
    /// Status name.
    pub status: String,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
}

/// An asset with the name and IANA time zone of its site.
#[derive(Debug, Clone, Queryable)]
pub struct AssetAtSite {
    /// The row.
    pub asset: Asset,
    /// `sites.name`.
    pub site_name: String,
    /// `sites.time_zone`.
    pub site_time_zone: String,
}

/// A new `assets` row (values validated by the caller).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = assets)]
pub struct NewAsset {
    /// The site's organization.
    pub organization_id: i64,
    /// Site.
    pub site_id: i64,
    /// Kind name.
    pub kind: String,
    /// Tag (trimmed).
    pub asset_tag: String,
    /// Serial number.
    pub serial_number: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Installation date.
    pub installed_on: Option<NaiveDate>,
    /// Status name.
    pub status: String,
}

/// Changes to an asset (`None`: unchanged; `Some(None)`: cleared).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = assets)]
pub struct AssetChanges {
    /// Site (of the same organization: the composite foreign key holds it).
    pub site_id: Option<i64>,
    /// Kind name.
    pub kind: Option<String>,
    /// Tag.
    pub asset_tag: Option<String>,
    /// Serial number.
    pub serial_number: Option<Option<String>>,
    /// Model.
    pub model: Option<Option<String>>,
    /// Installation date.
    pub installed_on: Option<Option<NaiveDate>>,
    /// Status name.
    pub status: Option<String>,
}

impl AssetChanges {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.site_id.is_none()
            && self.kind.is_none()
            && self.asset_tag.is_none()
            && self.serial_number.is_none()
            && self.model.is_none()
            && self.installed_on.is_none()
            && self.status.is_none()
    }
}

/// Filters and page of the asset lists, ordered by id.
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    /// Only this site's assets.
    pub site_id: Option<i64>,
    /// Only this organization's assets.
    pub organization_id: Option<i64>,
    /// Only this kind (name).
    pub kind: Option<String>,
    /// Only this status (name).
    pub status: Option<String>,
    /// Case-insensitive substring of the tag, serial number or model.
    pub q: Option<String>,
    /// Continue after this id.
    pub after: Option<i64>,
    /// Page size.
    pub limit: i64,
}

/// Inserts an asset.
///
/// # Errors
/// The constraints of [`ASSET_CONSTRAINTS`]; database errors.
pub fn insert_tx(conn: &mut PgConnection, new: &NewAsset) -> QueryResult<Asset> {
    diesel::insert_into(assets::table)
        .values(new)
        .returning(Asset::as_returning())
        .get_result(conn)
}

/// Locks an asset's row (`FOR UPDATE`).
///
/// # Errors
/// `NotFound`; database errors.
pub fn lock_tx(conn: &mut PgConnection, id: i64) -> QueryResult<Asset> {
    assets::table
        .find(id)
        .select(Asset::as_select())
        .for_update()
        .first(conn)
}

/// Writes `changes` to asset `id` (`updated_at` = `now`).
///
/// # Errors
/// `NotFound`; the constraints of [`ASSET_CONSTRAINTS`]; database errors.
pub fn update_tx(
    conn: &mut PgConnection,
    id: i64,
    changes: &AssetChanges,
    now: DateTime<Utc>,
) -> QueryResult<Asset> {
    diesel::update(assets::table.find(id))
        .set((changes, assets::updated_at.eq(now)))
        .returning(Asset::as_returning())
        .get_result(conn)
}

/// One asset (no lock).
///
/// # Errors
/// `NotFound`; database errors.
pub fn get(conn: &mut PgConnection, id: i64) -> QueryResult<Asset> {
    assets::table
        .find(id)
        .select(Asset::as_select())
        .first(conn)
}

/// One asset with its site's name and time zone.
///
/// # Errors
/// `NotFound`; database errors.
pub fn get_at_site(conn: &mut PgConnection, id: i64) -> QueryResult<AssetAtSite> {
    assets::table
        .inner_join(sites::table)
        .filter(assets::id.eq(id))
        .select((Asset::as_select(), sites::name, sites::time_zone))
        .first(conn)
}

/// A page of assets matching `filter` (with their sites' names and time zones), by id.
///
/// # Errors
/// Database errors.
pub fn list(conn: &mut PgConnection, filter: &AssetFilter) -> QueryResult<Vec<AssetAtSite>> {
    let mut query = assets::table
        .inner_join(sites::table)
        .select((Asset::as_select(), sites::name, sites::time_zone))
        // The page size written into the statement: see `KeyThenLimit` for why it is not bound.
        .order(key_then_limit("assets.id ASC", literal_page(filter.limit)))
        .into_boxed();
    if let Some(site) = filter.site_id {
        query = query.filter(assets::site_id.eq(site));
    }
    if let Some(org) = filter.organization_id {
        query = query.filter(assets::organization_id.eq(org));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(assets::kind.eq(kind.clone()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(assets::status.eq(status.clone()));
    }
    if let Some(q) = &filter.q {
        let pattern = like_pattern(q);
        query = query.filter(
            assets::asset_tag
                .ilike(pattern.clone())
                .or(assets::serial_number.ilike(pattern.clone()))
                .or(assets::model.ilike(pattern)),
        );
    }
    if let Some(after) = filter.after {
        query = query.filter(assets::id.gt(after));
    }
    query.load(conn)
}

/// A ticket of an asset's history.
#[derive(Debug, Clone, Queryable)]
pub struct AssetTicket {
    /// Id.
    pub id: i64,
    /// Human number.
    pub number: i64,
    /// Subject.
    pub subject: String,
    /// Status.
    pub status: DbTicketStatus,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
}

/// A work order of an asset's history.
#[derive(Debug, Clone, Queryable)]
pub struct AssetVisit {
    /// Id.
    pub id: i64,
    /// The ticket it serves.
    pub ticket_id: i64,
    /// Status name ([`crate::domain::work_order::WorkOrderStatus`]).
    pub status: String,
    /// Dispatched technician.
    pub technician_id: Option<i64>,
    /// Arrival window start (UTC).
    pub window_start: Option<DateTime<Utc>>,
    /// Arrival window end (UTC).
    pub window_end: Option<DateTime<Utc>>,
    /// Arrival (device instant, UTC).
    pub on_site_at: Option<DateTime<Utc>>,
    /// End (device instant, UTC).
    pub finished_at: Option<DateTime<Utc>>,
    /// Completion: the problem is fixed.
    pub problem_fixed: Option<bool>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
}

/// The newest `limit` tickets naming asset `id`, newest first (`created_at`, then `id`);
/// `technician` restricts them to tickets with a work order assigned to that technician.
///
/// # Errors
/// Database errors.
pub fn tickets_of(
    conn: &mut PgConnection,
    id: i64,
    technician: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AssetTicket>> {
    let mut query = tickets::table
        .filter(tickets::asset_id.eq(id))
        .select((
            tickets::id,
            tickets::number,
            tickets::subject,
            tickets::status,
            tickets::created_at,
        ))
        .order((tickets::created_at.desc(), tickets::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(t) = technician {
        query = query.filter(
            tickets::id.eq_any(
                work_orders::table
                    .filter(work_orders::technician_id.eq(t))
                    .select(work_orders::ticket_id),
            ),
        );
    }
    query.load(conn)
}

/// The newest `limit` work orders of asset `id`, newest first (`created_at`, then `id`);
/// `technician` restricts them to that technician's.
///
/// # Errors
/// Database errors.
pub fn work_orders_of(
    conn: &mut PgConnection,
    id: i64,
    technician: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AssetVisit>> {
    let mut query = work_orders::table
        .filter(work_orders::asset_id.eq(id))
        .select((
            work_orders::id,
            work_orders::ticket_id,
            work_orders::status,
            work_orders::technician_id,
            work_orders::window_start,
            work_orders::window_end,
            work_orders::on_site_at,
            work_orders::finished_at,
            work_orders::problem_fixed,
            work_orders::created_at,
        ))
        .order((work_orders::created_at.desc(), work_orders::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(t) = technician {
        query = query.filter(work_orders::technician_id.eq(t));
    }
    query.load(conn)
}

/// How many work orders of asset `id` reached `on_site` (an arrival is recorded): the visits to
/// the equipment — of every technician, or only of `technician` (what a technician may see).
///
/// # Errors
/// Database errors.
pub fn visit_count(conn: &mut PgConnection, id: i64, technician: Option<i64>) -> QueryResult<i64> {
    let mut query = work_orders::table
        .filter(work_orders::asset_id.eq(id))
        .filter(work_orders::on_site_at.is_not_null())
        .into_boxed();
    if let Some(t) = technician {
        query = query.filter(work_orders::technician_id.eq(t));
    }
    query.count().get_result(conn)
}
