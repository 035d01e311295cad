//! How a seed run stores its tickets: the primary tickets through one of the two writers
//! ([`Writer::Domain`]: the API's ticket-write code, one ticket at a time; [`Writer::Bulk`]: rows
//! computed in memory by the same pure functions, then `COPY`), and the follow-ups after them,
//! linked to their originals.

use super::field::{FieldCall, FieldWork};
use super::lifecycle;
use super::tickets::{Arrival, GeneratedTicket, Outage, World};
use super::{SeedError, Writer};
use crate::domain::calendar::BusinessCalendar;
use crate::domain::ids::{TicketId, UserId, WorkOrderId};
use crate::domain::sla::Policy;
use crate::models::sla::ClockRow;
use crate::models::survey_bulk::{SurveyRecord, copy_surveys_tx};
use crate::models::ticket::{self as ticket_model, Ticket, TicketMetricsRow};
use crate::models::work_order_bulk::BulkWorkOrder;
use crate::schema::ticket_links;
use crate::tickets::{Actor, RulesCache};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// What a run's tickets are generated from, and how they are stored.
pub(super) struct Plan<'a> {
    /// The company.
    pub(super) world: &'a World,
    /// Active SLA policies, in matching order.
    pub(super) policies: &'a [Policy],
    /// Storage path.
    pub(super) writer: Writer,
    /// Outage bursts of the window.
    pub(super) outages: &'a [Outage],
    /// The primary tickets' arrivals, in order.
    pub(super) arrivals: &'a [Arrival],
    /// Tickets generated and stored per batch.
    pub(super) batch_size: usize,
    /// Progress, one step per primary ticket stored.
    pub(super) bar: &'a indicatif::ProgressBar,
}

/// A generated ticket with everything the bulk writer stores.
struct Prepared {
    ticket: Ticket,
    /// Full-text vector computed on the helper connection, if there is one.
    search_vector: Option<String>,
    generated: GeneratedTicket,
    metrics: TicketMetricsRow,
    clocks: Vec<ClockRow>,
    sla: Vec<crate::domain::sla::DueEvent>,
    work_orders: Vec<BulkWorkOrder>,
    /// Their `work_order_metrics` rows.
    work_order_metrics: Vec<crate::models::work_order_metrics::WorkOrderMetricsRow>,
    /// Its surveys ([`super::surveys`]).
    surveys: Vec<SurveyRecord>,
}

fn calendar_for(world: &World, team: Option<i64>) -> &BusinessCalendar {
    if team == Some(world.outsourced.id) {
        &world.outsourced.calendar
    } else {
        &world.in_house.calendar
    }
}

/// The stored row of a generated ticket with reserved `id` and `number`.
fn ticket_row(g: &GeneratedTicket, id: i64, number: i64) -> Ticket {
    Ticket {
        id,
        number,
        external_id: None,
        subject: g.fields.subject.clone(),
        description: g.fields.description.clone(),
        status: g.state.status.into(),
        priority: g.state.priority.into(),
        channel: g.fields.channel,
        category: g.fields.category.clone(),
        tags: g.fields.tags.clone(),
        requester_id: g.fields.requester_id,
        organization_id: g.fields.organization_id,
        team_id: g.fields.team_id,
        assignee_id: g.state.assignee,
        created_by_id: g.created_by,
        version: ticket_version(g),
        created_at: g.state.created_at,
        updated_at: g.state.updated_at,
        solved_at: g.state.solved_at,
        closed_at: g.state.closed_at,
        site_id: g.fields.site_id,
        asset_id: g.fields.asset_id,
        hold_reason: ticket_model::hold_reason_after(g.state.status, None, &g.events),
        merged_into_id: None,
        custom_fields: serde_json::json!({}),
    }
}

