//! The bulk loader: tickets with their event logs, comments, projections and SLA clocks stored
//! with `COPY … FROM STDIN (FORMAT binary)` (`frontline seed`), and the constraints and indexes
//! taken out and put back around a large load.

use super::{NewTicketEvent, Ticket, TicketMetricsRow, event_rows};
use crate::domain::sla::{DueEvent, event_data};
use crate::domain::ticket::TicketEvent;
use crate::models::enums::{DbTicketPriority, DbTicketStatus, TicketChannel};
use crate::schema::{comments, ticket_events, ticket_metrics};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

diesel::table! {
    use diesel::sql_types::*;
    use crate::schema::sql_types::{TicketChannel, TicketPriority, TicketStatus};

    /// Session-local staging table of the bulk loader (created by [`copy_tickets_tx`]).
    seed_ticket_staging (id) {
        id -> Int8,
        number -> Int8,
        subject -> Text,
        description -> Text,
        status -> TicketStatus,
        priority -> TicketPriority,
        channel -> Nullable<TicketChannel>,
        category -> Nullable<Text>,
        tags -> Array<Text>,
        requester_id -> Nullable<Int8>,
        organization_id -> Nullable<Int8>,
        site_id -> Nullable<Int8>,
        team_id -> Nullable<Int8>,
        asset_id -> Nullable<Int8>,
        assignee_id -> Nullable<Int8>,
        created_by_id -> Nullable<Int8>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        solved_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        comment_text -> Text,
        search_vector_text -> Nullable<Text>,
        hold_reason -> Nullable<Text>,
        sla_due_at -> Nullable<Timestamptz>,
    }
}

#[derive(Insertable)]
#[diesel(table_name = seed_ticket_staging, treat_none_as_default_value = false)]
struct StagedTicket<'a> {
    id: i64,
    number: i64,
    subject: &'a str,
    description: &'a str,
    status: DbTicketStatus,
    priority: DbTicketPriority,
    channel: Option<TicketChannel>,
    category: Option<&'a str>,
    tags: &'a [String],
    requester_id: Option<i64>,
    organization_id: Option<i64>,
    site_id: Option<i64>,
    team_id: Option<i64>,
    asset_id: Option<i64>,
    assignee_id: Option<i64>,
    created_by_id: Option<i64>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    solved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    comment_text: String,
    search_vector_text: Option<&'a str>,
    hold_reason: Option<&'a str>,
    sla_due_at: Option<DateTime<Utc>>,
}

/// One ticket for the bulk loader, with everything a ticket write would have stored.
#[derive(Debug, Clone)]
pub struct BulkTicket<'a> {
    /// The row (its `id` and `number` reserved from their sequences by the caller).
    pub ticket: &'a Ticket,
    /// The event log, oldest first, SLA events included.
    pub events: &'a [TicketEvent],
    /// One body per `comment_added` event, in log order.
    pub bodies: &'a [String],
    /// The metric projection of the log.
    pub metrics: &'a TicketMetricsRow,
    /// The SLA clock rows, `*_recorded` flags set for the SLA events below.
    pub clocks: &'a [crate::models::sla::ClockRow],
    /// SLA events appended after `events`, as the SLA worker records them.
    pub sla_events: &'a [DueEvent],
    /// The full-text vector (text form) when already computed by [`search_vectors`]; `None`:
    /// computed while copying.
    pub search_vector: Option<&'a str>,
}

/// The comment text a ticket's full-text vector indexes: each body's first 4,000 characters,
/// in log order, joined by spaces (as the ticket trigger's `string_agg`).
pub fn comment_text(bodies: &[String]) -> String {
    bodies
        .iter()
        .map(|body| body.chars().take(4000).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Full-text vectors (text form) of `(subject, description, comment text)` triples by the ticket
/// trigger's formula, in order. A pure computation: the bulk loader runs it on a second
/// connection, in parallel with the copying one.
///
/// # Errors
/// Database errors.
pub fn search_vectors(
    conn: &mut PgConnection,
    subjects: &[&str],
    descriptions: &[&str],
    comments: &[String],
) -> QueryResult<Vec<String>> {
    use diesel::sql_types::{Array, Text};
    #[derive(QueryableByName)]
    struct Vector {
        #[diesel(sql_type = Text)]
        v: String,
    }
    let rows: Vec<Vector> = diesel::sql_query(
        "SELECT (setweight(to_tsvector('english', left(s, 4000)), 'A') ||
                 setweight(to_tsvector('english', left(d, 4000)), 'B') ||
                 setweight(to_tsvector('english', c), 'C'))::text AS v
           FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS x(s, d, c, n)
          ORDER BY n",
    )
    .bind::<Array<Text>, _>(subjects)
    .bind::<Array<Text>, _>(descriptions)
    .bind::<Array<Text>, _>(comments)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.v).collect())
}

