//! A fixed SQL expression that keeps its query cacheable as a prepared statement.
//!
//! `diesel::dsl::sql` marks every query it appears in as unsafe to cache (its text could be
//! anything, built per request), so PostgreSQL parses and plans such a query on every call. A
//! [`FixedSql`] is a `&'static str` chosen at compile time: a query built from it and from
//! diesel's own expressions is cached by its SQL text on the connection (diesel's statement
//! cache), and PostgreSQL reuses the prepared statement. Measured on the ticket queue
//! (`GET /tickets?status=unsolved&sort=sla_due&per_page=50`): see the closing note of issue 15.

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::expression::{
    AppearsOnTable, Expression, SelectableExpression, TypedExpressionType, ValidGrouping,
    is_aggregate,
};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use std::marker::PhantomData;

/// A fixed SQL text of SQL type `ST`, with no bind parameters (unlike `diesel::dsl::sql`, it
/// leaves its query cacheable: see the module's documentation).
#[derive(Debug, Clone, Copy)]
pub struct FixedSql<ST> {
    sql: &'static str,
    _type: PhantomData<ST>,
}

/// The expression `sql`, of SQL type `ST`: a constant of the code, never text from a request.
pub const fn fixed_sql<ST>(sql: &'static str) -> FixedSql<ST> {
    FixedSql {
        sql,
        _type: PhantomData,
    }
}

impl<ST: TypedExpressionType> Expression for FixedSql<ST> {
    type SqlType = ST;
}

impl<ST, DB: Backend> QueryFragment<DB> for FixedSql<ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(self.sql);
        Ok(())
    }
}

impl<ST> QueryId for FixedSql<ST> {
    type QueryId = ();
    // The text is not part of the type: cached by SQL text, not by type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, QS> SelectableExpression<QS> for FixedSql<ST> where Self: AppearsOnTable<QS> {}

impl<ST, QS> AppearsOnTable<QS> for FixedSql<ST> where Self: Expression {}

impl<ST, GB> ValidGrouping<GB> for FixedSql<ST> {
    type IsAggregate = is_aggregate::Never;
}

/// The last key of an `ORDER BY` followed by a literal `LIMIT n` (`key` a constant of the code,
/// `n` a number): the page size written into the statement rather than bound.
///
/// Why: PostgreSQL plans a prepared statement for its first five executions with their
/// parameters, then keeps a generic plan only if that plan's estimated cost is close to theirs.
/// With `LIMIT $1` the generic plan cannot know the page is 51 rows (it assumes a tenth of the
/// table), looks far dearer, and the statement is re-planned on every call — for the ticket
/// queue the planning cost three times the execution (about 1,100 req/s instead of 3,400 in
/// `make bench`). Written as a literal, the generic plan's estimate is the custom plans', and
/// each page size is its own cached statement (at most 101).
#[derive(Debug, Clone, Copy)]
pub struct KeyThenLimit {
    key: &'static str,
    limit: i64,
}

/// `key` (e.g. `tickets.id ASC`) then ` LIMIT limit`: the last element of an `ORDER BY`, in a
/// query without `.limit()`.
pub const fn key_then_limit(key: &'static str, limit: i64) -> KeyThenLimit {
    KeyThenLimit { key, limit }
}

/// The largest page size a list writes into its statement (see [`literal_page`]).
pub const MAX_LITERAL_PAGE: i64 = 1_000;

/// `limit` cut to 0–[`MAX_LITERAL_PAGE`] rows: a list's page size as [`key_then_limit`] writes
/// it, so that a list has a bounded number of cached statements (one per page size) whatever its
/// caller passes. The API's pages are 1–100 rows (`routes::pages::per_page`); the code's own
/// callers pass fixed sizes of at most 500.
pub fn literal_page(limit: i64) -> i64 {
    limit.clamp(0, MAX_LITERAL_PAGE)
}

impl Expression for KeyThenLimit {
    type SqlType = diesel::sql_types::BigInt;
}

impl<DB: Backend> QueryFragment<DB> for KeyThenLimit {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(self.key);
        out.push_sql(" LIMIT ");
        out.push_sql(&self.limit.to_string());
        Ok(())
    }
}

impl QueryId for KeyThenLimit {
    type QueryId = ();
    // The limit is part of the text: cached by SQL text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<QS> SelectableExpression<QS> for KeyThenLimit where Self: AppearsOnTable<QS> {}

impl<QS> AppearsOnTable<QS> for KeyThenLimit where Self: Expression {}

impl<GB> ValidGrouping<GB> for KeyThenLimit {
    type IsAggregate = is_aggregate::Never;
}
