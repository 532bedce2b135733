# Reference values for evaltools.analysis.planning.analytic, produced with R pwr.
# Run from tests/reference/:  Rscript planning_pwr.R   (writes planning_pwr.json)
# Each case: the evaltools design and arguments, the R call, and R's value (power, n or d).
# Solved n and d: pwr 1.3-0 solves with uniroot at its default tolerance (eps^0.25, about
# 1e-4), too coarse for a 1e-6 comparison, and takes no tol argument; so the solved values
# below invert pwr's own power function with uniroot(tol = 1e-12) (`solve`), and pwr's own
# solution is stored beside them as `pwr_solution`.
suppressPackageStartupMessages({library(jsonlite); library(pwr)})
out <- list(r_version = R.version.string, pwr_version = as.character(packageVersion("pwr")),
            cases = list())
add <- function(name, design, args, call, value, pwr_solution = NULL) {
  out$cases[[name]] <<- list(design = design, args = args, call = call, value = value,
                             pwr_solution = pwr_solution)
}
solve <- function(f, lower, upper) uniroot(f, c(lower, upper), tol = 1e-12)$root
# pre_post: d_z = effect / sqrt(2 (1 - r))
add("paired_r05", list(kind = "pre_post", r_pre_post = 0.5), list(effect = 0.5, n = 30),
    "pwr.t.test(n = 30, d = 0.5, type = 'paired')$power",
    pwr.t.test(n = 30, d = 0.5, type = "paired")$power)
add("paired_r07", list(kind = "pre_post", r_pre_post = 0.7), list(effect = 0.3, n = 40),
    "pwr.t.test(n = 40, d = 0.3 / sqrt(2 * (1 - 0.7)), type = 'paired')$power",
    pwr.t.test(n = 40, d = 0.3 / sqrt(2 * (1 - 0.7)), type = "paired")$power)
add("paired_one_sided", list(kind = "pre_post", r_pre_post = 0.5, sides = 1),
    list(effect = 0.35, n = 25),
    "pwr.t.test(n = 25, d = 0.35, type = 'paired', alternative = 'greater')$power",
    pwr.t.test(n = 25, d = 0.35, type = "paired", alternative = "greater")$power)
add("paired_attrition", list(kind = "pre_post", r_pre_post = 0.5, attrition = list(0.2, 0.25)),
    list(effect = 0.3, n = 100),
    "pwr.t.test(n = 100 * 0.8 * 0.75, d = 0.3, type = 'paired')$power",
    pwr.t.test(n = 100 * 0.8 * 0.75, d = 0.3, type = "paired")$power)
# ancova without a baseline = two-sample t-test, unequal allocation
add("t2n_unequal", list(kind = "ancova", share_treated = 0.6), list(effect = 0.4, n = 100),
    "pwr.t2n.test(n1 = 60, n2 = 40, d = 0.4)$power",
    pwr.t2n.test(n1 = 60, n2 = 40, d = 0.4)$power)
add("t2n_one_sided_alpha01", list(kind = "ancova", share_treated = 0.25, sides = 1, alpha = 0.01),
    list(effect = 0.5, n = 160),
    "pwr.t2n.test(n1 = 40, n2 = 120, d = 0.5, sig.level = 0.01, alternative = 'greater')$power",
    pwr.t2n.test(n1 = 40, n2 = 120, d = 0.5, sig.level = 0.01, alternative = "greater")$power)
add("t2n_holm3", list(kind = "ancova", n_outcomes = 3, adjust = "holm"),
    list(effect = 0.4, n = 200),
    "pwr.t2n.test(n1 = 100, n2 = 100, d = 0.4, sig.level = 0.05 / 3)$power",
    pwr.t2n.test(n1 = 100, n2 = 100, d = 0.4, sig.level = 0.05 / 3)$power)
# diff_in_diff: change scores, d = effect / sqrt(2 (1 - r))
add("did_r06", list(kind = "diff_in_diff", r_pre_post = 0.6), list(effect = 0.3, n = 160),
    "pwr.t2n.test(n1 = 80, n2 = 80, d = 0.3 / sqrt(2 * (1 - 0.6)))$power",
    pwr.t2n.test(n1 = 80, n2 = 80, d = 0.3 / sqrt(2 * (1 - 0.6)))$power)
# solved sample sizes and effects
add("n_two_sample", list(kind = "ancova"), list(effect = 0.5, power = 0.8),
    "2 * solve(function(n) pwr.t.test(n = n, d = 0.5, type = 'two.sample')$power - 0.8, 2, 1e4)",
    2 * solve(function(n) pwr.t.test(n = n, d = 0.5, type = "two.sample")$power - 0.8, 2, 1e4),
    2 * pwr.t.test(d = 0.5, power = 0.8, type = "two.sample")$n)
add("n_paired_90", list(kind = "pre_post", r_pre_post = 0.5), list(effect = 0.25, power = 0.9),
    "solve(function(n) pwr.t.test(n = n, d = 0.25, type = 'paired')$power - 0.9, 2, 1e4)",
    solve(function(n) pwr.t.test(n = n, d = 0.25, type = "paired")$power - 0.9, 2, 1e4),
    pwr.t.test(d = 0.25, power = 0.9, type = "paired")$n)
add("d_paired", list(kind = "pre_post", r_pre_post = 0.5), list(n = 50, power = 0.8),
    "solve(function(d) pwr.t.test(n = 50, d = d, type = 'paired')$power - 0.8, 0.01, 5)",
    solve(function(d) pwr.t.test(n = 50, d = d, type = "paired")$power - 0.8, 0.01, 5),
    pwr.t.test(n = 50, power = 0.8, type = "paired")$d)
add("d_t2n_one_sided", list(kind = "ancova", sides = 1, share_treated = 0.4),
    list(n = 100, power = 0.8),
    "solve(function(d) pwr.t2n.test(n1 = 40, n2 = 60, d = d, alternative = 'greater')$power - 0.8, 0.01, 5)",
    solve(function(d) pwr.t2n.test(n1 = 40, n2 = 60, d = d, alternative = "greater")$power - 0.8,
          0.01, 5),
    pwr.t2n.test(n1 = 40, n2 = 60, power = 0.8, alternative = "greater")$d)
write_json(out, "planning_pwr.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