/// The version of a stored ticket: 1 at creation, + 1 per work-order call that changed the
/// ticket itself (a call that only appends `work_order` events leaves the row as it is), + 1 for
/// what follows them (the domain writer's saves).
fn ticket_version(g: &GeneratedTicket) -> i32 {
    let saves = g.field.as_ref().map_or(0, |f| {
        let mut start = f.prefix_events;
        let mut saves = 0;
        for step in &f.steps {
            let changes_ticket = g.events[start..step.events_end]
                .iter()
                .any(|e| !matches!(e.kind, crate::domain::ticket::EventKind::WorkOrder { .. }));
            saves += usize::from(changes_ticket);
            start = step.events_end;
        }
        saves + usize::from(start < g.events.len())
    });
    i32::try_from(1 + saves).unwrap_or(i32::MAX)
}

/// Prepares ticket `g` with reserved `id` and `number`, its work orders numbered from
/// `first_work_order` (their `work_order` events and notes rewritten to name them).
fn prepare(
    world: &World,
    policies: &[Policy],
    mut g: GeneratedTicket,
    (id, number): (i64, i64),
    first_work_order: i64,
) -> Prepared {
    let work_orders = match g.field.take() {
        Some(field) => {
            let rows = field.resolve(id, first_work_order, &mut g.events, &mut g.bodies);
            g.field = Some(field);
            rows
        }
        None => Vec::new(),
    };
    let ticket = ticket_row(&g, id, number);
    let calendar = calendar_for(world, g.fields.team_id);
    let metrics = crate::domain::metrics::project(&g.events, calendar).unwrap_or_default();
    let credit = crate::tickets::attribution::attribute(
        &g.events,
        ticket.team_id,
        ticket.assignee_id,
        ticket.created_by_id,
        &metrics,
        &world.directory,
    );
    let metrics = TicketMetricsRow::new(id, &metrics, &credit);
    let mut clocks =
        crate::tickets::projection::clock_rows_on(policies, calendar, &ticket, &g.events);
    let sla = crate::models::sla::due_events(&mut clocks, world.end);
    let work_order_metrics = field_projection(world, &work_orders, &g.events, calendar);
    let surveys = super::surveys::plan(world, &g, id);
    Prepared {
        ticket,
        search_vector: None,
        generated: g,
        metrics,
        clocks,
        sla,
        work_orders,
        work_order_metrics,
        surveys,
    }
}

/// The `work_order_metrics` rows of a ticket's work orders, projected in memory as
/// `tickets::projection::refresh_work_orders_tx` projects them from the database (the technician's
/// employment type and team as of the end: the seed's staff never change).
fn field_projection(
    world: &World,
    work_orders: &[BulkWorkOrder],
    log: &[crate::domain::ticket::TicketEvent],
    calendar: &BusinessCalendar,
) -> Vec<crate::models::work_order_metrics::WorkOrderMetricsRow> {
    use crate::domain::field_metrics::WorkOrderFacts;
    use crate::domain::work_order::WorkOrderStatus;
    use crate::models::enums::EmploymentType;
    use crate::models::work_order_metrics::WorkOrderInput;
    if work_orders.is_empty() {
        return Vec::new();
    }
    let inputs: Vec<WorkOrderInput> = work_orders
        .iter()
        .map(|w| WorkOrderInput {
            facts: WorkOrderFacts {
                id: w.id,
                status: WorkOrderStatus::parse(&w.status).unwrap_or(WorkOrderStatus::Cancelled),
                follow_up_of: w.follow_up_of,
                created_at: w.created_at,
                en_route_at: w.en_route_at,
                on_site_at: w.on_site_at,
                finished_at: w.finished_at,
                window_start: w.window_start,
                window_end: w.window_end,
            },
            ticket_id: w.ticket_id,
            organization_id: w.organization_id,
            site_id: w.site_id,
            asset_id: w.asset_id,
            asset_kind: w.asset_id.and_then(|a| {
                world
                    .site_assets
                    .get(&w.site_id)
                    .and_then(|assets| assets.iter().find(|x| x.id == a))
                    .map(|x| x.kind.as_str().to_string())
            }),
            technician_id: w.technician_id,
            technician_now: w.technician_id.and_then(|t| {
                world.technicians.iter().find(|x| x.id == t).map(|x| {
                    let employment = if x.contractor {
                        EmploymentType::Contractor
                    } else {
                        EmploymentType::Employee
                    };
                    (employment, Some(world.field_team))
                })
            }),
            problem_fixed: w.problem_fixed,
            stored: None,
        })
        .collect();
    crate::tickets::projection::work_order_rows(&inputs, log, calendar)
}

