//! The mapping file (TOML) of `frontline import event-log`: which columns hold what, how
//! timestamps are written, which source values mean which of ours, what each activity does, and
//! what the teams and staff the import creates are. docs/IMPORT.md documents every key with an
//! example; [`Mapping::parse`] checks a mapping whole before any row is read.

use crate::domain::ticket::TicketPriority;
use crate::models::enums::{EmploymentType, TeamSourcing, TicketChannel};
use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Longest ticket id, staff member, team name or vendor accepted, in characters.
pub const MAX_ID_CHARS: usize = 200;

/// What one activity does to a ticket. Several actions may be listed for one activity; they apply
/// in the listed order, all or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The ticket is created (only meaningful as a ticket's first event).
    Create,
    /// The row's assignee (the `assignee` column; without one, or when its cell is empty, the
    /// row's staff member) becomes the assignee (a `new` ticket becomes `open`).
    Assign,
    /// A public agent comment from the row's staff member (counts for `frt.v1` and `replies.v1`).
    AgentReply,
    /// An internal (private) agent comment.
    InternalNote,
    /// A public comment from the requester (reopens a pending, on-hold or solved ticket).
    RequesterReply,
    /// Status `open`.
    Open,
    /// Status `pending` (waiting on the requester).
    Pending,
    /// Status `on_hold` (waiting on a third party).
    OnHold,
    /// Status `solved`.
    Solve,
    /// Closed, from whatever status the ticket has (imported history).
    Close,
    /// A priority assessment, recorded even when the priority stays the same; the value comes
    /// from the priority column when the mapping names one.
    Priority,
    /// An activity recorded as a note, with no effect.
    Note,
}

/// Column names of the CSV (the header's names, matched exactly).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// Ticket id in the source (becomes `tickets.external_id`).
    pub ticket_id: String,
    /// Activity name.
    pub activity: String,
    /// Instant of the event, read as `[timestamps]` says.
    pub timestamp: String,
    /// Staff member who did it (an email of an existing account, or a source id); empty cells
    /// mean "nobody".
    pub staff: String,
    /// Optional priority (our `low`, `normal`, `high`, `urgent`, or a source value mapped by
    /// `[values.priority]`). A row whose cell differs from the ticket's priority changes it.
    #[serde(default)]
    pub priority: Option<String>,
    /// Optional creation instant of the ticket (same format as `timestamp`); without it a ticket
    /// is created at its earliest event.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Optional assignee (an email of an existing account, or a source id). A row whose cell
    /// names someone else than the ticket's assignee assigns them; an empty cell changes nothing.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Optional team, by name. A row whose cell names another team than the ticket's moves it.
    #[serde(default)]
    pub team: Option<String>,
    /// Optional channel (our `phone`, `email`, `web`, `chat`, `field`, or a source value mapped
    /// by `[values.channel]`); the ticket's channel is its earliest non-empty cell.
    #[serde(default)]
    pub channel: Option<String>,
}

impl Columns {
    /// Every column the mapping names, required ones first.
    fn all(&self) -> Vec<&String> {
        let mut names = vec![
            &self.ticket_id,
            &self.activity,
            &self.timestamp,
            &self.staff,
        ];
        names.extend(
            [
                &self.priority,
                &self.created_at,
                &self.assignee,
                &self.team,
                &self.channel,
            ]
            .into_iter()
            .flatten(),
        );
        names
    }
}

/// What to do with an activity the mapping does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtherActivities {
    /// Skip the row and report it (default).
    #[default]
    Reject,
    /// Record it as a note.
    Note,
}

/// Ticket attributes the source does not carry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketDefaults {
    /// Subject; `{ticket_id}` is replaced by the source id.
    pub subject: String,
    /// Team of tickets whose earliest row names none (all of them without a `team` column) and of
    /// created staff no row assigns within a team. Found by name, created as `[teams]` says.
    pub team: String,
}

