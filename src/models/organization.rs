//! Organizations (customer institutions), their sites, and customers (requesters).

use crate::models::fixed_sql::{key_then_limit, literal_page};
use crate::schema::{customers, organizations, sites};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// An `organizations` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizations, check_for_backend(diesel::pg::Pg))]
pub struct Organization {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Id in an outside system.
    pub external_id: Option<String>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
}

/// A `sites` row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sites, check_for_backend(diesel::pg::Pg))]
pub struct Site {
    /// Id.
    pub id: i64,
    /// Owning organization.
    pub organization_id: i64,
    /// Name, unique within the organization.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Postal address.
    pub address: Option<String>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
}

/// A `customers` row (a requester).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = customers, check_for_backend(diesel::pg::Pg))]
pub struct Customer {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Normalised email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Organization.
    pub organization_id: Option<i64>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (UTC).
    pub updated_at: DateTime<Utc>,
    /// Unsubscribed from email: receives no notice and no survey.
    pub email_opt_out: bool,
}

/// A new customer.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = customers)]
pub struct NewCustomer {
    /// Name.
    pub name: String,
    /// Normalised email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Organization.
    pub organization_id: Option<i64>,
}

/// Changes to a customer (`None`: unchanged; `Some(None)`: cleared).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = customers)]
pub struct CustomerChanges {
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<Option<String>>,
    /// Phone.
    pub phone: Option<Option<String>>,
    /// Organization.
    pub organization_id: Option<Option<i64>>,
    /// Unsubscribed from email.
    pub email_opt_out: Option<bool>,
    /// Set to now by the caller.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Creates an organization.
///
/// # Errors
/// Unique violation on `organizations_external_id_key`; database errors.
pub fn create_organization(
    conn: &mut PgConnection,
    name: &str,
    external_id: Option<&str>,
) -> QueryResult<Organization> {
    diesel::insert_into(organizations::table)
        .values((
            organizations::name.eq(name),
            organizations::external_id.eq(external_id),
        ))
        .returning(Organization::as_returning())
        .get_result(conn)
}

/// Renames an organization.
///
/// # Errors
/// `NotFound`; database errors.
pub fn rename_organization(
    conn: &mut PgConnection,
    id: i64,
    name: &str,
    now: DateTime<Utc>,
) -> QueryResult<Organization> {
    diesel::update(organizations::table.find(id))
        .set((
            organizations::name.eq(name),
            organizations::updated_at.eq(now),
        ))
        .returning(Organization::as_returning())
        .get_result(conn)
}

/// One organization.
///
/// # Errors
/// `NotFound`; database errors.
pub fn get_organization(conn: &mut PgConnection, id: i64) -> QueryResult<Organization> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
}