/// Replaces the run index in a follow-up's `linked` event with the original ticket's id.
fn resolve_link(g: &mut GeneratedTicket, ids: &[i64]) {
    let Some(original) = g.follow_up_of.and_then(|i| ids.get(i).copied()) else {
        return;
    };
    for e in &mut g.events {
        if let crate::domain::ticket::EventKind::Linked { ticket_id, .. } = &mut e.kind {
            *ticket_id = original;
        }
    }
}

/// Generates tickets `range` of `arrivals` on two threads; same result as one thread.
fn generate_range(
    world: &World,
    outages: &[Outage],
    arrivals: &[Arrival],
    first: usize,
) -> anyhow::Result<Vec<GeneratedTicket>> {
    let half = arrivals.len() / 2;
    let (a, b) = arrivals.split_at(half);
    let run = |part: &[Arrival], offset: usize| -> anyhow::Result<Vec<GeneratedTicket>> {
        part.iter()
            .enumerate()
            .map(|(i, arrival)| lifecycle::generate(world, outages, (offset + i) as u64, *arrival))
            .collect()
    };
    let (left, right) = std::thread::scope(|s| {
        let handle = s.spawn(|| run(b, first + half));
        let left = run(a, first);
        let right = handle
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("ticket generation thread panicked")));
        (left, right)
    });
    let mut all = left?;
    all.extend(right?);
    Ok(all)
}

/// Reserves `n` consecutive values of the sequence behind `regclass` (the table is locked by the
/// caller); returns the first.
fn reserve(conn: &mut PgConnection, sequence_sql: &str, n: usize) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct First {
        #[diesel(sql_type = BigInt)]
        first: i64,
    }
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let row: First = diesel::sql_query(format!(
        "SELECT setval(s, nextval(s) + $1 - 1) - $1 + 1 AS first FROM (SELECT {sequence_sql}::regclass AS s) q"
    ))
    .bind::<BigInt, _>(n)
    .get_result(conn)?;
    Ok(row.first)
}

/// Stores one batch of generated tickets; returns their ids in order.
fn store(
    conn: &mut PgConnection,
    world: &World,
    policies: &[Policy],
    writer: Writer,
    batch: Vec<GeneratedTicket>,
    events: &mut usize,
) -> anyhow::Result<Vec<i64>> {
    match writer {
        Writer::Domain => {
            let mut ids = Vec::with_capacity(batch.len());
            let mut surveys = Vec::new();
            // The seed stores its own surveys ([`super::surveys`]): the notices' hook, which
            // would make one per solve, is off.
            let rules = RulesCache::with_notices(crate::tickets::notify::NoticeSettings {
                enabled: false,
                ..Default::default()
            });
            for g in &batch {
                let id = match &g.field {
                    Some(field) => store_with_field_work(conn, &rules, g, field)?,
                    None => {
                        crate::tickets::import::store_ticket_tx(
                            conn,
                            &rules,
                            &g.fields,
                            &g.state,
                            g.created_by,
                            &g.events,
                            &g.bodies,
                        )?
                        .id
                    }
                };
                *events += g.events.len();
                surveys.extend(super::surveys::plan(world, g, id));
                ids.push(id);
            }
            copy_surveys_tx(conn, &surveys)?;
            Ok(ids)
        }
        Writer::Bulk => {
            if batch.is_empty() {
                return Ok(Vec::new());
            }
            let first_id = reserve(conn, "pg_get_serial_sequence('tickets', 'id')", batch.len())?;
            let first_number = reserve(conn, "'ticket_number_seq'", batch.len())?;
            // Only the follow-ups (about 2 % of a run) come this way: one thread is enough.
            let prepared: Vec<Prepared> = batch
                .into_iter()
                .enumerate()
                .map(|(i, g)| {
                    let k = i as i64;
                    prepare(world, policies, g, (first_id + k, first_number + k), 0)
                })
                .collect();
            copy_prepared(conn, &prepared, events)?;
            Ok(prepared.iter().map(|p| p.ticket.id).collect())
        }
    }
}

