//! The dimension tables' names and attributes a store read returns beside its figures.

use super::*;

/// Names and attributes of the dimension tables, read on each request.
#[derive(Debug, Default)]
pub struct Dimensions {
    /// team id → (name, `sourcing`).
    pub(super) teams: HashMap<i64, (String, String)>,
    /// staff id → (name, `employment_type`).
    pub(super) users: HashMap<i64, (String, String)>,
    pub(super) organizations: HashMap<i64, String>,
    pub(super) sites: HashMap<i64, String>,
    /// team id → its sourcing periods `(valid_from µs, sourcing)`, ascending (`team_sourcing_periods`;
    /// the first from [`NONE`], −∞).
    pub(super) sourcing_periods: HashMap<i64, Vec<(i64, String)>>,
    /// staff id → their employment type periods, likewise (`user_periods`).
    pub(super) employment_periods: HashMap<i64, Vec<(i64, String)>>,
}

#[derive(QueryableByName)]
struct Period {
    #[diesel(sql_type = BigInt)]
    id: i64,
    /// `NULL` for `-infinity`.
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
    valid_from: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    attribute: Option<String>,
}

impl Dimensions {
    /// Reads the four small dimension tables and the histories of the teams' sourcing and the
    /// staff's employment types (what an SLA outcome's credit reads at its instant).
    ///
    /// # Errors
    /// Database errors.
    pub fn load(conn: &mut PgConnection) -> QueryResult<Dimensions> {
        let mut periods = |sql: &str| -> QueryResult<HashMap<i64, Vec<(i64, String)>>> {
            let mut out: HashMap<i64, Vec<(i64, String)>> = HashMap::default();
            for p in diesel::sql_query(sql).load::<Period>(conn)? {
                out.entry(p.id)
                    .or_default()
                    .push((load::micros(p.valid_from), p.value));
            }
            Ok(out)
        };
        let sourcing_periods = periods(
            "SELECT team_id AS id, NULLIF(valid_from, '-infinity') AS valid_from,
                    sourcing::text AS value
               FROM team_sourcing_periods ORDER BY team_id, valid_from",
        )?;
        let employment_periods = periods(
            "SELECT user_id AS id, NULLIF(valid_from, '-infinity') AS valid_from,
                    employment_type::text AS value
               FROM user_periods ORDER BY user_id, valid_from",
        )?;
        let mut load = |sql: &str| -> QueryResult<Vec<Named>> { diesel::sql_query(sql).load(conn) };
        let attribute = |n: Named| (n.id, (n.name, n.attribute.unwrap_or_default()));
        Ok(Dimensions {
            teams: load("SELECT id, name, sourcing::text AS attribute FROM teams")?
                .into_iter()
                .map(attribute)
                .collect(),
            users: load("SELECT id, name, employment_type::text AS attribute FROM users")?
                .into_iter()
                .map(attribute)
                .collect(),
            organizations: load("SELECT id, name, NULL::text AS attribute FROM organizations")?
                .into_iter()
                .map(|n| (n.id, n.name))
                .collect(),
            sites: load("SELECT id, name, NULL::text AS attribute FROM sites")?
                .into_iter()
                .map(|n| (n.id, n.name))
                .collect(),
            sourcing_periods,
            employment_periods,
        })
    }
}
