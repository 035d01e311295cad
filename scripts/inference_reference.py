#!/usr/bin/env python3
"""Reference values for the tests of src/domain/inference.rs (the statistics of the evidence and
bake-off reports). Prints, for each test fixture, the figures the Rust tests pin as literals.
It is not run by the test suite.

Versions used for the literals in the tests:
    Python 3.11.7, NumPy 2.4.6, pandas 2.3.3, SciPy 1.17.1, statsmodels 0.15.0, lifelines 0.30.3

How to run (a throw-away virtualenv outside the repository):
    python3 -m venv /tmp/statsenv
    /tmp/statsenv/bin/pip install numpy==2.4.6 pandas==2.3.3 scipy==1.17.1 statsmodels==0.15.0 lifelines==0.30.3
    /tmp/statsenv/bin/python scripts/inference_reference.py

What comes from which tool:
- Wilson intervals: statsmodels proportion_confint(method='wilson').
- Two proportions: statsmodels proportions_ztest (pooled), confint_proportions_2indep(method='newcomb'),
  proportion_effectsize (Cohen's h).
- Mann-Whitney U: scipy.stats.mannwhitneyu(method='auto' and 'asymptotic', use_continuity=True).
- Holm: statsmodels multipletests(method='holm').
- Kaplan-Meier: lifelines KaplanMeierFitter (survival_function_, confidence_interval_,
  median_survival_time_) and lifelines.utils.median_survival_times(kmf.confidence_interval_).
- Difference in differences: statsmodels OLS 'y ~ trained * after' (the interaction coefficient).
- Bootstrap intervals: (a) the exact bootstrap distribution of the median, by enumerating every
  resample composition with its multinomial probability, and scipy.stats.bootstrap
  (method='percentile') for several seeds, to justify the agreement test; (b) an independent
  re-implementation, written from the specifications (ChaCha, RFC 7539 layout with a 64-bit block
  counter; rand_core 0.9's seed_from_u64 with PCG32; Lemire's bounded integers for the
  difference-in-differences cluster bootstrap; the median's resamples drawn as order statistics
  with SciPy's Beta quantile, scipy.special.betaincinv), of the rules the Rust code documents,
  which gives the pinned intervals of the determinism tests.
"""
import itertools
import math
import sys
import warnings

import numpy as np
import pandas as pd
import scipy
import scipy.special
import statsmodels
import lifelines
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)
from statsmodels.stats.multitest import multipletests
import statsmodels.formula.api as smf
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

warnings.simplefilter("ignore")


def header(title):
    print()
    print("=" * 8, title)


# ---------------------------------------------------------------------------------------------
# Wilson
# ---------------------------------------------------------------------------------------------
def wilson_section():
    header("Wilson: statsmodels proportion_confint(method='wilson')")
    for k, n, conf in [(7, 10, 0.95), (0, 8, 0.95), (5, 5, 0.95), (1, 3, 0.95), (45, 60, 0.95), (7, 10, 0.90)]:
        low, high = proportion_confint(k, n, alpha=1 - conf, method="wilson")
        print(f"wilson({k}, {n}, {conf}): rate={k / n!r} low={float(low)!r} high={float(high)!r}")


# ---------------------------------------------------------------------------------------------
# Two proportions
# ---------------------------------------------------------------------------------------------
def two_proportions_section():
    header("Two proportions: statsmodels proportions_ztest, confint_proportions_2indep(newcomb), proportion_effectsize")
    for ka, na, kb, nb in [(45, 60, 30, 55), (0, 20, 5, 25), (20, 20, 18, 25), (3, 8, 6, 7), (0, 10, 0, 12)]:
        z, p = proportions_ztest([ka, kb], [na, nb])
        low, high = confint_proportions_2indep(ka, na, kb, nb, method="newcomb", compare="diff", alpha=0.05)
        h = proportion_effectsize(ka / na, kb / nb)
        print(
            f"({ka}/{na} vs {kb}/{nb}): diff={ka / na - kb / nb!r} z={float(z)!r} p={float(p)!r} "
            f"newcombe=({float(low)!r}, {float(high)!r}) cohens_h={float(h)!r}"
        )