/// Follow-ups to store: `(run index of the original, follow-up)`.
pub(super) type FollowUps = Vec<(usize, GeneratedTicket)>;

/// The domain path of the primary tickets: batch after batch generated on two threads, then
/// stored one ticket at a time. Returns the ids in arrival order and the follow-ups to store
/// after them.
pub(super) fn domain_primaries(
    conn: &mut PgConnection,
    plan: &Plan<'_>,
    events: &mut usize,
) -> Result<(Vec<i64>, FollowUps), SeedError> {
    let world = plan.world;
    let mut ids: Vec<i64> = Vec::with_capacity(plan.arrivals.len());
    let mut follow_ups: FollowUps = Vec::new();
    for (n, chunk) in plan.arrivals.chunks(plan.batch_size).enumerate() {
        let first = n * plan.batch_size;
        let generated = generate_range(world, plan.outages, chunk, first)?;
        for (i, g) in generated.iter().enumerate() {
            if let Some(at) = g.follow_up_at {
                follow_ups.push((first + i, lifecycle::follow_up(world, first + i, g, at)?));
            }
        }
        ids.extend(store(
            conn,
            world,
            plan.policies,
            plan.writer,
            generated,
            events,
        )?);
        plan.bar.inc(chunk.len() as u64);
    }
    Ok((ids, follow_ups))
}

/// The bulk path of the primary tickets: a producer thread generates and projects batch after
/// batch (ids reserved up front) while this connection copies the previous one. Returns the ids
/// in arrival order and the follow-ups to store after them.
pub(super) fn bulk_primaries(
    conn: &mut PgConnection,
    plan: &Plan<'_>,
    events: &mut usize,
    helper: Option<PgConnection>,
) -> Result<(Vec<i64>, FollowUps), SeedError> {
    let n = plan.arrivals.len();
    let first_id = reserve(conn, "pg_get_serial_sequence('tickets', 'id')", n)?;
    let first_number = reserve(conn, "'ticket_number_seq'", n)?;
    let first_work_order = next_work_order_id(conn)?;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Prepared>>(1);
    std::thread::scope(|s| -> Result<_, SeedError> {
        let producer = s.spawn(move || {
            produce(
                plan,
                (first_id, first_number, first_work_order),
                sender,
                helper,
            )
        });
        let mut copied: Result<(), SeedError> = Ok(());
        for prepared in receiver.iter() {
            if let Err(e) = copy_prepared(conn, &prepared, events) {
                copied = Err(e.into());
                break;
            }
            plan.bar.inc(prepared.len() as u64);
        }
        drop(receiver);
        let (follow_ups, next_work_order) = producer
            .join()
            .map_err(|_| anyhow::anyhow!("ticket generation thread panicked"))??;
        copied?;
        if next_work_order > first_work_order {
            // The work orders' ids were taken from the sequence's next value on: move it past them.
            diesel::sql_query("SELECT setval(pg_get_serial_sequence('work_orders', 'id'), $1)")
                .bind::<BigInt, _>(next_work_order - 1)
                .execute(conn)?;
        }
        Ok(((0..n).map(|i| first_id + i as i64).collect(), follow_ups))
    })
}