/// How timestamps are written (`[timestamps]`; both keys optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timestamps {
    /// A chrono `strftime` pattern such as `%d/%m/%Y %H:%M`. Without it: RFC 3339 or
    /// `YYYY-MM-DD HH:MM:SS[.f]±HH:MM`, and `YYYY-MM-DD[ T]HH:MM:SS[.f]` when `time_zone` is set.
    #[serde(default)]
    pub format: Option<String>,
    /// IANA zone (e.g. `Europe/London`) of times written without a UTC offset. A time the zone
    /// skips (spring forward) refuses its row; a time it repeats (fall back) is the earlier of
    /// the two instants.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Source values → ours (`[values.priority]`, `[values.channel]`). A cell is looked up here
/// first (exactly, after trimming), then among our own names (any case).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Values {
    /// E.g. `"3 - Moderate" = "normal"`.
    #[serde(default)]
    pub priority: BTreeMap<String, TicketPriority>,
    /// E.g. `"Self service" = "web"`.
    #[serde(default)]
    pub channel: BTreeMap<String, TicketChannel>,
}

/// What the teams this import creates are (`[teams]`). Teams that already exist (same name)
/// are used as they are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportedTeams {
    /// `in_house` (default) or `outsourced`.
    #[serde(default = "in_house")]
    pub sourcing: TeamSourcing,
    /// The vendor of an outsourced team (required then, refused for in-house).
    #[serde(default)]
    pub vendor: Option<String>,
}

fn in_house() -> TeamSourcing {
    TeamSourcing::InHouse
}

impl Default for ImportedTeams {
    fn default() -> Self {
        ImportedTeams {
            sourcing: TeamSourcing::InHouse,
            vendor: None,
        }
    }
}

/// What the staff this import creates are (`[staff]`). Staff found by email or source id are
/// used as they are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportedStaff {
    /// `employee` (default) or `contractor`.
    #[serde(default = "employee")]
    pub employment_type: EmploymentType,
}

fn employee() -> EmploymentType {
    EmploymentType::Employee
}

impl Default for ImportedStaff {
    fn default() -> Self {
        ImportedStaff {
            employment_type: EmploymentType::Employee,
        }
    }
}

/// A mapping file (TOML).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Column names.
    pub columns: Columns,
    /// Ticket defaults.
    pub ticket: TicketDefaults,
    /// Activity name → actions.
    pub activities: BTreeMap<String, Vec<Action>>,
    /// Activities not listed: `reject` (default) or `note`.
    #[serde(default)]
    pub other_activities: OtherActivities,
    /// Cell values meaning "no value" in the optional columns (staff, priority, created_at,
    /// assignee, team, channel), e.g. `["?", "N/A"]`; empty cells always do.
    #[serde(default)]
    pub empty_values: Vec<String>,
    /// Timestamp format and zone.
    #[serde(default)]
    pub timestamps: Timestamps,
    /// Source values → ours.
    #[serde(default)]
    pub values: Values,
    /// Teams the import creates.
    #[serde(default)]
    pub teams: ImportedTeams,
    /// Staff the import creates.
    #[serde(default)]
    pub staff: ImportedStaff,
}