# ---------------------------------------------------------------------------------------------
# Mann-Whitney U
# ---------------------------------------------------------------------------------------------
MWU_FIXTURES = [
    ("scipy_doc_small_exact", [19, 22, 16, 29, 24], [20, 11, 17, 12]),
    ("one_sided_all_a_below_b", [1, 2, 3], [4, 5, 6, 7]),
    ("single_each", [5], [7]),
    ("small_tied", [3, 5, 5, 8, 13], [5, 8, 8, 21, 34, 34]),
    ("equal_constant", [4, 4, 4], [4, 4, 4]),
    ("equal_distinct", [1, 2, 3], [1, 2, 3]),
    ("both_above_eight", [12, 15, 18, 22, 25, 31, 34, 40, 47, 52], [20, 24, 29, 33, 38, 41, 45, 49, 55, 60, 66, 71]),
    ("exact_three_vs_twenty", [14, 57, 73], list(range(10, 210, 10))),
    ("exact_eight_vs_forty", [3, 11, 19, 27, 35, 43, 51, 99], [2 * i + 2 for i in range(40)]),
]


def mwu_section():
    header("Mann-Whitney U: scipy.stats.mannwhitneyu(two-sided, use_continuity=True)")
    for name, a, b in MWU_FIXTURES:
        assert len(set(a + b)) == len(a + b) or "tied" in name or "equal" in name, name
        auto = stats.mannwhitneyu(a, b, alternative="two-sided", method="auto")
        asym = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True)
        u = float(auto.statistic)
        r = 2 * u / (len(a) * len(b)) - 1
        ties = len(set(a + b)) < len(a + b)
        method = "asymptotic" if (len(a) > 8 and len(b) > 8) or ties else "exact"
        print(
            f"{name}: n=({len(a)}, {len(b)}) U_a={u!r} auto_method={method} p_auto={float(auto.pvalue)!r} "
            f"p_asymptotic={float(asym.pvalue)!r} rank_biserial={r!r}"
        )
    print("exact_eight_vs_forty b =", MWU_FIXTURES[-1][2])


# ---------------------------------------------------------------------------------------------
# Holm
# ---------------------------------------------------------------------------------------------
def holm_section():
    header("Holm: statsmodels multipletests(method='holm')")
    for ps, alpha in [
        ([0.01, 0.04, 0.03, 0.005], 0.05),
        ([0.02, 0.02, 0.5], 0.05),
        ([0.4, 0.6, 0.9], 0.05),
        ([0.03], 0.05),
        ([0.012, 0.001, 0.2, 0.04, 0.013], 0.05),
    ]:
        reject, adj, _, _ = multipletests(ps, alpha=alpha, method="holm")
        print(f"holm({ps}, {alpha}): adjusted={[float(x) for x in adj]!r} reject={[bool(x) for x in reject]}")


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier
# ---------------------------------------------------------------------------------------------
KM_FIXTURES = [
    ("ties_event_and_censoring", [5, 5, 6, 7, 8, 8], [1, 0, 1, 1, 1, 0]),
    ("exact_half_four", [1, 2, 3, 4], [1, 1, 1, 1]),
    ("exact_half_six", [2, 4, 6, 8, 10, 12], [1, 1, 1, 1, 1, 1]),
    ("all_censored", [3, 4, 5], [0, 0, 0]),
    ("twelve_mixed", [2, 3, 3, 5, 8, 8, 9, 12, 14, 15, 20, 21], [1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0]),
    ("open_tickets_at_period_end", [30, 45, 45, 60, 90, 120, 150, 150, 200], [1, 1, 1, 1, 0, 1, 0, 0, 0]),
]


