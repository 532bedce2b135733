# The benchmark's mixed models in R lme4, on the data benchmarks/mixed_model.py writes.
#   Rscript benchmarks/mixed_model_lme4.R panel_100000.csv    (one JSON line per model)
# Called by benchmarks/mixed_model.py in the same run; only lmer() itself is timed.
suppressPackageStartupMessages(library(lme4))
file <- commandArgs(trailingOnly = TRUE)[1]
d <- read.csv(file)
d$wave <- factor(d$wave); d$treated <- as.numeric(d$group == "interventie")
d$respondent_id <- factor(d$respondent_id); d$site <- factor(d$site)
models <- list(
  standard = brs ~ wave * treated + (1 | respondent_id),
  nested = brs ~ wave * treated + (1 | site) + (1 | site:respondent_id))
for (name in names(models)) {
  gc()
  t <- system.time(fit <- lmer(models[[name]], data = d, REML = TRUE))
  cf <- fixef(fit)
  cat(sprintf('{"model": "%s", "fit": %.3f, "wavet1_treated": %.6f, "wavet2_treated": %.6f}\n',
              name, t[["elapsed"]], cf[["wavet1:treated"]], cf[["wavet2:treated"]]))
}
cat(sprintf('{"versions": "%s, lme4 %s"}\n', R.version.string, packageVersion("lme4")))