impl Mapping {
    /// Reads and checks a mapping file.
    ///
    /// # Errors
    /// The file cannot be read, is not valid TOML for a mapping, or [`Mapping::parse`] refuses it.
    pub fn load(path: &Path) -> anyhow::Result<Mapping> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read mapping {}: {e}", path.display()))?;
        Mapping::parse(&text).map_err(|e| anyhow::anyhow!("mapping {}: {e}", path.display()))
    }

    /// Parses and checks a mapping.
    ///
    /// # Errors
    /// Invalid TOML, unknown keys, actions or values, an activity mapped to no action, a column
    /// mapped twice, a timestamp format that cannot be read back or has no offset and no
    /// `time_zone`, an unknown zone, `[values.*]` without its column, a vendor that does not
    /// fit the sourcing.
    pub fn parse(text: &str) -> anyhow::Result<Mapping> {
        let mapping: Mapping = toml::from_str(text)?;
        if let Some((name, _)) = mapping.activities.iter().find(|(_, a)| a.is_empty()) {
            anyhow::bail!("activity `{name}` is mapped to no action");
        }
        if mapping.ticket.team.trim().is_empty() {
            anyhow::bail!("[ticket] team must not be blank");
        }
        let subject = mapping.ticket.subject.replace("{ticket_id}", "");
        if subject.contains('{') || subject.contains('}') {
            anyhow::bail!("[ticket] subject may use only the placeholder {{ticket_id}}");
        }
        if mapping.ticket.subject.trim().is_empty() {
            anyhow::bail!("[ticket] subject must not be blank");
        }
        let mut seen = HashSet::new();
        if let Some(dup) = mapping
            .columns
            .all()
            .into_iter()
            .find(|n| !seen.insert(n.as_str()))
        {
            anyhow::bail!("[columns] maps column `{dup}` twice");
        }
        if !mapping.values.priority.is_empty() && mapping.columns.priority.is_none() {
            anyhow::bail!("[values.priority] needs a priority column in [columns]");
        }
        if !mapping.values.channel.is_empty() && mapping.columns.channel.is_none() {
            anyhow::bail!("[values.channel] needs a channel column in [columns]");
        }
        mapping.time_reader()?;
        match (
            mapping.teams.sourcing,
            mapping.teams.vendor.as_deref().map(str::trim),
        ) {
            (TeamSourcing::Outsourced, None | Some("")) => {
                anyhow::bail!("[teams] vendor is required when sourcing is `outsourced`")
            }
            (TeamSourcing::Outsourced, Some(v)) if v.chars().count() > MAX_ID_CHARS => {
                anyhow::bail!("[teams] vendor must be at most {MAX_ID_CHARS} characters")
            }
            (TeamSourcing::InHouse, Some(_)) => {
                anyhow::bail!("[teams] vendor is only for sourcing `outsourced`")
            }
            _ => {}
        }
        Ok(mapping)
    }

    /// The actions of `activity` (`None`: the row is refused).
    pub fn actions_of(&self, activity: &str) -> Option<Vec<Action>> {
        match (self.activities.get(activity), self.other_activities) {
            (Some(actions), _) => Some(actions.clone()),
            (None, OtherActivities::Note) => Some(vec![Action::Note]),
            (None, OtherActivities::Reject) => None,
        }
    }

    /// The vendor of the teams the import creates (trimmed; `None` for in-house).
    pub fn team_vendor(&self) -> Option<&str> {
        self.teams.vendor.as_deref().map(str::trim)
    }

    /// A cell of an optional column with `empty_values` read as empty.
    pub(crate) fn optional<'a>(&self, cell: &'a str) -> Option<&'a str> {
        Some(cell).filter(|c| !c.is_empty() && !self.empty_values.iter().any(|e| e.trim() == *c))
    }

    /// Reads a priority cell: `[values.priority]`, then our names in any case.
    ///
    /// # Errors
    /// `unknown priority `…``.
    pub(crate) fn priority_of(&self, cell: &str) -> Result<TicketPriority, String> {
        self.values
            .priority
            .get(cell)
            .copied()
            .or_else(|| TicketPriority::parse(&cell.to_lowercase()))
            .ok_or_else(|| format!("unknown priority `{cell}`"))
    }

    /// Reads a channel cell: `[values.channel]`, then our names in any case.
    ///
    /// # Errors
    /// `unknown channel `…``.
    pub(crate) fn channel_of(&self, cell: &str) -> Result<TicketChannel, String> {
        self.values
            .channel
            .get(cell)
            .copied()
            .or_else(|| serde_json::from_value(serde_json::Value::String(cell.to_lowercase())).ok())
            .ok_or_else(|| format!("unknown channel `{cell}`"))
    }

    /// The timestamp reader `[timestamps]` describes.
    ///
    /// # Errors
    /// An unknown zone; a format with bad specifiers, one that cannot be read back, or one
    /// without an offset when no zone is given.
    pub fn time_reader(&self) -> anyhow::Result<TimeReader> {
        let zone = match self.timestamps.time_zone.as_deref() {
            None => None,
            Some(name) => Some(name.trim().parse::<Tz>().map_err(|_| {
                anyhow::anyhow!("[timestamps] time_zone `{name}` is not an IANA zone name")
            })?),
        };
        let Some(format) = self.timestamps.format.clone() else {
            return Ok(TimeReader { format: None, zone });
        };
        if StrftimeItems::new(&format).any(|item| item == Item::Error) {
            anyhow::bail!("[timestamps] format `{format}` has an unknown % specifier");
        }
        // Write a sample instant with the format and read it back: that tells whether the
        // format carries a UTC offset, and refuses one that lacks a date or a time of day.
        let sample = DateTime::parse_from_rfc3339("2024-11-28T21:05:09+05:30")
            .map_err(|e| anyhow::anyhow!("sample instant: {e}"))?;
        let mut written = String::new();
        std::fmt::Write::write_fmt(&mut written, format_args!("{}", sample.format(&format)))
            .map_err(|_| anyhow::anyhow!("[timestamps] format `{format}` cannot be written"))?;
        let with_offset = if DateTime::parse_from_str(&written, &format).is_ok() {
            true
        } else if NaiveDateTime::parse_from_str(&written, &format).is_ok() {
            false
        } else {
            anyhow::bail!(
                "[timestamps] format `{format}` does not read a full date and time of day \
                 (it reads its own `{written}` back as nothing)"
            );
        };
        if !with_offset && zone.is_none() {
            anyhow::bail!(
                "[timestamps] format `{format}` has no UTC offset: set time_zone (e.g. \"UTC\")"
            );
        }
        Ok(TimeReader {
            format: Some((format, with_offset)),
            zone,
        })
    }
}