def km_section():
    header("Kaplan-Meier: lifelines KaplanMeierFitter (alpha=0.05, log(-log) Greenwood)")
    for name, d, e in KM_FIXTURES:
        k = KaplanMeierFitter().fit(d, e)
        sf = k.survival_function_.iloc[:, 0]
        ci = k.confidence_interval_
        print(f"{name}: durations={d} events={e}")
        for t in sf.index:
            row = k.event_table.loc[t]
            print(
                f"  t={t!r} at_risk={int(row['at_risk'])} events={int(row['observed'])} censored={int(row['censored'])} "
                f"S={float(sf.loc[t])!r} low={float(ci.iloc[:, 0].loc[t])!r} high={float(ci.iloc[:, 1].loc[t])!r}"
            )
        m = median_survival_times(ci)
        naive = [x for x, ev in zip(d, e) if ev]
        naive_median = float(np.median(naive)) if naive else None
        print(
            f"  median={float(k.median_survival_time_)!r} median_ci=({float(m.iloc[0, 0])!r}, {float(m.iloc[0, 1])!r}) "
            f"naive_median_of_events={naive_median!r}"
        )
    print("  (lifelines computes S as exp(cumsum(log(n - d) - log(n))): S(6) of exact_half_six is",
          repr(float(KaplanMeierFitter().fit([2, 4, 6, 8, 10, 12]).survival_function_.iloc[3, 0])), ")")


# ---------------------------------------------------------------------------------------------
# The generator, re-implemented from the specifications
# ---------------------------------------------------------------------------------------------
M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF


def _rotl(x, n):
    return ((x << n) | (x >> (32 - n))) & M32


def _quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & M32; s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & M32; s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & M32; s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & M32; s[b] = _rotl(s[b] ^ s[c], 7)


class ChaCha8:
    """ChaCha with 8 rounds: 'expand 32-byte k', the 32-byte key as eight little-endian words,
    a 64-bit block counter in words 12-13 (from 0) and a zero 64-bit nonce in words 14-15; the
    output is the stream of 32-bit words, block after block; a u64 is two consecutive words,
    the first one low."""

    def __init__(self, key_bytes):
        self.key = [int.from_bytes(key_bytes[4 * i: 4 * i + 4], "little") for i in range(8)]
        self.counter = 0
        self.buf = []

    def _block(self):
        init = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574] + self.key + [
            self.counter & M32, self.counter >> 32, 0, 0]
        s = list(init)
        for _ in range(4):  # 4 double rounds = 8 rounds
            _quarter(s, 0, 4, 8, 12); _quarter(s, 1, 5, 9, 13); _quarter(s, 2, 6, 10, 14); _quarter(s, 3, 7, 11, 15)
            _quarter(s, 0, 5, 10, 15); _quarter(s, 1, 6, 11, 12); _quarter(s, 2, 7, 8, 13); _quarter(s, 3, 4, 9, 14)
        self.counter += 1
        return [(x + y) & M32 for x, y in zip(s, init)]

    def next_u32(self):
        if not self.buf:
            self.buf = self._block()
        return self.buf.pop(0)

    def next_u64(self):
        lo = self.next_u32()
        hi = self.next_u32()
        return (hi << 32) | lo


def seed_from_u64(state):
    """rand_core 0.9 SeedableRng::seed_from_u64: PCG32 (XSH RR) output words, little-endian."""
    mul, inc = 6364136223846793005, 11634580027462260723
    out = b""
    for _ in range(8):
        state = (state * mul + inc) & M64
        xorshifted = (((state >> 18) ^ state) >> 27) & M32
        rot = state >> 59
        x = ((xorshifted >> rot) | (xorshifted << ((32 - rot) & 31))) & M32
        out += x.to_bytes(4, "little")
    return ChaCha8(out)


def below(rng, n):
    """Lemire's unbiased integer in [0, n) from 64-bit words (widening multiply, rejection)."""
    m = rng.next_u64() * n
    low = m & M64
    if low < n:
        t = ((1 << 64) - n) % n
        while low < t:
            m = rng.next_u64() * n
            low = m & M64
    return m >> 64


def percentile_cont(sorted_values, f):
    """PostgreSQL's percentile_cont, with the Rust code's arithmetic: a + (b - a) * (r - floor r)."""
    r = f * (len(sorted_values) - 1)
    lo, hi = math.floor(r), math.ceil(r)
    a, b = float(sorted_values[lo]), float(sorted_values[hi])
    return a + (b - a) * (r - lo)


def open_unit(rng):
    """((next_u64 >> 11) + 1/2) * 2**-53: a uniform in (0, 1), never 0 or 1."""
    return ((rng.next_u64() >> 11) + 0.5) * 2.0 ** -53


