#!/usr/bin/env python3
"""Writes tests/fixtures/reports/stats_ref.json: inputs and reference outputs for gapbench's
statistics (reports/), computed by scipy and statsmodels — an implementation independent of ours.

    python3 -m venv /tmp/statsvenv && /tmp/statsvenv/bin/pip install -r tools/requirements.txt
    /tmp/statsvenv/bin/python tools/make_stats_fixture.py --out tests/fixtures/reports/stats_ref.json

Deterministic: seeded numpy generators, floats written with repr (shortest round-trip). Where a
reference is not a direct library call (McNemar mid-p, pass@k), it is computed in exact
arithmetic (fractions) or from scipy's distributions, and the script says so next to it.
"""
import argparse
import json
import math
from fractions import Fraction

import numpy as np
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import optimize, stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

Z95 = stats.norm.ppf(0.975)


def ols_intercept_se(y, cov_type, **kw):
    """SE of the mean as the intercept of an intercept-only OLS with a robust covariance."""
    y = np.asarray(y, dtype=float)
    res = sm.OLS(y, np.ones((len(y), 1))).fit(cov_type=cov_type, **kw)
    return float(res.params[0]), float(res.bse[0])


def cluster_codes(ids):
    uniq = {c: i for i, c in enumerate(dict.fromkeys(ids))}
    return np.array([uniq[c] for c in ids])


def normal_section():
    ps = [1e-300, 1e-20, 1e-10, 1e-5, 0.001, 0.01, 0.02425, 0.025, 0.1, 0.3, 0.5, 0.7, 0.9,
          0.975, 0.97575, 0.99, 0.999, 1 - 1e-10]
    xs = [-30.0, -8.0, -3.0, -1.0, 0.0, 0.5, 1.959963984540054, 4.0, 9.0]
    return {"quantile": [{"p": p, "x": float(stats.norm.ppf(p))} for p in ps],
            "cdf": [{"x": x, "p": float(stats.norm.cdf(x))} for x in xs]}


def wilson_section():
    out = []
    for k, n, conf in [(8, 10, 0.95), (0, 10, 0.95), (10, 10, 0.95), (1, 1, 0.95), (0, 1, 0.95),
                       (3, 17, 0.95), (29, 30, 0.9), (50, 100, 0.95), (812, 1000, 0.99),
                       (4, 250, 0.95), (123456, 200000, 0.95)]:
        lo, hi = proportion_confint(k, n, alpha=1 - conf, method="wilson")
        row = {"successes": k, "n": n, "confidence": conf, "wilson": [float(lo), float(hi)]}
        wlo, whi = proportion_confint(k, n, alpha=1 - conf, method="normal")
        # statsmodels clips the Wald interval to [0, 1]; ours does not, so compare unclipped only.
        if 0 < wlo and whi < 1:
            row["wald"] = [float(wlo), float(whi)]
        out.append(row)
    return out


def accuracy_section(rng):
    """Fractional scores: mean and CLT SE (= intercept-only OLS with HC0)."""
    out = []
    for n in [5, 40, 333]:
        s = np.round(rng.random(n), 3)
        s[rng.random(n) < 0.3] = 1.0
        mean, se = ols_intercept_se(s, "HC0")
        out.append({"scores": s.tolist(), "mean": mean, "se": se})
    return out


def cluster_section(rng):
    out = []
    for n, g, p in [(60, 12, 0.6), (200, 7, 0.3), (31, 31, 0.5), (50, 2, 0.8)]:
        ids = [f"passage-{int(c)}" for c in rng.integers(0, g, n)]
        if n == g:  # one item per cluster: clustered must equal the plain CLT SE (x sqrt(G/(G-1)))
            ids = [f"item-{i}" for i in range(n)]
        # Correlated within cluster: a per-cluster difficulty shifts the success probability.
        shift = {c: rng.normal(0, 0.25) for c in dict.fromkeys(ids)}  # first-seen order
        s = (rng.random(n) < np.clip([p + shift[c] for c in ids], 0, 1)).astype(float)
        codes = cluster_codes(ids)
        mean, se = ols_intercept_se(s, "cluster", cov_kwds={"groups": codes})
        _, se_unc = ols_intercept_se(s, "cluster",
                                     cov_kwds={"groups": codes, "use_correction": False})
        res = sm.OLS(s, np.ones((n, 1))).fit(cov_type="cluster", cov_kwds={"groups": codes},
                                             use_t=False)
        lo, hi = res.conf_int(alpha=0.05)[0]
        out.append({"scores": s.tolist(), "clusters": ids, "mean": mean, "se": se,
                    "se_uncorrected": se_unc, "ci": [float(lo), float(hi)],
                    "num_clusters": int(len(set(ids)))})
    return out