/// The producer of [`bulk_primaries`]: generates and prepares batch after batch (with `helper`,
/// their full-text vectors too) and sends each to the copying side, until done or the copying
/// side stops listening. Tickets, numbers and work orders are numbered from `first`. Returns the
/// follow-ups and the next free work-order id.
fn produce(
    plan: &Plan<'_>,
    (first_id, first_number, first_work_order): (i64, i64, i64),
    sender: std::sync::mpsc::SyncSender<Vec<Prepared>>,
    mut helper: Option<PgConnection>,
) -> anyhow::Result<(FollowUps, i64)> {
    let world = plan.world;
    let mut follow_ups = Vec::new();
    let mut next_work_order = first_work_order;
    for (k, chunk) in plan.arrivals.chunks(plan.batch_size).enumerate() {
        let first = k * plan.batch_size;
        let mut prepared = Vec::with_capacity(chunk.len());
        for (i, arrival) in chunk.iter().enumerate() {
            let index = first + i;
            let g = lifecycle::generate(world, plan.outages, index as u64, *arrival)?;
            if let Some(at) = g.follow_up_at {
                follow_ups.push((index, lifecycle::follow_up(world, index, &g, at)?));
            }
            let offset = index as i64;
            let p = prepare(
                world,
                plan.policies,
                g,
                (first_id + offset, first_number + offset),
                next_work_order,
            );
            next_work_order += p.work_orders.len() as i64;
            prepared.push(p);
        }
        if let Some(helper) = helper.as_mut() {
            add_search_vectors(helper, &mut prepared)?;
        }
        if sender.send(prepared).is_err() {
            // The copying side failed and stopped listening.
            break;
        }
    }
    Ok((follow_ups, next_work_order))
}

/// Computes the full-text vectors of `prepared` on the helper connection.
fn add_search_vectors(helper: &mut PgConnection, prepared: &mut [Prepared]) -> QueryResult<()> {
    let subjects: Vec<&str> = prepared.iter().map(|p| p.ticket.subject.as_str()).collect();
    let descriptions: Vec<&str> = prepared
        .iter()
        .map(|p| p.ticket.description.as_str())
        .collect();
    let comments: Vec<String> = prepared
        .iter()
        .map(|p| ticket_model::comment_text(&p.generated.bodies))
        .collect();
    let vectors = ticket_model::search_vectors(helper, &subjects, &descriptions, &comments)?;
    for (p, v) in prepared.iter_mut().zip(vectors) {
        p.search_vector = Some(v);
    }
    Ok(())
}

/// Stores the follow-ups after the primary tickets (`ids`, in arrival order): in order of
/// creation, each linked to its closed original. Returns their ids.
pub(super) fn store_follow_ups(
    conn: &mut PgConnection,
    plan: &Plan<'_>,
    mut follow_ups: FollowUps,
    ids: &[i64],
    events: &mut usize,
) -> Result<Vec<i64>, SeedError> {
    follow_ups.sort_by_key(|(i, g)| (g.state.created_at, *i));
    let mut batch: Vec<GeneratedTicket> = follow_ups.into_iter().map(|(_, g)| g).collect();
    for g in &mut batch {
        resolve_link(g, ids);
    }
    let links: Vec<i64> = batch
        .iter()
        .filter_map(|g| g.follow_up_of.and_then(|i| ids.get(i).copied()))
        .collect();
    let follow_ids = store(conn, plan.world, plan.policies, plan.writer, batch, events)?;
    let link_rows: Vec<_> = follow_ids
        .iter()
        .zip(&links)
        .map(|(id, original)| {
            (
                ticket_links::ticket_id.eq(*id),
                ticket_links::linked_ticket_id.eq(*original),
                ticket_links::kind.eq("follow_up"),
            )
        })
        .collect();
    for chunk in link_rows.chunks(5_000) {
        diesel::insert_into(ticket_links::table)
            .values(chunk)
            .execute(conn)?;
    }
    Ok(follow_ids)
}