/// Organizations whose name contains `q` (case-insensitive), by id, after `after`, at most `limit`.
///
/// # Errors
/// Database errors.
pub fn list_organizations(
    conn: &mut PgConnection,
    q: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Organization>> {
    let mut query = organizations::table
        .select(Organization::as_select())
        // The page size written into the statement: see `KeyThenLimit` for why it is not bound.
        .order(key_then_limit("organizations.id ASC", literal_page(limit)))
        .into_boxed();
    if let Some(q) = q {
        query = query.filter(organizations::name.ilike(like_pattern(q)));
    }
    if let Some(after) = after {
        query = query.filter(organizations::id.gt(after));
    }
    query.load(conn)
}

/// Creates a site of an organization.
///
/// # Errors
/// FK violation `sites_organization_id_fkey`, unique violation `sites_organization_name_key`.
pub fn create_site(
    conn: &mut PgConnection,
    organization_id: i64,
    name: &str,
    time_zone: &str,
    address: Option<&str>,
) -> QueryResult<Site> {
    diesel::insert_into(sites::table)
        .values((
            sites::organization_id.eq(organization_id),
            sites::name.eq(name),
            sites::time_zone.eq(time_zone),
            sites::address.eq(address),
        ))
        .returning(Site::as_returning())
        .get_result(conn)
}

/// One site.
///
/// # Errors
/// `NotFound`; database errors.
pub fn get_site(conn: &mut PgConnection, id: i64) -> QueryResult<Site> {
    sites::table.find(id).select(Site::as_select()).first(conn)
}

/// Changes to a site (`None`: unchanged; `Some(None)`: cleared).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = sites)]
pub struct SiteChanges {
    /// Name.
    pub name: Option<String>,
    /// IANA time zone.
    pub time_zone: Option<String>,
    /// Address.
    pub address: Option<Option<String>>,
}

/// Applies `changes` to a site.
///
/// # Errors
/// `NotFound`; `sites_organization_name_key` for a name already used in the organization.
pub fn update_site(conn: &mut PgConnection, id: i64, changes: &SiteChanges) -> QueryResult<Site> {
    diesel::update(sites::table.find(id))
        .set((changes, sites::updated_at.eq(diesel::dsl::now)))
        .returning(Site::as_returning())
        .get_result(conn)
}

/// Sites, optionally of one organization and matching `q` (name or address, case-insensitive),
/// by id.
///
/// # Errors
/// Database errors.
pub fn list_sites(
    conn: &mut PgConnection,
    q: Option<&str>,
    organization_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Site>> {
    let mut query = sites::table
        .select(Site::as_select())
        .order(key_then_limit("sites.id ASC", literal_page(limit)))
        .into_boxed();
    if let Some(q) = q {
        let pattern = like_pattern(q);
        query = query.filter(
            sites::name
                .ilike(pattern.clone())
                .or(sites::address.ilike(pattern)),
        );
    }
    if let Some(org) = organization_id {
        query = query.filter(sites::organization_id.eq(org));
    }
    if let Some(after) = after {
        query = query.filter(sites::id.gt(after));
    }
    query.load(conn)
}

/// Creates a customer.
///
/// # Errors
/// Unique violation `customers_email_key`; FK violation `customers_organization_id_fkey`.
pub fn create_customer(conn: &mut PgConnection, new: &NewCustomer) -> QueryResult<Customer> {
    diesel::insert_into(customers::table)
        .values(new)
        .returning(Customer::as_returning())
        .get_result(conn)
}

/// Applies `changes` to a customer.
///
/// # Errors
/// `NotFound`; constraint violations as for [`create_customer`].
pub fn update_customer(
    conn: &mut PgConnection,
    id: i64,
    changes: &CustomerChanges,
) -> QueryResult<Customer> {
    diesel::update(customers::table.find(id))
        .set(changes)
        .returning(Customer::as_returning())
        .get_result(conn)
}

/// One customer.
///
/// # Errors
/// `NotFound`; database errors.
pub fn get_customer(conn: &mut PgConnection, id: i64) -> QueryResult<Customer> {
    customers::table
        .find(id)
        .select(Customer::as_select())
        .first(conn)
}

/// Customers matching `q` in name, email or phone (case-insensitive substring), optionally of one
/// organization, by id.
///
/// # Errors
/// Database errors.
pub fn list_customers(
    conn: &mut PgConnection,
    q: Option<&str>,
    organization_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Customer>> {
    let mut query = customers::table
        .select(Customer::as_select())
        .order(key_then_limit("customers.id ASC", literal_page(limit)))
        .into_boxed();
    if let Some(q) = q {
        let pattern = like_pattern(q);
        query = query.filter(
            customers::name
                .ilike(pattern.clone())
                .or(customers::email.ilike(pattern.clone()))
                .or(customers::phone.ilike(pattern)),
        );
    }
    if let Some(org) = organization_id {
        query = query.filter(customers::organization_id.eq(org));
    }
    if let Some(after) = after {
        query = query.filter(customers::id.gt(after));
    }
    query.load(conn)
}

/// The key a phone number is found by, as `customer_phone_key` computes it in SQL (migration
/// `customer_phone_key`): its digits, without the leading `1` of an 11-digit number (the North
/// American country code): `+1 (555) 010-0199`, `1-555-010-0199` and `555.010.0199` all give
/// `5550100199`.
pub fn phone_key(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix('1') {
        Some(rest) if digits.len() == 11 => rest.to_string(),
        _ => digits,
    }
}

/// The customer with this normalised email (`customers_email_key`).
///
/// # Errors
/// Database errors.
pub fn customer_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<Customer>> {
    customers::table
        .filter(customers::email.eq(email))
        .select(Customer::as_select())
        .first(conn)
        .optional()
}

/// Up to `limit` customers whose phone has this [`phone_key`], by id (the expression index
/// `customers_phone_key_idx`).
///
/// # Errors
/// Database errors.
pub fn customers_by_phone_key(
    conn: &mut PgConnection,
    key: &str,
    limit: i64,
) -> QueryResult<Vec<Customer>> {
    diesel::define_sql_function!(fn customer_phone_key(phone: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>);
    customers::table
        .filter(customer_phone_key(customers::phone).eq(key))
        .order(customers::id)
        .limit(limit)
        .select(Customer::as_select())
        .load(conn)
}

/// Creates a customer unless one has its email already (a concurrent find-or-create); returns
/// the new row, or `None` when the email was taken.
///
/// # Errors
/// FK violation `customers_organization_id_fkey`; database errors.
pub fn create_customer_unless_email_taken(
    conn: &mut PgConnection,
    new: &NewCustomer,
) -> QueryResult<Option<Customer>> {
    diesel::insert_into(customers::table)
        .values(new)
        .on_conflict(customers::email)
        .do_nothing()
        .returning(Customer::as_returning())
        .get_result(conn)
        .optional()
}

/// `%q%` with `%`, `_` and `\` escaped, for ILIKE.
pub fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The field errors of customer constraints.
pub const CUSTOMER_CONSTRAINTS: &[(&str, &str, &str)] = &[
    (
        "customers_email_key",
        "email",
        "is already used by another customer",
    ),
    (
        "customers_organization_id_fkey",
        "organization_id",
        "no such organization",
    ),
];

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(super::like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