/// Stores tickets with PostgreSQL `COPY … FROM STDIN (FORMAT binary)`, inside the caller's
/// transaction: rows, event logs, comments, metric projections and SLA clocks, exactly as the
/// ticket writes of the API would have stored them.
///
/// The rows go through a session-local staging table so that each ticket's full-text vector is
/// computed once, by the formula of the ticket trigger (subject, description, comment bodies),
/// instead of once per comment; the two search triggers are off while this runs.
///
/// # Errors
/// Database errors (the caller's transaction then rolls back).
pub fn copy_tickets_tx(conn: &mut PgConnection, batch: &[BulkTicket]) -> QueryResult<()> {
    let started = std::time::Instant::now();
    diesel::sql_query(
        "CREATE TEMP TABLE IF NOT EXISTS seed_ticket_staging (
            id BIGINT, number BIGINT, subject TEXT, description TEXT, status ticket_status,
            priority ticket_priority, channel ticket_channel, category TEXT, tags TEXT[],
            requester_id BIGINT, organization_id BIGINT, site_id BIGINT, team_id BIGINT,
            asset_id BIGINT, assignee_id BIGINT, created_by_id BIGINT, version INT, created_at TIMESTAMPTZ,
            updated_at TIMESTAMPTZ, solved_at TIMESTAMPTZ, closed_at TIMESTAMPTZ, comment_text TEXT,
            search_vector_text TEXT, hold_reason TEXT, sla_due_at TIMESTAMPTZ
         ) ON COMMIT DROP",
    )
    .execute(conn)?;
    diesel::sql_query("TRUNCATE seed_ticket_staging").execute(conn)?;
    let rows: Vec<StagedTicket> = batch
        .iter()
        .map(|b| {
            let t = b.ticket;
            let comment_text = comment_text(b.bodies);
            StagedTicket {
                id: t.id,
                number: t.number,
                subject: &t.subject,
                description: &t.description,
                status: t.status,
                priority: t.priority,
                channel: t.channel,
                category: t.category.as_deref(),
                tags: &t.tags,
                requester_id: t.requester_id,
                organization_id: t.organization_id,
                site_id: t.site_id,
                team_id: t.team_id,
                asset_id: t.asset_id,
                assignee_id: t.assignee_id,
                created_by_id: t.created_by_id,
                version: t.version,
                created_at: t.created_at,
                updated_at: t.updated_at,
                solved_at: t.solved_at,
                closed_at: t.closed_at,
                comment_text,
                search_vector_text: b.search_vector,
                hold_reason: t.hold_reason.as_deref(),
                // What the clocks' statement trigger (migration queues) would write: the
                // earliest due instant of a running clock.
                sla_due_at: b
                    .clocks
                    .iter()
                    .filter(|c| c.running)
                    .filter_map(|c| c.due_at)
                    .min(),
            }
        })
        .collect();
    diesel::copy_from(seed_ticket_staging::table)
        .from_insertable(&rows)
        .execute(conn)?;
    // The seed's categories join the catalogue (named by their key) so that the API accepts them.
    crate::models::category::ensure_tx(
        conn,
        batch.iter().filter_map(|b| b.ticket.category.as_deref()),
    )?;
    for sql in [
        "ALTER TABLE tickets DISABLE TRIGGER tickets_search_vector_on_write",
        "ALTER TABLE comments DISABLE TRIGGER comments_search_vector_on_insert",
        // The ticket trigger's formula (migration bounded_search), comments joined in log order.
        "INSERT INTO tickets (id, number, subject, description, status, priority, channel, category,
                              tags, requester_id, organization_id, site_id, team_id, asset_id,
                              assignee_id, created_by_id, version, created_at, updated_at, solved_at, closed_at,
                              hold_reason, sla_due_at, search_vector)
         OVERRIDING SYSTEM VALUE
         SELECT id, number, subject, description, status, priority, channel, category, tags,
                requester_id, organization_id, site_id, team_id, asset_id, assignee_id,
                created_by_id, version, created_at, updated_at, solved_at, closed_at, hold_reason,
                sla_due_at,
                coalesce(search_vector_text::tsvector,
                         setweight(to_tsvector('english', left(subject, 4000)), 'A') ||
                         setweight(to_tsvector('english', left(description, 4000)), 'B') ||
                         setweight(to_tsvector('english', comment_text), 'C'))
           FROM seed_ticket_staging",
    ] {
        diesel::sql_query(sql).execute(conn)?;
    }
    let t_tickets = started.elapsed().as_secs_f64();
    let mut events = Vec::new();
    let mut comments = Vec::new();
    for b in batch {
        let (e, c) = event_rows(b.ticket.id, 1, b.events, b.bodies);
        let mut seq = i32::try_from(e.len()).unwrap_or(i32::MAX);
        events.extend(e);
        comments.extend(c);
        for (kind, target, at, policy_id) in b.sla_events {
            seq = seq.saturating_add(1);
            events.push(NewTicketEvent {
                ticket_id: b.ticket.id,
                seq,
                kind,
                occurred_at: *at,
                actor_user_id: None,
                from_status: None,
                to_status: None,
                data: event_data(kind, target, *at, *policy_id),
            });
        }
    }
    diesel::copy_from(ticket_events::table)
        .from_insertable(&events)
        .execute(conn)?;
    let t_events = started.elapsed().as_secs_f64();
    diesel::copy_from(comments::table)
        .from_insertable(&comments)
        .execute(conn)?;
    for sql in [
        "ALTER TABLE tickets ENABLE TRIGGER tickets_search_vector_on_write",
        "ALTER TABLE comments ENABLE TRIGGER comments_search_vector_on_insert",
    ] {
        diesel::sql_query(sql).execute(conn)?;
    }
    let t_comments = started.elapsed().as_secs_f64();
    let metrics: Vec<&TicketMetricsRow> = batch.iter().map(|b| b.metrics).collect();
    diesel::copy_from(ticket_metrics::table)
        .from_insertable(metrics)
        .execute(conn)?;
    let clocks: Vec<&crate::models::sla::ClockRow> =
        batch.iter().flat_map(|b| b.clocks.iter()).collect();
    if !clocks.is_empty() {
        // The tickets' `sla_due_at` is already written (above). The statement trigger would
        // recompute it per ticket, and with the keys and indexes of a large load taken out
        // (`defer_constraints_tx`) each of its look-ups is a sequential scan: quadratic.
        diesel::sql_query(
            "ALTER TABLE ticket_sla_clocks DISABLE TRIGGER ticket_sla_clocks_due_on_insert",
        )
        .execute(conn)?;
        diesel::copy_from(crate::schema::ticket_sla_clocks::table)
            .from_insertable(clocks)
            .execute(conn)?;
        diesel::sql_query(
            "ALTER TABLE ticket_sla_clocks ENABLE TRIGGER ticket_sla_clocks_due_on_insert",
        )
        .execute(conn)?;
    }
    tracing::debug!(
        t_tickets,
        t_events,
        t_comments,
        t_projections = started.elapsed().as_secs_f64(),
        "COPY phases (cumulative seconds)"
    );
    Ok(())
}