def replica_bootstrap_median(values, resamples, seed, confidence):
    """The resample medians drawn as order statistics, as src/domain/inference.rs documents: with
    k = ceil(n/2), U = betaincinv(k, n - k + 1, v) is the k-th smallest of n uniforms, floor(n U)
    the k-th smallest of n uniform indices; for even n, U' = U + (1 - U)(1 - (1 - w)^(1/(n - k)))
    is the next one. The Beta quantile here is SciPy's (scipy.special.betaincinv), not statrs'."""
    rng = seed_from_u64(seed)
    order = sorted(values)
    n = len(order)
    k = (n + 1) // 2
    medians = []
    for _ in range(resamples):
        u = float(scipy.special.betaincinv(k, n - k + 1, open_unit(rng)))
        low = float(order[min(int(math.floor(u * n)), n - 1)])
        if n % 2 == 1:
            medians.append(low)
            continue
        step = -math.expm1(math.log1p(-open_unit(rng)) / (n - k))
        high = float(order[min(int(math.floor((u + (1.0 - u) * step) * n)), n - 1)])
        medians.append(low + (high - low) * 0.5)
    medians.sort()
    lower = (1.0 - confidence) / 2.0
    return percentile_cont(medians, lower), percentile_cont(medians, 1.0 - lower)


# ---------------------------------------------------------------------------------------------
# Bootstrap of the median
# ---------------------------------------------------------------------------------------------
BOOT_FIXTURES = [
    ("seven_distinct", [12, 15, 21, 30, 42, 60, 95]),
    ("eight_tied", [1, 4, 4, 6, 9, 9, 9, 14]),
]


def exact_bootstrap_median_distribution(values):
    """Every resample composition (c_1..c_n, sum n) with its multinomial probability."""
    n = len(values)
    order = sorted(values)
    dist = {}
    for cuts in itertools.combinations(range(2 * n - 1), n - 1):
        counts, prev = [], -1
        for c in cuts + (2 * n - 1,):
            counts.append(c - prev - 1)
            prev = c
        weight = math.factorial(n)
        for c in counts:
            weight //= math.factorial(c)
        sample = [v for v, c in zip(order, counts) for _ in range(c)]
        med = percentile_cont(sample, 0.5)
        dist[med] = dist.get(med, 0) + weight
    total = n ** n
    return sorted((m, w / total) for m, w in dist.items())


def bootstrap_section():
    header("Bootstrap of the median: exact bootstrap distribution, scipy.stats.bootstrap(method='percentile')")
    B = 10_000
    se = math.sqrt(0.025 * 0.975 / B)
    for name, values in BOOT_FIXTURES:
        dist = exact_bootstrap_median_distribution(values)
        cum, rows = 0.0, []
        for m, p in dist:
            rows.append((m, cum, cum + p))
            cum += p
        print(f"{name}: values={values} median={float(np.median(values))!r}")
        for q in (0.025, 0.975):
            for m, before, after in rows:
                if before < q <= after:
                    margin = min(q - before, after - q) / se
                    print(f"  exact {q}-quantile = {m!r}: P(median < it) = {before:.5f}, P(median <= it) = {after:.5f}, "
                          f"margin = {margin:.1f} standard errors of the empirical quantile at B = {B}")
        intervals = set()
        for seed in range(20):
            res = stats.bootstrap((np.array(values, dtype=float),), np.median, n_resamples=B, method="percentile",
                                  confidence_level=0.95, rng=np.random.default_rng(seed))
            intervals.add((float(res.confidence_interval.low), float(res.confidence_interval.high)))
        print(f"  scipy.stats.bootstrap percentile, B={B}, 20 seeds: intervals seen = {sorted(intervals)}")
        for seed, resamples in [(20240601, 10_000), (7, 2_000)]:
            low, high = replica_bootstrap_median(values, resamples, seed, 0.95)
            print(f"  replica seed={seed} resamples={resamples}: ({low!r}, {high!r})")
    spread = [12, 15, 21, 30, 42, 60, 95, 130, 180, 240, 400, 720]
    for seed in (20240601, 7):
        low, high = replica_bootstrap_median(spread, 200, seed, 0.95)
        print(f"determinism fixture {spread}, resamples=200, seed={seed}: replica ({low!r}, {high!r})")
    rng = seed_from_u64(20240601)
    print("  first ChaCha8Rng::seed_from_u64(20240601).next_u64() words:", [hex(rng.next_u64()) for _ in range(3)])