def paired_section(rng):
    out = []
    for n, binary in [(25, True), (400, True), (60, False)]:
        if binary:
            a = (rng.random(n) < 0.7).astype(float)
            b = np.where(rng.random(n) < 0.8, a, 1 - a)  # mostly agree
        else:
            a = np.round(rng.random(n), 2)
            b = np.clip(np.round(a + rng.normal(0.05, 0.2, n), 2), 0, 1)
        d = a - b
        mean, se = ols_intercept_se(d, "HC0")
        ids = [f"f{int(c)}" for c in rng.integers(0, 9, n)]
        _, se_cl = ols_intercept_se(d, "cluster", cov_kwds={"groups": cluster_codes(ids)})
        row = {"a": a.tolist(), "b": b.tolist(), "diff": mean, "se": se,
               "sd_diff": float(np.std(d, ddof=0)), "clusters": ids, "se_clustered": se_cl}
        if binary:
            table = [[int(np.sum((a == 1) & (b == 1))), int(np.sum((a == 1) & (b == 0)))],
                     [int(np.sum((a == 0) & (b == 1))), int(np.sum((a == 0) & (b == 0)))]]
            row["mcnemar_p_exact"] = float(mcnemar(table, exact=True).pvalue)
        out.append(row)
    return out


def mcnemar_section():
    out = []
    for b, c in [(0, 0), (1, 0), (5, 5), (3, 9), (0, 12), (20, 35), (100, 140), (1000, 1100),
                 (2, 40), (7, 3)]:
        table = [[10, b], [c, 10]]
        p = float(mcnemar(table, exact=True).pvalue)
        n, m = b + c, min(b, c)
        # mid-p (Fagerland et al. 2013) from scipy's binomial: 2 P(X <= m) - P(X = m).
        mid = 1.0 if n == 0 else float(min(1.0, 2 * stats.binom.cdf(m, n, 0.5)
                                           - stats.binom.pmf(m, n, 0.5)))
        out.append({"only_a": b, "only_b": c, "p_exact": p, "p_mid": mid})
    return out


def pass_at_k_section(rng):
    out = []
    for t, n, k in [(12, 10, 1), (12, 10, 5), (40, 20, 10), (3, 200, 100)]:
        cs = rng.integers(0, n + 1, t)
        cs[0] = 0
        cs[-1] = n
        # Exact per-task value 1 - C(n-c, k)/C(n, k) in rational arithmetic.
        vals = [float(1 - Fraction(math.comb(n - int(c), k), math.comb(n, k))) for c in cs]
        v = np.array(vals)
        out.append({"n": n, "k": k, "correct": [int(c) for c in cs], "values": vals,
                    "mean": float(v.mean()), "se": float(np.std(v, ddof=0) / math.sqrt(t))})
    return out


def solve_effect(nobs1, alpha, power, ratio):
    """Effect size (SD units) at which statsmodels' NormalIndPower reaches `power`.

    solve_power alone stops at ~1e-6 relative (its root finder's default tolerance), so its answer
    only brackets the root; scipy's brentq on statsmodels' own power function (both tails of the
    two-sided test) then solves it to full precision."""
    ip = NormalIndPower()
    rough = float(ip.solve_power(effect_size=None, nobs1=nobs1, alpha=alpha, power=power,
                                 ratio=ratio))
    f = lambda d: float(ip.power(d, nobs1, alpha, ratio=ratio)) - power
    exact = optimize.brentq(f, rough * 0.99, rough * 1.01, xtol=1e-16, rtol=1e-15, maxiter=200)
    return exact, rough