fn copy_prepared(
    conn: &mut PgConnection,
    prepared: &[Prepared],
    events: &mut usize,
) -> QueryResult<()> {
    let bulk: Vec<ticket_model::BulkTicket> = prepared
        .iter()
        .map(|p| ticket_model::BulkTicket {
            ticket: &p.ticket,
            events: &p.generated.events,
            bodies: &p.generated.bodies,
            metrics: &p.metrics,
            clocks: &p.clocks,
            sla_events: &p.sla,
            search_vector: p.search_vector.as_deref(),
        })
        .collect();
    ticket_model::copy_tickets_tx(conn, &bulk)?;
    let work_orders: Vec<BulkWorkOrder> = prepared
        .iter()
        .flat_map(|p| p.work_orders.iter().cloned())
        .collect();
    crate::models::work_order_bulk::copy_work_orders_tx(conn, &work_orders)?;
    let field: Vec<crate::models::work_order_metrics::WorkOrderMetricsRow> = prepared
        .iter()
        .flat_map(|p| p.work_order_metrics.iter().cloned())
        .collect();
    crate::models::work_order_metrics::insert_tx(conn, &field)?;
    let surveys: Vec<SurveyRecord> = prepared
        .iter()
        .flat_map(|p| p.surveys.iter().cloned())
        .collect();
    copy_surveys_tx(conn, &surveys)?;
    *events += prepared
        .iter()
        .map(|p| p.generated.events.len() + p.sla.len())
        .sum::<usize>();
    Ok(())
}

/// The id the next work order will get from its sequence (without taking it).
fn next_work_order_id(conn: &mut PgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Next {
        #[diesel(sql_type = BigInt)]
        next: i64,
    }
    let row: Next = diesel::sql_query(
        "SELECT coalesce(pg_sequence_last_value(s) + 1,
                         (SELECT seqstart FROM pg_sequence WHERE seqrelid = s)) AS next
           FROM (SELECT pg_get_serial_sequence('work_orders', 'id')::regclass AS s) q",
    )
    .get_result(conn)?;
    Ok(row.next)
}

/// The domain path of a ticket with field work: the ticket as it was before its first work
/// order ([`crate::tickets::import::store_ticket_tx`]), each work-order call through the use
/// cases at its simulated instants, then what followed them
/// ([`crate::tickets::history::append_history_tx`]). Returns the ticket's id.
fn store_with_field_work(
    conn: &mut PgConnection,
    rules: &RulesCache,
    g: &GeneratedTicket,
    field: &FieldWork,
) -> anyhow::Result<i64> {
    use crate::models::ticket::Visibility;
    use crate::tickets::work_order::{create_tx, transition_tx};
    let ticket = crate::tickets::import::store_ticket_tx(
        conn,
        rules,
        &g.fields,
        &field.prefix_state,
        g.created_by,
        &g.events[..field.prefix_events],
        &g.bodies[..field.prefix_bodies],
    )?;
    let mut ids: Vec<i64> = Vec::with_capacity(field.orders.rows.len());
    for step in &field.steps {
        match &step.call {
            FieldCall::Create { draft, actor, now } => {
                let actor = Actor {
                    id: UserId::new(*actor),
                    visibility: Visibility::All,
                };
                let done = create_tx(conn, rules, TicketId::new(ticket.id), draft, actor, *now)?;
                ids.push(done.work_order.id);
            }
            FieldCall::Transition {
                work_order,
                transition,
                occurred_at,
                now,
                actor,
                technician,
            } => {
                let id = *ids
                    .get(*work_order)
                    .ok_or_else(|| anyhow::anyhow!("no work order {work_order}"))?;
                let actor = Actor {
                    id: UserId::new(*actor),
                    visibility: if *technician {
                        Visibility::Technician(*actor)
                    } else {
                        Visibility::All
                    },
                };
                let done = transition_tx(
                    conn,
                    rules,
                    WorkOrderId::new(id),
                    transition,
                    Some(*occurred_at),
                    actor,
                    *now,
                )?;
                ids.extend(done.follow_up.map(|f| f.id));
            }
        }
    }
    let (events_end, bodies_end) = field
        .steps
        .last()
        .map_or((field.prefix_events, field.prefix_bodies), |s| {
            (s.events_end, s.bodies_end)
        });
    if events_end < g.events.len() {
        crate::tickets::history::append_history_tx(
            conn,
            rules,
            ticket.id,
            &g.state,
            &g.events[events_end..],
            &g.bodies[bodies_end..],
        )?;
    }
    Ok(ticket.id)
}