# ---------------------------------------------------------------------------------------------
# Difference in differences
# ---------------------------------------------------------------------------------------------
DID_STAFF = [
    # staff, trained, before, after
    ("t1", True, [30, 34, 41], [22, 25]),
    ("t2", True, [50, 46], [38, 35, 40]),
    ("t3", True, [28, 31, 33, 29], [27, 24]),
    ("u1", False, [45, 40], [43, 44, 39]),
    ("u2", False, [35, 37, 36], [36, 33]),
    ("u3", False, [52, 48], [50, 51]),
]


def did_point(staff):
    sums = {}
    for _, trained, before, after in staff:
        for after_flag, values in ((False, before), (True, after)):
            s, c = sums.get((trained, after_flag), (0.0, 0))
            sums[(trained, after_flag)] = (s + sum(float(v) for v in values), c + len(values))
    mean = {k: s / c for k, (s, c) in sums.items()}
    est = (mean[(True, True)] - mean[(True, False)]) - (mean[(False, True)] - mean[(False, False)])
    return est, mean, sums


def replica_did_bootstrap(staff, resamples, seed, confidence):
    """Cluster bootstrap over staff members, stratified by group (trained staff sorted by id, drawn
    first, then untrained staff), the same stream and rules as the Rust code."""
    trained = sorted((s for s in staff if s[1]), key=lambda s: s[0])
    untrained = sorted((s for s in staff if not s[1]), key=lambda s: s[0])
    rng = seed_from_u64(seed)
    estimates = []
    for _ in range(resamples):
        drawn = [trained[below(rng, len(trained))] for _ in trained]
        drawn += [untrained[below(rng, len(untrained))] for _ in untrained]
        sums = {}
        for _, tr, before, after in drawn:
            for af, values in ((False, before), (True, after)):
                s, c = sums.get((tr, af), (0.0, 0))
                sums[(tr, af)] = (s + sum(float(v) for v in values), c + len(values))
        if len(sums) < 4 or any(c == 0 for _, c in sums.values()):
            continue
        m = {k: s / c for k, (s, c) in sums.items()}
        estimates.append((m[(True, True)] - m[(True, False)]) - (m[(False, True)] - m[(False, False)]))
    estimates.sort()
    lower = (1.0 - confidence) / 2.0
    return percentile_cont(estimates, lower), percentile_cont(estimates, 1.0 - lower), len(estimates)


def did_section():
    header("Difference in differences: statsmodels OLS y ~ trained * after")
    rows = []
    for s, trained, before, after in DID_STAFF:
        rows += [(s, int(trained), 0, float(v)) for v in before]
        rows += [(s, int(trained), 1, float(v)) for v in after]
    df = pd.DataFrame(rows, columns=["staff", "trained", "after", "y"])
    fit = smf.ols("y ~ trained * after", data=df).fit()
    est, mean, sums = did_point(DID_STAFF)
    print(f"OLS interaction trained:after = {float(fit.params['trained:after'])!r}")
    print(f"difference of mean changes    = {est!r}")
    for k in [(True, False), (True, True), (False, False), (False, True)]:
        print(f"  trained={k[0]} after={k[1]}: n={sums[k][1]} mean={mean[k]!r}")
    for seed, resamples in [(20240601, 2_000), (99, 500)]:
        low, high, used = replica_did_bootstrap(DID_STAFF, resamples, seed, 0.95)
        print(f"  replica cluster bootstrap seed={seed} resamples={resamples}: ({low!r}, {high!r}) used={used}")


def main():
    print("Python", sys.version.split()[0], "NumPy", np.__version__, "pandas", pd.__version__, "SciPy", scipy.__version__,
          "statsmodels", statsmodels.__version__, "lifelines", lifelines.__version__)
    wilson_section()
    two_proportions_section()
    mwu_section()
    holm_section()
    km_section()
    bootstrap_section()
    did_section()


if __name__ == "__main__":
    main()