def power_section():
    out = []
    for alpha, power in [(0.05, 0.8), (0.05, 0.9), (0.01, 0.8), (0.1, 0.5), (0.05, 0.2)]:
        # One-sample normal test (ratio=0): effect in SD units at nobs=1 is the noncentrality.
        delta, rough = solve_effect(1, alpha, power, 0)
        out.append({"alpha": alpha, "power": power, "noncentrality": delta,
                    "solve_power": rough})
    paired = []
    for sd, n in [(0.4, 100), (0.2, 1000), (0.55, 30)]:
        d, _ = solve_effect(n, 0.05, 0.8, 0)
        paired.append({"sd_diff": sd, "n": n, "alpha": 0.05, "power": 0.8, "mdd": d * sd})
    unpaired = []
    for p, n1, n2 in [(0.5, 100, 100), (0.8, 500, 250), (0.3, 57, 57)]:
        d, _ = solve_effect(n1, 0.05, 0.8, n2 / n1)
        unpaired.append({"p": p, "n1": n1, "n2": n2, "alpha": 0.05, "power": 0.8,
                         "mdd": d * math.sqrt(p * (1 - p))})
    return {"noncentrality": out, "paired": paired, "unpaired": unpaired}


def regression_section(rng):
    out = []
    for n in [10, 80, 500]:
        x = rng.integers(1, 9, n).astype(float)
        y = (rng.random(n) < np.clip(0.95 - 0.08 * x, 0, 1)).astype(float)
        X = sm.add_constant(x)
        r1 = sm.OLS(y, X).fit(cov_type="HC1")
        r3 = sm.OLS(y, X).fit(cov_type="HC3")
        r0 = sm.OLS(y, X).fit()
        lo, hi = r1.conf_int(alpha=0.05)[1]
        out.append({"x": x.tolist(), "y": y.tolist(), "intercept": float(r1.params[0]),
                    "slope": float(r1.params[1]), "se_hc1": float(r1.bse[1]),
                    "se_hc3": float(r3.bse[1]), "se_classical": float(r0.bse[1]),
                    "ci_hc1": [float(lo), float(hi)]})
    return out


def gap_section(rng):
    out = []
    for n_id, n_ood in [(120, 80), (300, 300), (40, 65)]:
        sid = (rng.random(n_id) < 0.75).astype(float)
        lid = np.where(rng.random(n_id) < 0.85, np.maximum(sid, rng.random(n_id) < 0.5), sid)
        sood = (rng.random(n_ood) < 0.45).astype(float)
        lood = np.where(rng.random(n_ood) < 0.8, np.maximum(sood, rng.random(n_ood) < 0.5), sood)
        lo, hi = confint_proportions_2indep(int(sid.sum()), n_id, int(sood.sum()), n_ood,
                                            method="wald", compare="diff", alpha=0.05)
        # Difference-in-differences as the interaction of a saturated OLS on the long table
        # (score ~ ood + small + ood:small), cluster-robust by item (each item appears once per
        # model), without the small-sample factor.
        rows = []
        for split, (s, l) in enumerate([(sid, lid), (sood, lood)]):
            for i in range(len(s)):
                rows.append((s[i], split, 1, f"{split}-{i}"))
                rows.append((l[i], split, 0, f"{split}-{i}"))
        y = np.array([r[0] for r in rows])
        ood = np.array([r[1] for r in rows], dtype=float)
        small = np.array([r[2] for r in rows], dtype=float)
        X = np.column_stack([np.ones(len(y)), ood, small, ood * small])
        res = sm.OLS(y, X).fit(cov_type="cluster",
                               cov_kwds={"groups": cluster_codes([r[3] for r in rows]),
                                         "use_correction": False})
        # gap_small - gap_large = (id - ood)_small - (id - ood)_large = -interaction.
        did, did_se = -float(res.params[3]), float(res.bse[3])
        out.append({"small_id": sid.tolist(), "large_id": lid.tolist(),
                    "small_ood": sood.tolist(), "large_ood": lood.tolist(),
                    "gap_small": float(sid.mean() - sood.mean()),
                    "gap_small_ci": [float(lo), float(hi)], "did": did, "did_se": did_se})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = np.random.default_rng(20241101)
    doc = {
        "generator": "tools/make_stats_fixture.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                     "statsmodels": statsmodels.__version__},
        "z95": float(Z95),
        "normal": normal_section(),
        "wilson": wilson_section(),
        "accuracy": accuracy_section(rng),
        "cluster": cluster_section(rng),
        "paired": paired_section(rng),
        "mcnemar": mcnemar_section(),
        "pass_at_k": pass_at_k_section(rng),
        "power": power_section(),
        "regression": regression_section(rng),
        "gap": gap_section(rng),
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
