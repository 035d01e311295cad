//! Aggregation over the store at a request's snapshot: summary, timeseries and breakdown figures,
//! exactly as the SQL reference computes them.

use super::*;

impl Resolved {
    /// Whether a ticket passes the filters on what it has itself (organization, site, channel,
    /// priority, category, data set, current team and assignee).
    pub(super) fn matches_ticket(&self, r: &Row, a: &Attribution) -> bool {
        fn is<T: PartialEq>(want: Option<T>, have: T) -> bool {
            want.is_none_or(|w| w == have)
        }
        !self.impossible
            && is(self.organization, r.organization)
            && is(self.site, r.site)
            && is(self.channel, r.channel)
            && is(self.priority, r.priority)
            && is(self.category, r.category)
            && self.source == r.source
            && is(self.current_team, a.team)
            && is(self.current_agent, a.assignee)
    }

    /// Whether a figure credited to `credit` passes the attributed filters (team, agent,
    /// sourcing, employment type).
    pub(super) fn matches_credit(&self, credit: Credit) -> bool {
        fn is<T: PartialEq>(want: Option<T>, have: T) -> bool {
            want.is_none_or(|w| w == have)
        }
        is(self.team, credit.team)
            && is(self.assignee, credit.agent)
            && is(self.sourcing, credit.sourcing)
            && is(self.employment, credit.employment)
    }

    /// Whether only ticket filters are set: the credit never matters.
    pub(super) fn credits_any(&self) -> bool {
        self.team.is_none()
            && self.assignee.is_none()
            && self.sourcing.is_none()
            && self.employment.is_none()
    }
}

impl Resolved {
    /// Whether a work order passes the filters that apply to field figures (organization, site,
    /// the ticket's priority and data set; the others make field figures not applicable).
    pub(super) fn matches_field(&self, f: &FieldRow, priority: u8, source: u32) -> bool {
        !self.impossible
            && self.source == source
            && self.organization.is_none_or(|o| o == f.organization)
            && self.site.is_none_or(|s| s == f.site)
            && self.priority.is_none_or(|p| p == priority)
    }
}

impl Acc {
    /// A group is reported when anything fell in it (empty buckets are added by the caller).
    pub(super) fn has_figures(&self) -> bool {
        self.created
            + self.first_replies
            + self.solved
            + self.contacts
            + self.achieved
            + self.breached
            > 0
            || self.field.has_figures()
            || self.satisfaction.has_figures()
    }
}

impl<'a> Reader<'a> {
    /// Tickets held.
    pub fn tickets(&self) -> usize {
        self.content.rows.len()
    }

    /// Whether some ticket held belongs (or belonged) to an imported data set
    /// (`tickets.source`): then every aggregate filters by data set.
    pub(super) fn labelled(&self) -> bool {
        self.content.sources.values.len() > 1
    }