/// Reads the timestamps of one mapping into UTC instants.
#[derive(Debug, Clone)]
pub struct TimeReader {
    /// The pattern and whether it carries an offset.
    format: Option<(String, bool)>,
    /// Zone of times without an offset.
    zone: Option<Tz>,
}

impl TimeReader {
    /// Reads one timestamp cell.
    ///
    /// # Errors
    /// A message naming the cell: unreadable, without an offset when no zone is set, skipped by
    /// the zone's clock change, or outside 1900–9999 (docs: src/domain/instant.rs).
    pub fn read(&self, s: &str) -> Result<DateTime<Utc>, String> {
        let s = s.trim();
        let in_range = |t: DateTime<Utc>| {
            crate::domain::instant::check(t).map_err(|m| format!("timestamp `{s}` {m}"))
        };
        let naive = match &self.format {
            Some((format, true)) => {
                return DateTime::parse_from_str(s, format)
                    .map_err(|_| format!("timestamp `{s}` does not match the format `{format}`"))
                    .and_then(|t| in_range(t.with_timezone(&Utc)));
            }
            Some((format, false)) => NaiveDateTime::parse_from_str(s, format)
                .map_err(|_| format!("timestamp `{s}` does not match the format `{format}`"))?,
            None => {
                if let Some(t) = parse_with_offset(s) {
                    return in_range(t.with_timezone(&Utc));
                }
                let naive = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
                    .into_iter()
                    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                    .ok_or_else(|| format!("bad timestamp `{s}`"))?;
                if self.zone.is_none() {
                    return Err(format!("timestamp `{s}` has no UTC offset"));
                }
                naive
            }
        };
        let Some(zone) = self.zone else {
            return Err(format!("timestamp `{s}` has no UTC offset"));
        };
        match zone.from_local_datetime(&naive) {
            LocalResult::Single(t) => in_range(t.with_timezone(&Utc)),
            // The clocks go back: the earlier instant (documented choice).
            LocalResult::Ambiguous(earlier, _) => in_range(earlier.with_timezone(&Utc)),
            LocalResult::None => Err(format!(
                "timestamp `{s}` does not exist in {} (the clocks skip it)",
                zone.name()
            )),
        }
    }
}

