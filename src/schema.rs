// @generated automatically by Diesel CLI.
// (Written to match `diesel print-schema` output for migrations/; regenerate with
// `diesel print-schema > src/schema.rs` after a migration, never edit by hand otherwise.)

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "comment_author_kind"))]
    pub struct CommentAuthorKind;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "employment_type"))]
    pub struct EmploymentType;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "team_kind"))]
    pub struct TeamKind;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "team_sourcing"))]
    pub struct TeamSourcing;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "ticket_channel"))]
    pub struct TicketChannel;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "ticket_priority"))]
    pub struct TicketPriority;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "ticket_status"))]
    pub struct TicketStatus;

    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "user_role"))]
    pub struct UserRole;
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::CommentAuthorKind;

    comments (id) {
        id -> Int8,
        ticket_id -> Int8,
        author_kind -> CommentAuthorKind,
        author_user_id -> Nullable<Int8>,
        public -> Bool,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    customers (id) {
        id -> Int8,
        name -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        organization_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        email_opt_out -> Bool,
    }
}

diesel::table! {
    organizations (id) {
        id -> Int8,
        name -> Text,
        external_id -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::TeamKind;
    use super::sql_types::TeamSourcing;

    teams (id) {
        id -> Int8,
        name -> Text,
        kind -> TeamKind,
        sourcing -> TeamSourcing,
        vendor_name -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        calendar_id -> Nullable<Int8>,
    }
}

diesel::table! {
    business_calendars (id) {
        id -> Int8,
        name -> Text,
        time_zone -> Text,
        weekly_hours -> Jsonb,
        holidays -> Array<Date>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::TicketStatus;

    ticket_events (id) {
        id -> Int8,
        ticket_id -> Int8,
        seq -> Int4,
        kind -> Text,
        occurred_at -> Timestamptz,
        actor_user_id -> Nullable<Int8>,
        from_status -> Nullable<TicketStatus>,
        to_status -> Nullable<TicketStatus>,
        data -> Jsonb,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::TeamSourcing;
    use super::sql_types::EmploymentType;

    ticket_metrics (ticket_id) {
        ticket_id -> Int8,
        created_at -> Timestamptz,
        agent_created -> Bool,
        first_reply_at -> Nullable<Timestamptz>,
        first_reply_seconds -> Nullable<Int8>,
        first_resolved_at -> Nullable<Timestamptz>,
        first_resolution_seconds -> Nullable<Int8>,
        latest_solved_at -> Nullable<Timestamptz>,
        full_resolution_seconds -> Nullable<Int8>,
        requester_wait_seconds -> Nullable<Int8>,
        agent_wait_seconds -> Nullable<Int8>,
        on_hold_seconds -> Nullable<Int8>,
        solved_before_reopen_seconds -> Nullable<Int8>,
        replies -> Int4,
        reopens -> Int4,
        closed_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
        first_reply_business_seconds -> Nullable<Int8>,
        first_resolution_business_seconds -> Nullable<Int8>,
        full_resolution_business_seconds -> Nullable<Int8>,
        requester_wait_business_seconds -> Nullable<Int8>,
        agent_wait_business_seconds -> Nullable<Int8>,
        on_hold_business_seconds -> Nullable<Int8>,
        solved_before_reopen_business_seconds -> Nullable<Int8>,
        requester_comments -> Int4,
        one_touch -> Nullable<Bool>,
        one_touch_strict -> Nullable<Bool>,
        fcr_candidate -> Nullable<Bool>,
        on_hold_by_reason -> Jsonb,
        rules_version -> Int8,
        created_team_id -> Nullable<Int8>,
        created_sourcing -> Nullable<TeamSourcing>,
        first_reply_agent_id -> Nullable<Int8>,
        first_reply_team_id -> Nullable<Int8>,
        first_reply_sourcing -> Nullable<TeamSourcing>,
        first_reply_agent_employment -> Nullable<EmploymentType>,
        solved_assignee_id -> Nullable<Int8>,
        solved_team_id -> Nullable<Int8>,
        solved_sourcing -> Nullable<TeamSourcing>,
        solved_assignee_employment -> Nullable<EmploymentType>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::TicketStatus;
    use super::sql_types::TicketPriority;
    use super::sql_types::TicketChannel;

    tickets (id) {
        id -> Int8,
        number -> Int8,
        external_id -> Nullable<Text>,
        subject -> Text,
        description -> Text,
        status -> TicketStatus,
        priority -> TicketPriority,
        channel -> Nullable<TicketChannel>,
        category -> Nullable<Text>,
        tags -> Array<Text>,
        requester_id -> Nullable<Int8>,
        organization_id -> Nullable<Int8>,
        team_id -> Nullable<Int8>,
        assignee_id -> Nullable<Int8>,
        created_by_id -> Nullable<Int8>,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        solved_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        site_id -> Nullable<Int8>,
        asset_id -> Nullable<Int8>,
        hold_reason -> Nullable<Text>,
        sla_due_at -> Nullable<Timestamptz>,
        source -> Nullable<Text>,
        merged_into_id -> Nullable<Int8>,
        custom_fields -> Jsonb,
        // `search_vector -> Tsvector` is left out: diesel has no tsvector type; full-text queries
        // use SQL fragments (models::ticket) and triggers maintain the column.
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::UserRole;
    use super::sql_types::EmploymentType;

    users (id) {
        id -> Int8,
        name -> Text,
        email -> Nullable<Text>,
        role -> UserRole,
        employment_type -> EmploymentType,
        team_id -> Nullable<Int8>,
        active -> Bool,
        external_id -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        password_hash -> Nullable<Text>,
        skills -> Array<Text>,
        token_generation -> Int4,
        also_agent -> Bool,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        token_hash -> Bytea,
        family_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sla_policies (id) {
        id -> Int8,
        name -> Text,
        position -> Int4,
        active -> Bool,
        conditions -> Jsonb,
        targets -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        warning_seconds -> Nullable<Int8>,
    }
}

diesel::table! {
    ticket_sla_clocks (ticket_id, kind) {
        ticket_id -> Int8,
        kind -> Text,
        policy_id -> Int8,
        target_seconds -> Int8,
        business -> Bool,
        running -> Bool,
        due_at -> Nullable<Timestamptz>,
        warning_at -> Nullable<Timestamptz>,
        fulfilled_at -> Nullable<Timestamptz>,
        breached_at -> Nullable<Timestamptz>,
        breach_recorded -> Bool,
        warning_recorded -> Bool,
        outcome_team_id -> Nullable<Int8>,
        outcome_assignee_id -> Nullable<Int8>,
    }
}

diesel::table! {
    sites (id) {
        id -> Int8,
        organization_id -> Int8,
        name -> Text,
        time_zone -> Text,
        address -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    ticket_links (id) {
        id -> Int8,
        ticket_id -> Int8,
        linked_ticket_id -> Int8,
        kind -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Int8,
        key -> Text,
        request_hash -> Bytea,
        response_status -> Int2,
        response_body -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(comments -> tickets (ticket_id));
diesel::joinable!(teams -> business_calendars (calendar_id));
diesel::joinable!(idempotency_keys -> users (user_id));
diesel::joinable!(sites -> organizations (organization_id));
diesel::joinable!(tickets -> sites (site_id));
diesel::joinable!(comments -> users (author_user_id));
diesel::joinable!(customers -> organizations (organization_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(ticket_sla_clocks -> tickets (ticket_id));
diesel::joinable!(ticket_sla_clocks -> sla_policies (policy_id));
diesel::joinable!(ticket_events -> users (actor_user_id));
diesel::joinable!(ticket_metrics -> tickets (ticket_id));
diesel::joinable!(tickets -> customers (requester_id));
diesel::joinable!(tickets -> organizations (organization_id));
diesel::joinable!(tickets -> teams (team_id));
diesel::joinable!(users -> teams (team_id));

diesel::table! {
    rules_version (singleton) {
        singleton -> Bool,
        version -> Int8,
        reproject_version -> Int8,
        webhooks_version -> Int8,
    }
}

diesel::table! {
    assets (id) {
        id -> Int8,
        organization_id -> Int8,
        site_id -> Int8,
        kind -> Text,
        asset_tag -> Text,
        serial_number -> Nullable<Text>,
        model -> Nullable<Text>,
        installed_on -> Nullable<Date>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::TicketPriority;

    work_orders (id) {
        id -> Int8,
        ticket_id -> Int8,
        organization_id -> Int8,
        site_id -> Int8,
        asset_id -> Nullable<Int8>,
        status -> Text,
        priority -> TicketPriority,
        summary -> Text,
        required_skill -> Nullable<Text>,
        escort_required -> Bool,
        security_clearance -> Nullable<Text>,
        access_notes -> Nullable<Text>,
        technician_id -> Nullable<Int8>,
        window_start -> Nullable<Timestamptz>,
        window_end -> Nullable<Timestamptz>,
        follow_up_of -> Nullable<Int8>,
        created_by_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        dispatched_at -> Nullable<Timestamptz>,
        en_route_at -> Nullable<Timestamptz>,
        on_site_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        last_transition_at -> Timestamptz,
        resolution_code -> Nullable<Text>,
        completion_notes -> Nullable<Text>,
        parts -> Jsonb,
        problem_fixed -> Nullable<Bool>,
        cannot_complete_reason -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        version -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    time_off (id) {
        id -> Int8,
        user_id -> Int8,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        reason -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::EmploymentType;

    work_order_metrics (work_order_id) {
        work_order_id -> Int8,
        ticket_id -> Int8,
        organization_id -> Int8,
        site_id -> Int8,
        asset_id -> Nullable<Int8>,
        asset_kind -> Nullable<Text>,
        technician_id -> Nullable<Int8>,
        technician_employment_type -> Nullable<EmploymentType>,
        technician_team_id -> Nullable<Int8>,
        status -> Text,
        first_visit -> Bool,
        created_at -> Timestamptz,
        on_site_at -> Nullable<Timestamptz>,
        finished_at -> Nullable<Timestamptz>,
        problem_fixed -> Nullable<Bool>,
        travel_seconds -> Nullable<Int8>,
        travel_business_seconds -> Nullable<Int8>,
        wrench_seconds -> Nullable<Int8>,
        wrench_business_seconds -> Nullable<Int8>,
        time_to_arrival_seconds -> Nullable<Int8>,
        time_to_arrival_business_seconds -> Nullable<Int8>,
        arrival_window_met -> Nullable<Bool>,
        reopened_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(assets -> sites (site_id));
diesel::joinable!(assets -> organizations (organization_id));
diesel::joinable!(work_orders -> tickets (ticket_id));
diesel::joinable!(work_orders -> sites (site_id));
diesel::joinable!(work_orders -> assets (asset_id));
diesel::joinable!(tickets -> assets (asset_id));
diesel::joinable!(time_off -> users (user_id));
diesel::joinable!(work_order_metrics -> work_orders (work_order_id));

diesel::table! {
    outbox (id) {
        id -> Int8,
        kind -> Text,
        dedupe_key -> Text,
        ticket_id -> Nullable<Int8>,
        customer_id -> Nullable<Int8>,
        recipient -> Text,
        data -> Jsonb,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        dead_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    surveys (id) {
        id -> Int8,
        ticket_id -> Int8,
        customer_id -> Int8,
        solved_at -> Timestamptz,
        assignee_id -> Nullable<Int8>,
        team_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        invite_at -> Timestamptz,
        expires_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        cancelled_at -> Nullable<Timestamptz>,
        answered_at -> Nullable<Timestamptz>,
        score -> Nullable<Int2>,
        nps -> Nullable<Int2>,
        comment -> Nullable<Text>,
        consent_to_quote -> Bool,
        pre_reopen -> Bool,
    }
}

diesel::table! {
    inbound_messages (id) {
        id -> Int8,
        message_id -> Text,
        ticket_id -> Int8,
        comment_id -> Nullable<Int8>,
        created_ticket -> Bool,
        sender -> Text,
        received_at -> Timestamptz,
        follow_up_of -> Nullable<Int8>,
        raw_sha256 -> Nullable<Text>,
    }
}

diesel::joinable!(outbox -> tickets (ticket_id));
diesel::joinable!(surveys -> tickets (ticket_id));

diesel::table! {
    training_courses (id) {
        id -> Int8,
        name -> Text,
        description -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    training_completions (id) {
        id -> Int8,
        course_id -> Int8,
        user_id -> Int8,
        completed_on -> Date,
        score -> Nullable<Int2>,
        recorded_by -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(training_completions -> training_courses (course_id));

diesel::allow_tables_to_appear_in_same_query!(
    attachments,
    dashboard_sessions,
    reports,
    team_sourcing_periods,
    user_periods,
    assets,
    business_calendars,
    comments,
    customers,
    idempotency_keys,
    inbound_messages,
    organizations,
    outbox,
    refresh_tokens,
    rules_version,
    sites,
    sla_policies,
    surveys,
    teams,
    ticket_events,
    ticket_links,
    ticket_sla_clocks,
    ticket_metrics,
    ticket_views,
    tickets,
    macros,
    time_off,
    training_completions,
    training_courses,
    users,
    work_order_metrics,
    work_orders,
);

diesel::table! {
    reports (id) {
        id -> Int8,
        kind -> Text,
        parameters -> Jsonb,
        document -> Text,
        manifest_sha256 -> Text,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(reports -> users (created_by));

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::EmploymentType;

    user_periods (user_id, valid_from) {
        user_id -> Int8,
        valid_from -> Timestamptz,
        team_id -> Nullable<Int8>,
        employment_type -> EmploymentType,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::TeamSourcing;

    team_sourcing_periods (team_id, valid_from) {
        team_id -> Int8,
        valid_from -> Timestamptz,
        sourcing -> TeamSourcing,
        vendor_name -> Nullable<Text>,
    }
}

diesel::table! {
    ticket_views (id) {
        id -> Int8,
        name -> Text,
        owner_id -> Int8,
        team_id -> Nullable<Int8>,
        query -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(ticket_views -> teams (team_id));

diesel::table! {
    dashboard_sessions (id) {
        id -> Int8,
        token_hash -> Bytea,
        user_id -> Int8,
        csrf_secret -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(dashboard_sessions -> users (user_id));

diesel::table! {
    macros (id) {
        id -> Int8,
        name -> Text,
        owner_id -> Int8,
        team_id -> Nullable<Int8>,
        shared -> Bool,
        reply -> Nullable<Text>,
        reply_public -> Bool,
        actions -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(macros -> teams (team_id));

diesel::table! {
    bake_off_protocols (id) {
        id -> Int8,
        name -> Text,
        sha256 -> Text,
        canonical -> Text,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(bake_off_protocols -> users (created_by));

diesel::table! {
    webhook_endpoints (id) {
        id -> Int8,
        url -> Text,
        description -> Text,
        events -> Array<Text>,
        secret -> Text,
        active -> Bool,
        consecutive_failures -> Int4,
        disabled_at -> Nullable<Timestamptz>,
        disabled_reason -> Nullable<Text>,
        last_success_at -> Nullable<Timestamptz>,
        last_failure_at -> Nullable<Timestamptz>,
        created_by_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Int8,
        endpoint_id -> Int8,
        event_id -> Uuid,
        event_type -> Text,
        ticket_id -> Nullable<Int8>,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
        failed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Int8,
        delivery_id -> Int8,
        endpoint_id -> Int8,
        attempt -> Int4,
        attempted_at -> Timestamptz,
        status_code -> Nullable<Int4>,
        succeeded -> Bool,
        error -> Nullable<Text>,
        duration_ms -> Int4,
        next_retry_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::allow_tables_to_appear_in_same_query!(
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts
);

diesel::table! {
    ticket_categories (id) {
        id -> Int8,
        key -> Text,
        name -> Text,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    ticket_category_events (id) {
        id -> Int8,
        category_id -> Int8,
        kind -> Text,
        from_name -> Nullable<Text>,
        to_name -> Nullable<Text>,
        actor_user_id -> Nullable<Int8>,
        occurred_at -> Timestamptz,
    }
}

diesel::table! {
    ticket_fields (id) {
        id -> Int8,
        key -> Text,
        label -> Text,
        field_type -> Text,
        options -> Array<Text>,
        required_on_solve -> Bool,
        active -> Bool,
        position -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(ticket_category_events -> ticket_categories (category_id));
diesel::allow_tables_to_appear_in_same_query!(ticket_categories, ticket_category_events);

diesel::table! {
    attachments (id) {
        id -> Int8,
        ticket_id -> Int8,
        comment_id -> Int8,
        filename -> Text,
        content_type -> Text,
        size_bytes -> Int8,
        sha256 -> Text,
        storage_key -> Text,
        uploaded_by_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        redacted_at -> Nullable<Timestamptz>,
        redacted_by_id -> Nullable<Int8>,
    }
}

diesel::joinable!(attachments -> comments (comment_id));