    /// A reader of `content` with the dimension tables of its snapshot.
    pub(super) fn new(content: &'a Content, dimensions: Dimensions) -> Reader<'a> {
        let c = content;
        // The periods of the teams and staff the store knows, with interned labels (a label no
        // row has is 0, as NULL: no filter can name it then).
        let interned =
            |periods: &HashMap<i64, Vec<(i64, String)>>| -> HashMap<u32, Vec<(i64, u8)>> {
                periods
                    .iter()
                    .filter_map(|(id, list)| {
                        let mut list: Vec<(i64, u8)> = list
                            .iter()
                            .map(|(from, v)| (*from, c.labels.get(v).unwrap_or(0)))
                            .collect();
                        list.sort_unstable_by_key(|(from, _)| *from);
                        Some((c.ids.get(id)?, list))
                    })
                    .collect()
            };
        let sourcing_periods = interned(&dimensions.sourcing_periods);
        let employment_periods = interned(&dimensions.employment_periods);
        Reader {
            content,
            dimensions,
            sourcing_periods,
            employment_periods,
        }
    }

    /// Whom SLA outcome `o` is credited to (docs/METRICS.md §7): the ticket's team and
    /// assignee at its instant, with that team's sourcing (when `sourcing`) and that assignee's
    /// employment type (when `employment`) at the same instant — as
    /// `metrics::reference::sla_attainment_by` reads `team_sourcing_periods` and `user_periods`
    /// (the period starting last at or before the instant). What is not asked for is 0.
    pub(super) fn outcome_credit(&self, o: &Outcome, sourcing: bool, employment: bool) -> Credit {
        let (team, agent) = self
            .content
            .credits
            .value(o.credit)
            .copied()
            .unwrap_or((0, 0));
        let at = |periods: &HashMap<u32, Vec<(i64, u8)>>, id: u32| -> u8 {
            let Some(list) = periods.get(&id).filter(|_| id != 0) else {
                return 0;
            };
            let k = list.partition_point(|(from, _)| *from <= o.at);
            k.checked_sub(1).map_or(0, |k| list[k].1)
        };
        Credit {
            team,
            agent,
            sourcing: if sourcing {
                at(&self.sourcing_periods, team)
            } else {
                0
            },
            employment: if employment {
                at(&self.employment_periods, agent)
            } else {
                0
            },
        }
    }

    /// Whom `r`'s figures of `role` are credited to (docs/METRICS.md §7, "Attribution").
    pub(super) fn credit(&self, a: &Attribution, role: Role) -> Credit {
        match role {
            Role::Created => Credit {
                team: a.created_team,
                agent: 0,
                sourcing: a.created_sourcing,
                employment: 0,
            },
            Role::FirstReply => Credit {
                team: a.first_reply_team,
                agent: a.first_reply_agent,
                sourcing: a.first_reply_sourcing,
                employment: a.first_reply_employment,
            },
            Role::Solved => Credit {
                team: a.solved_team,
                agent: a.solved_assignee,
                sourcing: a.solved_sourcing,
                employment: a.solved_employment,
            },
        }
    }

    pub(super) fn resolve(&self, f: &MetricFilters) -> Resolved {
        let c = self.content;
        let mut impossible = false;
        let mut known = |found: Option<Option<u32>>| {
            found.map(|v| {
                impossible |= v.is_none();
                v.unwrap_or(0)
            })
        };
        let team = known(f.team_id.map(|v| c.ids.get(&v)));
        let assignee = known(f.agent_id.map(|v| c.ids.get(&v)));
        let current_team = known(f.current_team_id.map(|v| c.ids.get(&v)));
        let current_agent = known(f.current_agent_id.map(|v| c.ids.get(&v)));
        let organization = known(f.organization_id.map(|v| c.ids.get(&v)));
        let site = known(f.site_id.map(|v| c.ids.get(&v)));
        let category = known(f.category.as_ref().map(|v| c.strings.get(v)));
        let source = known(f.source.as_ref().map(|v| c.sources.get(v))).unwrap_or(0);
        let mut label = |v: &Option<String>| {
            v.as_ref().map(|v| {
                let found = c.labels.get(v);
                impossible |= found.is_none();
                found.unwrap_or(0)
            })
        };
        let (channel, priority) = (label(&f.channel), label(&f.priority));
        let (sourcing, employment) = (label(&f.sourcing), label(&f.employment_type));
        Resolved {
            team,
            assignee,
            current_team,
            current_agent,
            sourcing,
            employment,
            organization,
            site,
            channel,
            priority,
            category,
            source,
            impossible,
        }
    }

    /// The group key and label of a dimension value of `row` (current team and assignee in
    /// `a`, the figure credited to `credit`), as the SQL read side writes them.
    pub(super) fn dimension_key(
        &self,
        d: Dimension,
        r: &Row,
        a: &Attribution,
        credit: Credit,
    ) -> (Option<String>, Option<String>) {
        let (c, dims) = (self.content, &self.dimensions);
        let id = |v: u32| c.ids.value(v).copied();
        let named = |v: Option<i64>, name: Option<&String>| {
            v.map_or((None, None), |v| (Some(v.to_string()), name.cloned()))
        };
        let same = |s: Option<String>| (s.clone(), s);
        let team = |t: u32| {
            let t = id(t);
            named(t, t.and_then(|t| dims.teams.get(&t)).map(|t| &t.0))
        };
        let staff = |u: u32| {
            let u = id(u);
            named(u, u.and_then(|u| dims.users.get(&u)).map(|u| &u.0))
        };
        match d {
            Dimension::Team => team(credit.team),
            Dimension::Agent => staff(credit.agent),
            Dimension::CurrentTeam => team(a.team),
            Dimension::CurrentAgent => staff(a.assignee),
            Dimension::Organization => {
                let o = id(r.organization);
                named(o, o.and_then(|o| dims.organizations.get(&o)))
            }
            Dimension::Site => {
                let s = id(r.site);
                named(s, s.and_then(|s| dims.sites.get(&s)))
            }
            Dimension::Channel => same(c.labels.value(r.channel).cloned()),
            Dimension::Priority => same(c.labels.value(r.priority).cloned()),
            Dimension::Category => same(c.strings.value(r.category).cloned()),
            Dimension::Field(key) => same(
                c.customs
                    .value(r.custom)
                    .and_then(|text| custom_value(text, key.as_str())),
            ),
            Dimension::Sourcing => same(c.labels.value(credit.sourcing).cloned()),
            Dimension::EmploymentType => same(c.labels.value(credit.employment).cloned()),
            // Field-only: tickets are not grouped by them.
            Dimension::Technician | Dimension::AssetKind | Dimension::TechnicianEmploymentType => {
                (None, None)
            }
        }
    }

    /// The priority (interned label) of a work order's ticket.
    pub(super) fn ticket_priority(&self, f: &FieldRow) -> u8 {
        let c = self.content;
        c.position(f.ticket_id).map_or(0, |p| c.rows[p].priority)
    }

    /// The raw value and the group key and label of a field dimension of work order `f` whose
    /// ticket has priority `priority` (interned).
    pub(super) fn field_dimension(
        &self,
        d: Dimension,
        f: &FieldRow,
        priority: u8,
    ) -> (u32, (Option<String>, Option<String>)) {
        let (c, dims) = (self.content, &self.dimensions);
        let id = |v: u32| c.ids.value(v).copied();
        let named = |v: Option<i64>, name: Option<&String>| {
            v.map_or((None, None), |v| (Some(v.to_string()), name.cloned()))
        };
        let label = |v: u8| {
            let s = c.labels.value(v).cloned();
            (u32::from(v), (s.clone(), s))
        };
        match d {
            Dimension::Organization => {
                let o = id(f.organization);
                (
                    f.organization,
                    named(o, o.and_then(|o| dims.organizations.get(&o))),
                )
            }
            Dimension::Site => {
                let s = id(f.site);
                (f.site, named(s, s.and_then(|s| dims.sites.get(&s))))
            }
            Dimension::Technician => {
                let t = id(f.technician);
                (
                    f.technician,
                    named(t, t.and_then(|t| dims.users.get(&t)).map(|u| &u.0)),
                )
            }
            Dimension::Priority => label(priority),
            Dimension::AssetKind => label(f.asset_kind),
            Dimension::TechnicianEmploymentType => label(f.employment),
            // Not applicable to field figures (never asked: `field_applies`).
            _ => (0, (None, None)),
        }
    }

    /// The raw value a dimension groups `row` by (an interned id or string).
    pub(super) fn dimension_raw(d: Dimension, r: &Row, a: &Attribution, credit: Credit) -> u32 {
        match d {
            Dimension::Team => credit.team,
            Dimension::Agent => credit.agent,
            Dimension::CurrentTeam => a.team,
            Dimension::CurrentAgent => a.assignee,
            Dimension::Sourcing => u32::from(credit.sourcing),
            Dimension::EmploymentType => u32::from(credit.employment),
            Dimension::Organization => r.organization,
            Dimension::Site => r.site,
            Dimension::Channel => u32::from(r.channel),
            Dimension::Priority => u32::from(r.priority),
            Dimension::Category => r.category,
            // The combination of values: several map to one group (by key).
            Dimension::Field(_) => r.custom,
            Dimension::Technician | Dimension::AssetKind | Dimension::TechnicianEmploymentType => 0,
        }
    }

    /// Figures, SLA attainment and (when `options.contact_rates`) contact rates of `[from, to)`
    /// per group, as `metrics::reference::report_by` computes them: each metric by its own
    /// period-membership instant (created: `created_at`; first reply: `first_reply_at`; solved,
    /// reopen rate, full resolution, one-touch and FCR: `latest_solved_at`; repeat contact:
    /// `tickets.created_at`; an SLA target: the instant it was achieved or breached, a running
    /// clock past its due instant at `options.now` breached then; a ticket's rating: its
    /// `answered_at`; a survey of the response rate: its `sent_at`, satisfaction attributed to the
    /// survey's team and assignee). Groups without any figure are
    /// absent; ordered as the SQL read side orders them.
    pub fn report(
        &self,
        grouping: StoreGrouping<'_>,
        filters: &MetricFilters,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        options: ReportOptions,
    ) -> Vec<GroupReport> {
        self.report_on(grouping, filters, from, to, options, None)
    }

    /// [`Reader::report`] with every business duration measured on one calendar
    /// (docs/METRICS.md §7, "Comparisons on one calendar") instead of each ticket's own
    /// calendars: `frt.v1` (ticket creation → first reply) and `full_resolution.v1` (creation →
    /// latest solve) from the instants held here, the work orders' travel, wrench and arrival
    /// times as `calendar` measured them for the period (load it for `[from, to)`). Only with
    /// `options.basis` business; `None`: as [`Reader::report`].
    pub fn report_on(
        &self,
        grouping: StoreGrouping<'_>,
        filters: &MetricFilters,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        options: ReportOptions,
        one: Option<&OneCalendar>,
    ) -> Vec<GroupReport> {
        let one = one.filter(|_| options.basis == TimeBasis::Business);
        let calendar = one.map(OneCalendar::calendar);
        let (lo, hi, now) = (
            from.timestamp_micros(),
            to.timestamp_micros(),
            options.now.timestamp_micros(),
        );
        let inside = |t: i64| t != NONE && t >= lo && t < hi;
        let b = usize::from(options.basis == TimeBasis::Business);
        let contact = options.contact_rates;
        // Imported data sets stay out unless asked for: the filter applies whenever some
        // ticket has a source, even without any filter in the request.
        let labelled = self.labelled();
        let filter = (!filters.is_empty() || labelled).then(|| self.resolve(filters));
        let dimension = match grouping {
            StoreGrouping::Dimension(d) => Some(d),
            _ => None,
        };
        let with_field = field_applies(dimension, filters);
        let field_only = dimension.is_some_and(Dimension::field_only);
        let starts: Vec<i64> = match grouping {
            StoreGrouping::Buckets(buckets) => {
                buckets.iter().map(|(_, s)| s.timestamp_micros()).collect()
            }
            _ => Vec::new(),
        };
        // Group slots: for buckets the bucket index; otherwise one slot per raw dimension value.
        let mut accs: Vec<Acc> = Vec::new();
        let mut keys: Vec<(Option<String>, Option<String>)> = Vec::new();
        let mut by_raw: HashMap<u32, usize> = HashMap::default();
        let mut by_key: HashMap<Option<String>, usize> = HashMap::default();
        if let StoreGrouping::Buckets(buckets) = grouping {
            for (key, _) in buckets {
                accs.push(Acc::default());
                keys.push((Some(key.clone()), None));
            }
        }
        // A figure's slot: for buckets by its instant; by a dimension by the value of the row
        // or of whom the figure is credited to.
        let mut slot =
            |r: &Row, a: &Attribution, credit: Credit, at: i64, accs: &mut Vec<Acc>| match grouping
            {
                StoreGrouping::Buckets(_) => starts.partition_point(|&s| s <= at).max(1) - 1,
                StoreGrouping::All => {
                    if accs.is_empty() {
                        accs.push(Acc::default());
                        keys.push((Some("all".to_string()), None));
                    }
                    0
                }
                StoreGrouping::Dimension(d) => {
                    let raw = Self::dimension_raw(d, r, a, credit);
                    if let Some(&s) = by_raw.get(&raw) {
                        return s;
                    }
                    let key = self.dimension_key(d, r, a, credit);
                    let s = *by_key.entry(key.0.clone()).or_insert_with(|| {
                        accs.push(Acc::default());
                        keys.push(key);
                        accs.len() - 1
                    });
                    by_raw.insert(raw, s);
                    s
                }
            };
        let c = self.content;
        // Whether the credit of a figure matters: to group by an attributed dimension, or to
        // filter by one.
        let credited = dimension.is_some_and(Dimension::attributed)
            || filter.as_ref().is_some_and(|f| !f.credits_any());
        let nobody = Credit {
            team: 0,
            agent: 0,
            sourcing: 0,
            employment: 0,
        };
        let credit = |a: &Attribution, role: Role| {
            if credited {
                self.credit(a, role)
            } else {
                nobody
            }
        };
        let passes = |credit: Credit| filter.as_ref().is_none_or(|f| f.matches_credit(credit));
        // An SLA outcome's sourcing and employment type are looked up at its instant: only when
        // grouped or filtered by them.
        let outcome_sourcing = credited
            && (dimension == Some(Dimension::Sourcing)
                || filter.as_ref().is_some_and(|f| f.sourcing.is_some()));
        let outcome_employment = credited
            && (dimension == Some(Dimension::EmploymentType)
                || filter.as_ref().is_some_and(|f| f.employment.is_some()));
        let on_calendar = |start: i64, stop: i64, stored: i64| match calendar {
            Some(cal) if stored != NONE => {
                match (
                    DateTime::from_timestamp_micros(start),
                    DateTime::from_timestamp_micros(stop),
                ) {
                    (Some(a), Some(b)) => cal.business_seconds(a, b),
                    _ => stored,
                }
            }
            _ => stored,
        };
        for r in &c.rows {
            if field_only {
                break;
            }
            let a = c.attribution(r);
            if filter.as_ref().is_some_and(|f| !f.matches_ticket(r, a)) {
                continue;
            }
            if r.flags & flag::HAS_METRICS != 0 {
                let created = c.metrics_created(r);
                let at_creation = credit(a, Role::Created);
                if inside(created) && passes(at_creation) {
                    let s = slot(r, a, at_creation, created, &mut accs);
                    accs[s].created += 1;
                }
                let (frt, resolution) = c.durations(r, b);
                let first_reply = credit(a, Role::FirstReply);
                if inside(r.first_reply_at) && passes(first_reply) {
                    let s = slot(r, a, first_reply, r.first_reply_at, &mut accs);
                    accs[s].first_replies += 1;
                    let frt = on_calendar(created, r.first_reply_at, frt);
                    if frt != NONE {
                        accs[s].frt.push(frt);
                    }
                }
                let latest = c.latest(r);
                let solve = credit(a, Role::Solved);
                if inside(latest) && passes(solve) {
                    let s = slot(r, a, solve, latest, &mut accs);
                    let acc = &mut accs[s];
                    acc.solved += 1;
                    let has = |bit: u32| i64::from(r.flags & bit != 0);
                    acc.reopened += has(flag::REOPENED);
                    let resolution = on_calendar(created, latest, resolution);
                    if resolution != NONE {
                        acc.resolution.push(resolution);
                    }
                    if contact {
                        acc.resolved += has(flag::ONE_TOUCH_SET);
                        acc.one_touch += has(flag::ONE_TOUCH);
                        acc.one_touch_strict += has(flag::STRICT);
                        let fcr = flag::FCR_CANDIDATE | flag::FIRST_CONTACT;
                        acc.fcr += i64::from(r.flags & fcr == fcr);
                    }
                }
            }
            let at_creation = credit(a, Role::Created);
            if contact && inside(r.created) && passes(at_creation) {
                let s = slot(r, a, at_creation, r.created, &mut accs);
                accs[s].contacts += 1;
                accs[s].repeats += i64::from(r.flags & flag::REPEAT_CONTACT != 0);
            }
            // SLA outcomes: each credited to the team and assignee at its instant.
            c.outcomes(r, |o| {
                if !inside(o.at) || (o.kind == OutcomeKind::BreachedIfDue && o.at > now) {
                    return;
                }
                let at_outcome = if credited {
                    self.outcome_credit(&o, outcome_sourcing, outcome_employment)
                } else {
                    nobody
                };
                if !passes(at_outcome) {
                    return;
                }
                let s = slot(r, a, at_outcome, o.at, &mut accs);
                if o.kind == OutcomeKind::Achieved {
                    accs[s].achieved += 1;
                } else {
                    accs[s].breached += 1;
                }
            });
        }
        // Surveys: each ticket's rating by its `answered_at`, each survey sent by its
        // `sent_at`; in the group of the ticket's row with the survey's team and assignee (at
        // the solve it asked about, with their sourcing and employment type then) in place of
        // the ticket's current ones. Summaries and buckets
        // read no dimension of the row: any row serves them.
        let ticket_row = filter.is_some() || dimension.is_some();
        let surveyed = |ticket_id: i64, credit: Credit| {
            let base = if ticket_row {
                c.position(ticket_id).ok().map(|p| &c.rows[p])
            } else {
                c.rows.first()
            };
            let r = base?;
            let a = c.attribution(r);
            filter
                .as_ref()
                .is_none_or(|f| f.matches_ticket(r, a) && f.matches_credit(credit))
                .then_some((r, a, credit))
        };
        let surveys = if field_only {
            &Surveys::default()
        } else {
            &c.surveys
        };
        for rating in surveys.ratings.iter().filter(|r| inside(r.answered)) {
            let credit = Credit {
                team: rating.team,
                agent: rating.assignee,
                sourcing: rating.sourcing,
                employment: rating.employment,
            };
            if let Some((r, a, credit)) = surveyed(rating.ticket_id, credit) {
                let g = slot(r, a, credit, rating.answered, &mut accs);
                accs[g].satisfaction.add_rating(rating);
            }
        }
        for sent in &surveys.held {
            if sent.sent == NONE || !inside(sent.sent) {
                continue;
            }
            let credit = Credit {
                team: sent.team,
                agent: sent.assignee,
                sourcing: sent.sourcing,
                employment: sent.employment,
            };
            if let Some((r, a, credit)) = surveyed(sent.ticket_id, credit) {
                let g = slot(r, a, credit, sent.sent, &mut accs);
                accs[g].satisfaction.add_sent(sent.answered != NONE);
            }
        }
        if with_field {
            // Work orders by `finished_at`; N days in microseconds.
            let n = options.ftf_days.saturating_mul(86_400_000_000);
            let mut by_field_raw: HashMap<u32, usize> = HashMap::default();
            // The ticket's priority is a look-up in the ticket rows: only when asked for.
            let needs_priority =
                filters.priority.is_some() || dimension == Some(Dimension::Priority);
            for (i, f) in c.fields.iter().enumerate() {
                if !inside(f.finished) {
                    continue;
                }
                let priority = if needs_priority {
                    self.ticket_priority(f)
                } else {
                    0
                };
                // The data set is the ticket's (a look-up only where some ticket has one).
                let source = if labelled {
                    c.position(f.ticket_id).map_or(0, |p| c.rows[p].source)
                } else {
                    0
                };
                if filter
                    .as_ref()
                    .is_some_and(|r| !r.matches_field(f, priority, source))
                {
                    continue;
                }
                let s = match grouping {
                    StoreGrouping::Buckets(_) => {
                        starts.partition_point(|&s| s <= f.finished).max(1) - 1
                    }
                    StoreGrouping::All => {
                        if accs.is_empty() {
                            accs.push(Acc::default());
                            keys.push((Some("all".to_string()), None));
                        }
                        0
                    }
                    StoreGrouping::Dimension(d) => {
                        let (raw, key) = self.field_dimension(d, f, priority);
                        match by_field_raw.get(&raw) {
                            Some(&s) => s,
                            None => {
                                let s = match by_key.get(&key.0) {
                                    Some(&s) => {
                                        if keys[s].1.is_none() {
                                            keys[s].1 = key.1;
                                        }
                                        s
                                    }
                                    None => {
                                        accs.push(Acc::default());
                                        by_key.insert(key.0.clone(), accs.len() - 1);
                                        keys.push(key);
                                        accs.len() - 1
                                    }
                                };
                                by_field_raw.insert(raw, s);
                                s
                            }
                        }
                    }
                };
                accs[s]
                    .field
                    .add(c, i, b, n, one.map(|k| k.field(f.work_order_id)));
            }
        }
        let mut out: Vec<GroupReport> = accs
            .into_iter()
            .zip(keys)
            .filter(|(a, _)| a.has_figures())
            .map(|(mut a, (key, label))| {
                let mut figures = empty_summary();
                figures.tickets_created = a.created;
                figures.first_reply_time = DurationStats::of_unordered(&mut a.frt);
                figures.tickets_solved = a.solved;
                figures.reopen_rate = Rate::new(a.reopened, a.solved);
                figures.full_resolution_time = DurationStats::of_unordered(&mut a.resolution);
                GroupReport {
                    key,
                    label,
                    figures,
                    sla_attainment: Rate::new(a.achieved, a.achieved + a.breached),
                    contact_rates: contact.then(|| ContactRates {
                        one_touch: Rate::new(a.one_touch, a.resolved),
                        one_touch_strict: Rate::new(a.one_touch_strict, a.resolved),
                        fcr: Rate::new(a.fcr, a.resolved),
                        repeat_contact: Rate::new(a.repeats, a.contacts),
                    }),
                    field: with_field
                        .then(|| std::mem::take(&mut a.field).figures(options.ftf_days)),
                    satisfaction: a.satisfaction.figures(),
                }
            })
            .collect();
        out.sort_by_key(|g| group_order(g.key.as_deref()));
        out
    }

    /// `on_hold.v1` by pause reason over tickets whose latest solve is in `[from, to)`, as
    /// `metrics::reference::hold_reasons`: reason → (tickets that spent time on hold for
    /// it, total calendar seconds).
    pub fn hold_reasons(
        &self,
        filters: &MetricFilters,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> std::collections::BTreeMap<String, (i64, i64)> {
        let (lo, hi) = (from.timestamp_micros(), to.timestamp_micros());
        let filter = (!filters.is_empty() || self.labelled()).then(|| self.resolve(filters));
        let mut by_reason: HashMap<u32, (i64, i64)> = HashMap::default();
        let c = self.content;
        for r in &c.rows {
            if r.flags & flag::HOLD == 0 {
                continue;
            }
            let solved = c.latest(r);
            if solved == NONE || solved < lo || solved >= hi {
                continue;
            }
            if filter.as_ref().is_some_and(|f| {
                let a = c.attribution(r);
                !f.matches_ticket(r, a) || !f.matches_credit(self.credit(a, Role::Solved))
            }) {
                continue;
            }
            for &(reason, seconds) in c.holds.get(&r.ticket_id).into_iter().flatten() {
                let e = by_reason.entry(reason).or_default();
                e.0 += 1;
                e.1 += seconds;
            }
        }
        by_reason
            .into_iter()
            .map(|(reason, figures)| {
                (
                    self.content
                        .strings
                        .value(reason)
                        .cloned()
                        .unwrap_or_default(),
                    figures,
                )
            })
            .collect()
    }

    /// Every figure of the summary of `[from, to)` (one group keyed `all`, or an empty one).
    pub fn summary(
        &self,
        filters: &MetricFilters,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        options: ReportOptions,
    ) -> GroupReport {
        self.summary_on(filters, from, to, options, None)
    }

    /// [`Reader::summary`] with business durations on one calendar (see [`Reader::report_on`]).
    pub fn summary_on(
        &self,
        filters: &MetricFilters,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        options: ReportOptions,
        calendar: Option<&OneCalendar>,
    ) -> GroupReport {
        self.report_on(StoreGrouping::All, filters, from, to, options, calendar)
            .into_iter()
            .next()
            .unwrap_or_else(|| {
                GroupReport::empty(
                    Some("all".into()),
                    options.contact_rates,
                    field_applies(None, filters).then_some(options.ftf_days),
                )
            })
    }
}

/// The value of custom field `key` in `text` (a ticket's `custom_fields` JSON) as PostgreSQL's
/// `->>` writes it: a string as is, other values as JSON text; `None` without one.
fn custom_value(text: &str, key: &str) -> Option<String> {
    let values: serde_json::Value = serde_json::from_str(text).ok()?;
    match values.get(key)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
