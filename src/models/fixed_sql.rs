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
