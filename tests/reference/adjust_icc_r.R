# Reference values for p-value adjustment, intraclass correlations and
# Cronbach's alpha with missing data, produced with R (stats::p.adjust,
# psych::ICC, psych::alpha) for the Python tests of evaltools to compare against.
#
# Run from tests/reference/:  Rscript adjust_icc_r.R
# Writes adjust_icc_r.json (inputs and outputs; NA is written as null).
#
# Produced with: R version 4.2.2 Patched (2022-11-10 r83330), psych 2.2.9,
# jsonlite 1.8.4 (Debian packages r-base-core, r-cran-psych, r-cran-jsonlite).
# The JSON's "meta" records the versions and date of the run that wrote it.
#
# Notes on the calls:
# * p.adjust(p, method = m) is called with its default n = length(p[!is.na(p)]):
#   NAs stay NA in place and do not count towards n (so for vector (ii), with
#   11 non-missing values, n = 11, not 12).
# * psych::ICC(x, alpha = 0.05, lmer = FALSE): lmer = FALSE fits the two-way
#   ANOVA with aov() (the psych default is lmer = TRUE); missing = TRUE is left
#   at its default (no data are missing here).
# * psych::alpha's argument is `use`, passed on to cov(x, use = use); its
#   default is use = "pairwise" (partial match of "pairwise.complete.obs").
#   raw_alpha and std.alpha both come from that covariance matrix, so
#   use = "complete.obs" and alpha(na.omit(items)) give the same raw_alpha and
#   std.alpha (they differ in item means/SDs, which use na.rm per item).
suppressPackageStartupMessages({library(psych); library(jsonlite)})

out <- list(
  meta = list(
    purpose = paste("Reference values for evaltools: stats::p.adjust,",
                    "psych::ICC (lmer = FALSE), psych::alpha with missing data"),
    r_version = R.version.string,
    psych_version = as.character(packageVersion("psych")),
    jsonlite_version = as.character(packageVersion("jsonlite")),
    date = format(Sys.Date())
  )
)

## a) p.adjust ---------------------------------------------------------------
set.seed(2026)
p_unif <- round(runif(20)^3, 6)
pvecs <- list(
  simple = list(code = "c(0.01, 0.02, 0.03, 0.04, 0.05)",
                p = c(0.01, 0.02, 0.03, 0.04, 0.05)),
  ties_na = list(code = paste("c(0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074,",
                              "0.205, 0.212, 0.216, 0.222, NA)"),
                 p = c(0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074,
                       0.205, 0.212, 0.216, 0.222, NA)),
  runif_cubed = list(code = "set.seed(2026); round(runif(20)^3, 6)", p = p_unif)
)
out$p_adjust <- list(
  call = "p.adjust(p, method = m) for m in p.adjust.methods (default n = length(p[!is.na(p)]))",
  methods = p.adjust.methods,
  vectors = lapply(pvecs, function(v) {
    adj <- lapply(p.adjust.methods, function(m) p.adjust(v$p, method = m))
    names(adj) <- p.adjust.methods
    list(code = v$code, n = sum(!is.na(v$p)), p = v$p, adjusted = adj)
  })
)

## b) psych::ICC -------------------------------------------------------------
sf <- matrix(c(9, 2, 5, 8,  6, 1, 3, 2,  8, 4, 6, 8,  7, 1, 2, 6,
               10, 5, 6, 9,  6, 2, 4, 7), ncol = 4, byrow = TRUE)
set.seed(7)
true <- rnorm(15, 10, 2)
sim <- round(sapply(1:3, function(j) true + rnorm(15, j * 0.3, 1)), 2)

icc_rows <- function(x) {
  r <- psych::ICC(x, alpha = 0.05, lmer = FALSE)$results
  lapply(seq_len(nrow(r)), function(i) list(
    type = as.character(r$type[i]), label = rownames(r)[i],
    ICC = r$ICC[i], F = r$F[i], df1 = r$df1[i], df2 = r$df2[i], p = r$p[i],
    lower_bound = r[["lower bound"]][i], upper_bound = r[["upper bound"]][i]))
}
out$icc <- list(
  call = "psych::ICC(x, alpha = 0.05, lmer = FALSE)$results",
  datasets = list(
    shrout_fleiss = list(
      description = "Shrout & Fleiss (1979) 6 targets x 4 judges (rows = targets)",
      code = paste("matrix(c(9,2,5,8, 6,1,3,2, 8,4,6,8, 7,1,2,6, 10,5,6,9,",
                   "6,2,4,7), ncol = 4, byrow = TRUE)"),
      data = sf, results = icc_rows(sf)),
    simulated = list(
      description = "15 targets x 3 raters, simulated (rows = targets)",
      code = paste("set.seed(7); true <- rnorm(15, 10, 2);",
                   "x <- round(sapply(1:3, function(j) true + rnorm(15, j * 0.3, 1)), 2)"),
      data = sim, results = icc_rows(sim))
  )
)

## c) psych::alpha with missing data -----------------------------------------
set.seed(11)
base <- rnorm(40)
items <- sapply(1:5, function(j) pmin(5, pmax(1, round(3 + base + rnorm(40, 0, 0.9)))))
na_cells <- sort(sample(length(items), 12))   # same RNG stream, right after items
items[na_cells] <- NA
storage.mode(items) <- "integer"
colnames(items) <- paste0("i", 1:5)

a_pw <- psych::alpha(items)                         # use = "pairwise" (default)
a_cc <- psych::alpha(items, use = "complete.obs")
items_cc <- na.omit(items)
a_om <- psych::alpha(items_cc)
pick <- function(a, call) list(call = call, raw_alpha = a$total$raw_alpha,
                               std_alpha = a$total$std.alpha)
out$alpha <- list(
  code = paste("set.seed(11); base <- rnorm(40);",
               "items <- sapply(1:5, function(j) pmin(5, pmax(1, round(3 + base + rnorm(40, 0, 0.9)))));",
               "na_cells <- sort(sample(length(items), 12)); items[na_cells] <- NA"),
  na_cells_colmajor_1based = na_cells,
  n_rows = nrow(items), n_complete_rows = nrow(items_cc),
  data = items,
  results = list(
    pairwise_default = pick(a_pw, "psych::alpha(items)  # use = \"pairwise\" (default)"),
    complete_obs = pick(a_cc, "psych::alpha(items, use = \"complete.obs\")"),
    na_omit = pick(a_om, "psych::alpha(na.omit(items))")
  )
)

write_json(out, "adjust_icc_r.json", digits = NA, auto_unbox = TRUE,
           na = "null", pretty = TRUE)
