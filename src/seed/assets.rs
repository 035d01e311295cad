//! The demo company's field-service side: the equipment at every site (inmate phones in each
//! housing unit, payment kiosks in the lobby, video-visitation terminals, tablets, network
//! gear), the technicians' skills and their recorded time off. Written after the staff and the
//! sites, idempotently (`--append` finds what an earlier run wrote), and derived from the site's
//! position and the seed only.

use super::tickets::{AssetInfo, OrgInfo, Technician};
use crate::domain::ticket::StaffId;
use crate::domain::work_order::AssetKind;
use crate::schema::{assets, time_off, users};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Skill sets of the technicians, by position among employees (and again among contractors):
/// every skill is held by at least three employees and three contractors.
const SKILL_SETS: [&[&str]; 6] = [
    &["phones", "kiosks", "network"],
    &["phones", "video", "tablets"],
    &["kiosks", "video", "network"],
    &["phones", "kiosks", "tablets"],
    &["phones", "video", "network"],
    &["kiosks", "video", "tablets"],
];

/// `(kind, tag code, model)` of the equipment.
const MODELS: [(AssetKind, &str, &str); 5] = [
    (AssetKind::InmatePhone, "PH", "CT-3200 inmate phone"),
    (AssetKind::PaymentKiosk, "KI", "KX-500 lobby kiosk"),
    (
        AssetKind::VideoVisitationTerminal,
        "VV",
        "VV-22 visitation terminal",
    ),
    (AssetKind::Tablet, "TB", "TB-10 rugged tablet"),
    (AssetKind::NetworkGear, "NW", "NX-24 PoE switch"),
];

/// The tag prefix of an organization: the initials of its name's first three words
/// ("Harlan County Jail" → `HCJ`).
fn tag_prefix(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_ascii_alphabetic()))
        .take(3)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// How many assets of each kind (in [`MODELS`] order) the `s`-th site of organization `i` has:
/// 2–5 housing units with 3–6 phones each, 1–3 kiosks, 2–5 video terminals, 4–11 tablets,
/// 2–4 pieces of network gear.
fn counts(i: usize, s: usize) -> [usize; 5] {
    let h = i * 7 + s * 13;
    let units = 2 + h % 4;
    let phones_per_unit = 3 + (h / 4) % 4;
    [
        units * phones_per_unit,
        1 + h % 3,
        2 + (h / 3) % 4,
        4 + (h / 2) % 8,
        2 + h % 3,
    ]
}

#[derive(Insertable)]
#[diesel(table_name = assets)]
struct NewAsset {
    organization_id: i64,
    site_id: i64,
    kind: String,
    asset_tag: String,
    serial_number: Option<String>,
    model: Option<String>,
    installed_on: Option<NaiveDate>,
    status: String,
}

/// Writes (or finds) the assets of every site of `orgs`; returns them by site, in id order.
///
/// # Errors
/// Database errors.
pub(super) fn write_assets(
    conn: &mut PgConnection,
    orgs: &[OrgInfo],
) -> QueryResult<BTreeMap<i64, Vec<AssetInfo>>> {
    let mut rows = Vec::new();
    for (i, org) in orgs.iter().enumerate() {
        let prefix = tag_prefix(&org.name);
        let mut numbers = [0usize; 5];
        for (s, (site_id, _)) in org.sites.iter().enumerate() {
            for (k, n) in counts(i, s).into_iter().enumerate() {
                let (kind, code, model) = MODELS[k];
                for _ in 0..n {
                    numbers[k] += 1;
                    let number = numbers[k];
                    let day = (i * 131 + s * 37 + k * 11 + number * 7) % 2_200;
                    rows.push(NewAsset {
                        organization_id: org.id,
                        site_id: *site_id,
                        kind: kind.as_str().to_string(),
                        asset_tag: format!("{prefix}-{code}-{number:04}"),
                        serial_number: Some(format!("{code}{i:02}{s}{number:05}")),
                        model: Some(model.to_string()),
                        installed_on: NaiveDate::from_ymd_opt(2019, 1, 7)
                            .map(|d| d + Duration::days(day as i64)),
                        status: "in_service".to_string(),
                    });
                }
            }
        }
    }
    for chunk in rows.chunks(1_000) {
        diesel::insert_into(assets::table)
            .values(chunk)
            .on_conflict((assets::organization_id, assets::asset_tag))
            .do_nothing()
            .execute(conn)?;
    }
    let site_ids: Vec<i64> = orgs
        .iter()
        .flat_map(|o| o.sites.iter().map(|(id, _)| *id))
        .collect();
    let stored: Vec<(i64, i64, String, String)> = assets::table
        .filter(assets::site_id.eq_any(&site_ids))
        .order(assets::id.asc())
        .select((assets::id, assets::site_id, assets::kind, assets::asset_tag))
        .load(conn)?;
    let mut by_site: BTreeMap<i64, Vec<AssetInfo>> = BTreeMap::new();
    for (id, site, kind, tag) in stored {
        if let Some(kind) = AssetKind::parse(&kind) {
            by_site
                .entry(site)
                .or_default()
                .push(AssetInfo { id, kind, tag });
        }
    }
    Ok(by_site)
}

