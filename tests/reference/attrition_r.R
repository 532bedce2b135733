# Reference values for evaltools.panel.attrition (Welch t-test and Cohen's d).
# Run from tests/reference/:  Rscript attrition_r.R
# Writes attrition_data.csv (baseline scores, completer flag) and attrition_r.json.
suppressPackageStartupMessages({library(effectsize); library(jsonlite)})
set.seed(20241128)
n <- 150
d <- data.frame(
  respondent = sprintf("r%03d", 1:n),
  group = rep(c("interventie", "controle"), length.out = n),
  brs = round(pmin(5, pmax(1, rnorm(n, 3.6, 0.8))), 4)
)
d$completer <- rbinom(n, 1, plogis(1 + 0.9 * (d$brs - 3.6))) == 1
write.csv(d, "attrition_data.csv", row.names = FALSE)
one <- function(x) {
  drop <- x$brs[!x$completer]; comp <- x$brs[x$completer]
  tt <- t.test(drop, comp)                   # Welch (var.equal = FALSE)
  cd <- cohens_d(drop, comp)                 # pooled SD
  list(n_completers = length(comp), n_dropouts = length(drop),
       mean_completers = mean(comp), mean_dropouts = mean(drop),
       sd_completers = sd(comp), sd_dropouts = sd(drop),
       statistic = unname(tt$statistic), df = unname(tt$parameter), p_value = tt$p.value,
       std_difference = cd$Cohens_d)
}
out <- list(
  r_version = R.version.string,
  effectsize_version = as.character(packageVersion("effectsize")),
  calls = c("t.test(drop, comp)", "effectsize::cohens_d(drop, comp)"),
  all = one(d),
  interventie = one(d[d$group == "interventie", ])
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "attrition_r.json")