/// Indexes, keys and foreign keys of the tables the bulk loader fills, taken out for a large
/// load and put back (rebuilt and re-validated) after it, inside the same transaction.
#[derive(Debug, Default)]
pub struct DeferredConstraints {
    /// `(table, constraint, definition)` of the dropped primary-key and unique constraints.
    keys: Vec<(String, String, String)>,
    /// `CREATE INDEX` statements of the dropped indexes.
    indexes: Vec<String>,
    /// `(table, constraint, definition)` of the dropped foreign keys.
    foreign_keys: Vec<(String, String, String)>,
}

const BULK_TABLES: &str = "('tickets', 'ticket_events', 'comments', 'ticket_metrics', \
     'ticket_sla_clocks', 'work_orders', 'work_order_metrics')";

#[derive(QueryableByName)]
struct Constraint {
    #[diesel(sql_type = diesel::sql_types::Text)]
    tab: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    def: String,
}

/// Drops, from the bulk-loaded tables: their foreign keys, their primary-key and unique
/// constraints that no other table's foreign key relies on, and every other index;
/// [`restore_constraints_tx`] puts them back. Each copied row then costs a heap write instead of
/// a dozen index insertions and key look-ups.
///
/// # Errors
/// Database errors.
pub fn defer_constraints_tx(conn: &mut PgConnection) -> QueryResult<DeferredConstraints> {
    let in_bulk = |alias: &str| {
        format!(
            "{alias}.relnamespace = current_schema()::regnamespace AND {alias}.relname IN {BULK_TABLES}"
        )
    };
    let foreign_keys: Vec<Constraint> = diesel::sql_query(format!(
        "SELECT k.conrelid::regclass::text AS tab, k.conname::text AS name,
                pg_get_constraintdef(k.oid) AS def
           FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
          WHERE k.contype = 'f' AND {}
          ORDER BY 1, 2",
        in_bulk("c")
    ))
    .load(conn)?;
    let keys: Vec<Constraint> = diesel::sql_query(format!(
        "SELECT k.conrelid::regclass::text AS tab, k.conname::text AS name,
                pg_get_constraintdef(k.oid) AS def
           FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
          WHERE k.contype IN ('p', 'u') AND {}
            AND NOT EXISTS (SELECT 1 FROM pg_constraint f JOIN pg_class fc ON fc.oid = f.conrelid
                             WHERE f.contype = 'f' AND f.conindid = k.conindid
                               AND NOT ({}))
          ORDER BY 1, 2",
        in_bulk("c"),
        in_bulk("fc")
    ))
    .load(conn)?;
    let indexes: Vec<Constraint> = diesel::sql_query(format!(
        "SELECT c.relname::text AS tab, i.indexrelid::regclass::text AS name,
                pg_get_indexdef(i.indexrelid) AS def
           FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
          WHERE {}
            AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                             WHERE k.conindid = i.indexrelid AND k.conrelid = c.oid)
          ORDER BY 1, 2",
        in_bulk("c")
    ))
    .load(conn)?;
    for k in foreign_keys.iter().chain(&keys) {
        diesel::sql_query(format!(
            "ALTER TABLE {} DROP CONSTRAINT \"{}\"",
            k.tab, k.name
        ))
        .execute(conn)?;
    }
    for i in &indexes {
        diesel::sql_query(format!("DROP INDEX {}", i.name)).execute(conn)?;
    }
    let triple = |v: Vec<Constraint>| v.into_iter().map(|k| (k.tab, k.name, k.def)).collect();
    Ok(DeferredConstraints {
        keys: triple(keys),
        indexes: indexes.into_iter().map(|i| i.def).collect(),
        foreign_keys: triple(foreign_keys),
    })
}

/// Recreates what [`defer_constraints_tx`] dropped: keys, then indexes, then foreign keys (a
/// unique key or a foreign key that the loaded rows violate fails here, rolling the load back).
///
/// # Errors
/// Database errors, constraint violations.
pub fn restore_constraints_tx(
    conn: &mut PgConnection,
    deferred: DeferredConstraints,
) -> QueryResult<()> {
    // Index builds sort in memory up to this much (the setting ends with the transaction).
    diesel::sql_query("SET LOCAL maintenance_work_mem = '1GB'").execute(conn)?;
    let statements = deferred
        .keys
        .iter()
        .map(|(table, name, def)| format!("ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {def}"))
        .chain(deferred.indexes.iter().cloned())
        .chain(deferred.foreign_keys.iter().map(|(table, name, def)| {
            format!("ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {def}")
        }));
    for sql in statements {
        let started = std::time::Instant::now();
        diesel::sql_query(sql.as_str()).execute(conn)?;
        tracing::debug!(seconds = started.elapsed().as_secs_f64(), %sql, "restored");
    }
    Ok(())
}