/// RFC 3339 or `YYYY-MM-DD HH:MM:SS[.f]±HH:MM` (the format the importer always read).
fn parse_with_offset(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok().or_else(|| {
        ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%#z"]
            .into_iter()
            .find_map(|f| DateTime::parse_from_str(s, f).ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
        [columns]
        ticket_id = "case"
        activity = "activity"
        timestamp = "time"
        staff = "who"
        [ticket]
        subject = "Case {ticket_id}"
        team = "Help desk"
        [activities]
        "A" = ["solve"]
    "#;

    fn with(extra: &str) -> anyhow::Result<Mapping> {
        Mapping::parse(&format!("{extra}\n{BASE}"))
    }

    fn reader(format: Option<&str>, zone: Option<&str>) -> TimeReader {
        let mut text = String::from("[timestamps]\n");
        if let Some(f) = format {
            text.push_str(&format!("format = \"{f}\"\n"));
        }
        if let Some(z) = zone {
            text.push_str(&format!("time_zone = \"{z}\"\n"));
        }
        with(&text).unwrap().time_reader().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn timestamps_with_an_offset_parse_in_both_spellings() {
        let r = reader(None, None);
        let expected = utc("2010-01-13T08:40:25Z");
        assert_eq!(r.read("2010-01-13 08:40:25+00:00"), Ok(expected));
        assert_eq!(r.read("2010-01-13T10:40:25+02:00"), Ok(expected));
        assert_eq!(r.read("2010-01-13T08:40:25Z"), Ok(expected));
    }

    #[test]
    fn timestamps_without_an_offset_or_garbage_are_refused_with_a_reason() {
        let r = reader(None, None);
        assert_eq!(
            r.read("2010-01-13 08:40:25"),
            Err("timestamp `2010-01-13 08:40:25` has no UTC offset".into())
        );
        assert_eq!(r.read("yesterday"), Err("bad timestamp `yesterday`".into()));
        assert!(r.read("2010-02-30 08:40:25+00:00").is_err());
        assert_eq!(
            r.read("0000-01-01 00:00:00+00:00"),
            Err("timestamp `0000-01-01 00:00:00+00:00` must be between 1900-01-01 and 9999-12-31 (UTC)".into())
        );
    }

    #[test]
    fn naive_iso_times_are_read_in_the_zone_when_one_is_set() {
        let r = reader(None, Some("Europe/Paris"));
        // Paris is UTC+1 in January, UTC+2 in July.
        assert_eq!(
            r.read("2024-01-15 09:00:00"),
            Ok(utc("2024-01-15T08:00:00Z"))
        );
        assert_eq!(
            r.read("2024-07-15T09:00:00.5"),
            Ok(utc("2024-07-15T07:00:00.5Z"))
        );
        // A written offset still wins over the zone.
        assert_eq!(
            r.read("2024-07-15 09:00:00+00:00"),
            Ok(utc("2024-07-15T09:00:00Z"))
        );
    }

    #[test]
    fn day_first_times_in_london_across_both_clock_changes() {
        let r = reader(Some("%d/%m/%Y %H:%M"), Some("Europe/London"));
        // GMT (UTC+0) until 01:00 on 31 March 2024, then BST (UTC+1).
        assert_eq!(r.read("31/03/2024 00:59"), Ok(utc("2024-03-31T00:59:00Z")));
        assert_eq!(r.read("31/03/2024 02:00"), Ok(utc("2024-03-31T01:00:00Z")));
        assert_eq!(r.read("1/4/2024 9:05"), Ok(utc("2024-04-01T08:05:00Z")));
        // 01:00–01:59 local does not exist that night.
        assert_eq!(
            r.read("31/03/2024 01:30"),
            Err(
                "timestamp `31/03/2024 01:30` does not exist in Europe/London (the clocks skip it)"
                    .into()
            )
        );
        // 27 October 2024: 01:00–01:59 happens twice (BST, then GMT); the earlier is taken.
        assert_eq!(r.read("27/10/2024 01:30"), Ok(utc("2024-10-27T00:30:00Z")));
        assert_eq!(r.read("27/10/2024 02:30"), Ok(utc("2024-10-27T02:30:00Z")));
        assert_eq!(
            r.read("2024-03-31 14:05"),
            Err("timestamp `2024-03-31 14:05` does not match the format `%d/%m/%Y %H:%M`".into())
        );
        assert_eq!(
            r.read("31/13/2024 14:05"),
            Err("timestamp `31/13/2024 14:05` does not match the format `%d/%m/%Y %H:%M`".into())
        );
    }

    #[test]
    fn a_format_with_an_offset_needs_no_zone() {
        let r = reader(Some("%d.%m.%Y %H:%M:%S %z"), None);
        assert_eq!(
            r.read("31.03.2024 14:05:00 +0200"),
            Ok(utc("2024-03-31T12:05:00Z"))
        );
    }

    #[test]
    fn bad_timestamp_settings_are_refused_when_the_mapping_is_read() {
        let err = |extra: &str| with(extra).unwrap_err().to_string();
        assert_eq!(
            err("[timestamps]\nformat = \"%d/%m/%Y %H:%M\""),
            "[timestamps] format `%d/%m/%Y %H:%M` has no UTC offset: set time_zone (e.g. \"UTC\")"
        );
        assert_eq!(
            err("[timestamps]\ntime_zone = \"Europe/Londres\""),
            "[timestamps] time_zone `Europe/Londres` is not an IANA zone name"
        );
        assert_eq!(
            err("[timestamps]\nformat = \"%d/%m/%Y %Q\"\ntime_zone = \"UTC\""),
            "[timestamps] format `%d/%m/%Y %Q` has an unknown % specifier"
        );
        assert!(
            err("[timestamps]\nformat = \"%d/%m/%Y\"\ntime_zone = \"UTC\"")
                .starts_with("[timestamps] format `%d/%m/%Y` does not read a full date and time")
        );
    }

    #[test]
    fn values_map_source_values_and_our_names_still_read() {
        let m = with(
            "[values.priority]\n\"3 - Moderate\" = \"normal\"\n\"1 - Critical\" = \"urgent\"\n\
             [values.channel]\n\"Self service\" = \"web\"",
        );
        // Without the columns, [values.*] is a mistake.
        assert_eq!(
            m.unwrap_err().to_string(),
            "[values.priority] needs a priority column in [columns]"
        );
        let text = BASE.replace(
            "staff = \"who\"",
            "staff = \"who\"\npriority = \"prio\"\nchannel = \"via\"",
        );
        let m = Mapping::parse(&format!(
            "[values.priority]\n\"3 - Moderate\" = \"normal\"\n\"1 - Critical\" = \"urgent\"\n\
             [values.channel]\n\"Self service\" = \"web\"\n{text}"
        ))
        .unwrap();
        assert_eq!(m.priority_of("3 - Moderate"), Ok(TicketPriority::Normal));
        assert_eq!(m.priority_of("1 - Critical"), Ok(TicketPriority::Urgent));
        assert_eq!(m.priority_of("HIGH"), Ok(TicketPriority::High));
        assert_eq!(
            m.priority_of("5 - Planning"),
            Err("unknown priority `5 - Planning`".into())
        );
        assert_eq!(m.channel_of("Self service"), Ok(TicketChannel::Web));
        assert_eq!(m.channel_of("Phone"), Ok(TicketChannel::Phone));
        assert_eq!(m.channel_of("Fax"), Err("unknown channel `Fax`".into()));
        // A target that is not one of ours is refused by name.
        let bad = Mapping::parse(&format!(
            "[values.priority]\n\"3 - Moderate\" = \"medium\"\n{text}"
        ));
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("unknown variant `medium`")
        );
    }

    #[test]
    fn teams_say_their_sourcing_and_vendor_consistently() {
        let m = with("[teams]\nsourcing = \"outsourced\"\nvendor = \" Acme BPO \"\n[staff]\nemployment_type = \"contractor\"").unwrap();
        assert_eq!(m.teams.sourcing, TeamSourcing::Outsourced);
        assert_eq!(m.team_vendor(), Some("Acme BPO"));
        assert_eq!(m.staff.employment_type, EmploymentType::Contractor);
        let d = with("").unwrap();
        assert_eq!(
            (d.teams.sourcing, d.team_vendor(), d.staff.employment_type),
            (TeamSourcing::InHouse, None, EmploymentType::Employee)
        );
        let err = |extra: &str| with(extra).unwrap_err().to_string();
        assert_eq!(
            err("[teams]\nsourcing = \"outsourced\""),
            "[teams] vendor is required when sourcing is `outsourced`"
        );
        assert_eq!(
            err("[teams]\nvendor = \"Acme\""),
            "[teams] vendor is only for sourcing `outsourced`"
        );
    }

    #[test]
    fn empty_values_read_as_empty_cells() {
        let m = with("empty_values = [\"?\", \"N/A\"]").unwrap();
        assert_eq!(m.optional("?"), None);
        assert_eq!(m.optional("N/A"), None);
        assert_eq!(m.optional(""), None);
        assert_eq!(m.optional("Bob"), Some("Bob"));
    }

    #[test]
    fn a_mapping_with_an_unknown_action_or_an_empty_list_is_refused() {
        let base = BASE.replace("[activities]\n        \"A\" = [\"solve\"]", "");
        assert!(Mapping::parse(&format!("{base}\n[activities]\n\"A\" = [\"solve\"]")).is_ok());
        let unknown = Mapping::parse(&format!("{base}\n[activities]\n\"A\" = [\"explode\"]"));
        assert!(unknown.is_err());
        let empty = Mapping::parse(&format!("{base}\n[activities]\n\"A\" = []"));
        assert_eq!(
            empty.unwrap_err().to_string(),
            "activity `A` is mapped to no action"
        );
        let typo = base.replace("Case {ticket_id}", "Case {tickt_id}");
        assert_eq!(
            Mapping::parse(&format!("{typo}\n[activities]\n\"A\" = [\"solve\"]"))
                .unwrap_err()
                .to_string(),
            "[ticket] subject may use only the placeholder {ticket_id}"
        );
        let twice = base.replace("activity = \"activity\"", "activity = \"case\"");
        assert_eq!(
            Mapping::parse(&format!("{twice}\n[activities]\n\"A\" = [\"solve\"]"))
                .unwrap_err()
                .to_string(),
            "[columns] maps column `case` twice"
        );
        let twice = base.replace("staff = \"who\"", "staff = \"who\"\nassignee = \"who\"");
        assert_eq!(
            Mapping::parse(&format!("{twice}\n[activities]\n\"A\" = [\"solve\"]"))
                .unwrap_err()
                .to_string(),
            "[columns] maps column `who` twice"
        );
    }

    /// docs/IMPORT.md's example mapping is accepted as written and names every column key.
    #[test]
    fn the_documented_mapping_parses_and_names_every_column() {
        let doc = include_str!("../../docs/IMPORT.md");
        let start = doc.find("```toml\n").unwrap() + "```toml\n".len();
        let example = &doc[start..start + doc[start..].find("```").unwrap()];
        let m = Mapping::parse(example).unwrap();
        let c = &m.columns;
        assert_eq!(
            c.all(),
            vec![
                "number",
                "incident_state",
                "sys_updated_at",
                "sys_updated_by",
                "priority",
                "opened_at",
                "assigned_to",
                "assignment_group",
                "contact_type"
            ]
        );
        assert_eq!(m.teams.sourcing, TeamSourcing::Outsourced);
        assert_eq!(m.staff.employment_type, EmploymentType::Contractor);
        assert_eq!(m.priority_of("3 - Moderate"), Ok(TicketPriority::Normal));
        // The test fixture's mapping says the same (comments and `other_activities` aside).
        let fixture = Mapping::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/incidents.toml"),
        )
        .unwrap();
        assert_eq!(format!("{fixture:?}"), format!("{m:?}"));
    }

    #[test]
    fn the_bundled_mapping_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/helpdesk/mapping.toml");
        let mapping = Mapping::load(&path).unwrap();
        assert_eq!(
            mapping.actions_of("Take in charge ticket"),
            Some(vec![Action::Assign, Action::AgentReply, Action::Open])
        );
        assert_eq!(mapping.actions_of("VERIFIED"), Some(vec![Action::Note]));
        assert_eq!(
            mapping.actions_of("Never heard of it"),
            Some(vec![Action::Note])
        );
    }
}