/// Gives the technicians (`(users.id, contractor)`, employees first) their skills and, unless
/// they have some already, 2–3 periods of time off of 1–5 days in `[start, end)`; returns them
/// with their skills and all their recorded time off.
///
/// # Errors
/// Database errors.
pub(super) fn write_technicians(
    conn: &mut PgConnection,
    seed: u64,
    technicians: &[(StaffId, bool)],
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> QueryResult<Vec<Technician>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0FF_D475);
    let (mut employees, mut contractors) = (0usize, 0usize);
    let span_days = (end - start).num_days().max(7);
    let mut out = Vec::new();
    for &(id, contractor) in technicians {
        let position = if contractor {
            contractors += 1;
            contractors - 1
        } else {
            employees += 1;
            employees - 1
        };
        let skills: Vec<String> = SKILL_SETS[position % SKILL_SETS.len()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        diesel::update(users::table.find(id))
            .set(users::skills.eq(&skills))
            .execute(conn)?;
        let periods = 2 + rng.random_range(0..2usize);
        let drawn: Vec<(DateTime<Utc>, i64, &str)> = (0..periods)
            .map(|_| {
                let day = rng.random_range(0..span_days - 6);
                let days = rng.random_range(1..=5i64);
                let reason = ["vacation", "training", "sick leave"][rng.random_range(0..3usize)];
                (start + Duration::days(day), days, reason)
            })
            .collect();
        let has_some: bool = diesel::select(diesel::dsl::exists(
            time_off::table.filter(time_off::user_id.eq(id)),
        ))
        .get_result(conn)?;
        if !has_some {
            let rows: Vec<_> = drawn
                .iter()
                .map(|(from, days, reason)| {
                    (
                        time_off::user_id.eq(id),
                        time_off::starts_at.eq(*from),
                        time_off::ends_at.eq(*from + Duration::days(*days)),
                        time_off::reason.eq(Some(*reason)),
                        time_off::created_at.eq(*from - Duration::days(14)),
                    )
                })
                .collect();
            diesel::insert_into(time_off::table)
                .values(rows)
                .execute(conn)?;
        }
        let time_off: Vec<(DateTime<Utc>, DateTime<Utc>)> = time_off::table
            .filter(time_off::user_id.eq(id))
            .order((time_off::starts_at.asc(), time_off::id.asc()))
            .select((time_off::starts_at, time_off::ends_at))
            .load(conn)?;
        out.push(Technician {
            id,
            contractor,
            skills,
            time_off,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_start_with_the_organizations_initials() {
        assert_eq!(tag_prefix("Harlan County Jail"), "HCJ");
        assert_eq!(
            tag_prefix("Orange Grove Regional Correctional Facility"),
            "OGR"
        );
    }

    #[test]
    fn every_skill_is_held_by_three_of_each_cohort_and_every_site_has_phones() {
        for skill in ["phones", "kiosks", "video", "tablets", "network"] {
            let n = SKILL_SETS.iter().filter(|s| s.contains(&skill)).count();
            assert!(n >= 3, "{skill}: {n}");
        }
        for i in 0..24 {
            for s in 0..3 {
                let c = counts(i, s);
                assert!(c[0] >= 6 && c.iter().all(|n| *n >= 1), "{c:?}");
            }
        }
    }
}
